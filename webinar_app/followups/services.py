"""Follow-ups after a module: the published summary and the recording, worded for attendees,
absentees or (attendance unknown) registrants. Only a held module has follow-ups; publishing its
summary, or the module becoming held after that, queues them at once, unless whoever published
held them back: then they wait until released. Functions never commit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webinar_app.core.module_life import Purpose, check_held, is_held
from webinar_app.extensions import db
from webinar_app.followups.emails import followup_key, queue_followup
from webinar_app.models import (
    Module,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Summary,
    SummaryState,
)


@dataclass(frozen=True)
class LanguageCounts:
    """The follow-ups still to go in one language, by attendance."""

    language: str
    attended: int = 0
    absent: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.attended + self.absent + self.unknown


def has_published_summary(module: Module) -> bool:
    """True once the module's summary is published."""
    return db.session.scalar(
        select(Summary.id).where(
            Summary.module_id == module.id, Summary.state == SummaryState.PUBLISHED.value
        )
    ) is not None


def queue_followups(module: Module) -> int:
    """Queue the follow-up to every registrant of a held module (once each); how many queued.

    Raises ModuleLifeError, saying why and when, for a module that is not held."""
    check_held(module, Purpose.FOLLOWUPS)
    has_summary = has_published_summary(module)
    registrations = db.session.scalars(
        _recipients(module).order_by(Registration.id).execution_options(yield_per=500)
    )
    queued = 0
    for registration in registrations:
        if queue_followup(registration, has_summary=has_summary) is not None:
            queued += 1
    db.session.flush()
    return queued


def _recipients(module: Module):
    return (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.module_id == module.id,
            Registration.status == RegistrationStatus.REGISTERED.value,
            Person.erased_at.is_(None),
        )
    )


def are_followups_held(module: Module) -> bool:
    """True while the published summary's follow-ups are held back."""
    return db.session.scalar(
        select(Summary.id).where(
            Summary.module_id == module.id, Summary.followups_held_at.is_not(None)
        )
    ) is not None


def pending_followup_counts(module: Module) -> list[LanguageCounts]:
    """Who would get a follow-up now (not had one yet), per language and attendance."""
    already = select(OutboxMessage.purpose_key).where(
        OutboxMessage.kind == "followup", OutboxMessage.module_id == module.id)
    sent = set(db.session.scalars(already))
    rows: dict[str, dict[str, int]] = {}
    for registration, language in db.session.execute(_recipients(module).add_columns(
            Person.language)):
        if followup_key(registration) in sent:
            continue
        attendance = registration.attendance
        kind = attendance if attendance in ("attended", "absent") else "unknown"
        by_kind = rows.setdefault(language or "en", {})
        by_kind[kind] = by_kind.get(kind, 0) + 1
    return [LanguageCounts(language, **counts) for language, counts in sorted(rows.items())]


def queue_published_followups(module: Module) -> int:
    """Once a module is held and its summary published, queue the follow-ups (0 otherwise,
    and 0 while they are held back)."""
    if not is_held(module) or not has_published_summary(module) or are_followups_held(module):
        return 0
    return queue_followups(module)
