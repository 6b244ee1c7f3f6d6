"""A held module's recording and slides links: saving them, who should get them by email, and
queueing that email. The links may be entered ahead; pages show them only once the module is
held. Functions never commit."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from webinar_app.core.module_life import Purpose, check_held, is_held
from webinar_app.extensions import db
from webinar_app.models import (
    Module,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
)
from webinar_app.recordings.emails import attendance_of, queue_recording_email, recording_key


def save_recording_links(module: Module, recording_url: str, slides_url: str) -> bool:
    """Set (or clear) both links; True when either changed."""
    changed = (module.recording_url, module.slides_url) != (recording_url, slides_url)
    module.recording_url, module.slides_url = recording_url, slides_url
    return changed


def have_followups_gone_out(module: Module) -> bool:
    """True once any follow-up email of the module has been queued."""
    return db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == "followup", OutboxMessage.module_id == module.id).limit(1)) \
        is not None


def _carried_by_followup(module: Module) -> set[int]:
    """The people whose follow-up already carried the current links."""
    stmt = select(OutboxMessage.person_id).where(
        OutboxMessage.kind == "followup", OutboxMessage.module_id == module.id)
    for link in (module.recording_url, module.slides_url):
        if link:
            stmt = stmt.where(OutboxMessage.body_text.contains(link, autoescape=True))
    return {person_id for person_id in db.session.scalars(stmt) if person_id is not None}


def recording_recipients(module: Module) -> list[Registration]:
    """Registered people who have not yet received the module's current links, by module order."""
    if not module.recording_url:
        return []
    registrations = db.session.scalars(
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.module_id == module.id,
            Registration.status == RegistrationStatus.REGISTERED.value,
            Person.erased_at.is_(None),
            Person.email != "",
        )
        .options(contains_eager(Registration.person))
        .order_by(Person.language, Person.full_name, Registration.id)
    ).all()
    keys = [recording_key(r) for r in registrations]
    sent = set(db.session.scalars(
        select(OutboxMessage.purpose_key).where(OutboxMessage.purpose_key.in_(keys)))) \
        if keys else set()
    carried = _carried_by_followup(module)
    return [r for r, key in zip(registrations, keys, strict=True)
            if key not in sent and r.person_id not in carried]


def registrant(module: Module, person_id: int | None) -> Registration | None:
    """The person's registration for the module (the first registrant without a person)."""
    stmt = select(Registration).join(Person, Person.id == Registration.person_id).where(
        Registration.module_id == module.id,
        Registration.status == RegistrationStatus.REGISTERED.value,
        Person.erased_at.is_(None))
    if person_id is not None:
        stmt = stmt.where(Registration.person_id == person_id)
    return db.session.scalar(stmt.order_by(Registration.id).limit(1))


def is_email_offered(module: Module) -> bool:
    """True when the recording email may go and someone has not had these links yet."""
    return (is_held(module) and bool(module.recording_url) and have_followups_gone_out(module)
            and bool(recording_recipients(module)))


@dataclass
class LanguageCounts:
    """How many recipients in one language, by attendance."""

    language: str
    attended: int = 0
    absent: int = 0
    unrecorded: int = 0

    @property
    def total(self) -> int:
        return self.attended + self.absent + self.unrecorded


@dataclass
class RecipientPlan:
    """Who the recording email goes to: counts per language, and one registrant per wording."""

    recipients: list[Registration]
    by_language: list[LanguageCounts] = field(default_factory=list)
    samples: list[Registration] = field(default_factory=list)


def recipient_plan(module: Module) -> RecipientPlan:
    """The recipients grouped per language and attendance, with one sample of each group."""
    recipients = recording_recipients(module)
    counts: dict[str, LanguageCounts] = {}
    samples: dict[tuple[str, str | None], Registration] = {}
    for registration in recipients:
        language = registration.person.language or "en"
        attendance = attendance_of(registration)
        entry = counts.setdefault(language, LanguageCounts(language))
        setattr(entry, attendance or "unrecorded", getattr(entry, attendance or "unrecorded") + 1)
        samples.setdefault((language, attendance), registration)
    return RecipientPlan(recipients, list(counts.values()), list(samples.values()))


def queue_recording_emails(module: Module) -> int:
    """Queue the recording email to everyone who has not had these links; how many queued.

    Raises ModuleLifeError, saying why and when, for a module that is not held."""
    check_held(module, Purpose.FOLLOWUPS)
    queued = sum(queue_recording_email(r) is not None for r in recording_recipients(module))
    db.session.flush()
    return queued
