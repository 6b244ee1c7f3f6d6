"""Follow-ups after a module: the published summary and the recording, worded for attendees,
absentees or (attendance unknown) registrants. Only a held module has follow-ups; publishing its
summary, or the module becoming held after that, queues them at once. Functions never commit."""

from __future__ import annotations

from sqlalchemy import select

from webinar_app.core.module_life import Purpose, check_held, is_held
from webinar_app.extensions import db
from webinar_app.followups.emails import queue_followup
from webinar_app.models import (
    Module,
    Person,
    Registration,
    RegistrationStatus,
    Summary,
    SummaryState,
)


class FollowupError(ValueError):
    """A follow-up that cannot be sent (e.g. a bad recording link)."""


def has_published_summary(module: Module) -> bool:
    """True once the module's summary is published."""
    return db.session.scalar(
        select(Summary.id).where(
            Summary.module_id == module.id, Summary.state == SummaryState.PUBLISHED.value
        )
    ) is not None


def set_recording_url(module: Module, url: str) -> None:
    """Set (or clear) the recording link: https only (no commit)."""
    url = url.strip()
    if url and (not url.startswith("https://") or any(c in url for c in " \r\n\"<>")):
        raise FollowupError("The recording link must be a https:// address.")
    module.recording_url = url


def queue_followups(module: Module) -> int:
    """Queue the follow-up to every registrant of a held module (once each); how many queued.

    Raises ModuleLifeError, saying why and when, for a module that is not held."""
    check_held(module, Purpose.FOLLOWUPS)
    has_summary = has_published_summary(module)
    registrations = db.session.scalars(
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.module_id == module.id,
            Registration.status == RegistrationStatus.REGISTERED.value,
            Person.erased_at.is_(None),
        )
        .order_by(Registration.id)
        .execution_options(yield_per=500)
    )
    queued = 0
    for registration in registrations:
        if queue_followup(registration, has_summary=has_summary) is not None:
            queued += 1
    db.session.flush()
    return queued


def queue_published_followups(module: Module) -> int:
    """Once a module is held and its summary published, queue the follow-ups (0 otherwise)."""
    if not is_held(module) or not has_published_summary(module):
        return 0
    return queue_followups(module)
