"""Which reminders are due: per registered participant, module and offset, for the module's
current time. Functions never commit.

Rules: a reminder is due once its offset before the start has passed and the module (scheduled,
not cancelled) has not started. When several offsets are due at once (the system was down, or
the module moved), only the one closest to the start goes out. The purpose key carries the
module's start and calendar sequence, so a reschedule yields fresh reminders for the new time
and none for the old one. Reminders only ever get closer to the start: after the 7-day reminder
went out, a move brings the 1-day and 1-hour reminders for the new time, not a second 7-day one
(the move itself sent an update with the new time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from webinar_app.extensions import db
from webinar_app.models import (
    Module,
    ModuleStatus,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    utcnow,
)

DEFAULT_OFFSETS = (10080, 1440, 60)
MAX_OFFSET_MINUTES = 60 * 24 * 60
BATCH_SIZE = 500


class ReminderError(ValueError):
    """Offsets that cannot be used."""


def parse_offsets(text: str | None) -> tuple[int, ...]:
    """'10080,1440,60' -> (10080, 1440, 60), largest first; raises ReminderError if invalid."""
    values = set()
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) <= MAX_OFFSET_MINUTES:
            raise ReminderError(f"{part!r} is not a number of minutes between 1 and 86400")
        values.add(int(part))
    return tuple(sorted(values, reverse=True))


def series_offsets(series: Series) -> tuple[int, ...]:
    """The series' reminder offsets in minutes (the defaults when unset or unreadable)."""
    try:
        return parse_offsets(series.reminder_offsets) or DEFAULT_OFFSETS
    except ReminderError:
        return DEFAULT_OFFSETS


def due_offsets(module: Module, offsets: tuple[int, ...], now: datetime) -> list[int]:
    """The offsets whose time has come for this module (none once it started)."""
    if module.status != ModuleStatus.SCHEDULED or module.starts_at is None:
        return []
    if module.starts_at <= now:
        return []
    return [o for o in offsets if module.starts_at - timedelta(minutes=o) <= now]


def reminder_key(registration: Registration, module: Module, offset: int) -> str:
    """Once per person, module, offset and scheduled time (start and SEQUENCE)."""
    assert module.starts_at is not None
    stamp = int(module.starts_at.timestamp())
    return (f"reminder:{registration.person_id}:{module.id}:{offset}:{stamp}:"
            f"seq{module.sequence}")


def modules_with_due_reminders(now: datetime) -> list[tuple[Module, list[int]]]:
    """Every scheduled, not yet started module with reminders due now, and their offsets."""
    modules = db.session.scalars(
        select(Module).where(
            Module.status == ModuleStatus.SCHEDULED.value,
            Module.starts_at > now,
            Module.starts_at <= now + timedelta(minutes=MAX_OFFSET_MINUTES),
        ).order_by(Module.starts_at, Module.id)
    )
    result = []
    for module in modules:
        offsets = due_offsets(module, series_offsets(module.series), now)
        if offsets:
            result.append((module, offsets))
    return result


def _registered(module: Module):
    return (
        select(Registration)
        .join(Person, Person.id == Registration.person_id)
        .where(
            Registration.module_id == module.id,
            Registration.status == RegistrationStatus.REGISTERED.value,
            Person.erased_at.is_(None),
            Person.email.is_not(None),
        )
    )


def count_due(now: datetime | None = None) -> int:
    """How many registrations have a reminder due (some may already have had it)."""
    now = now or utcnow()
    total = 0
    for module, _offset in modules_with_due_reminders(now):
        total += db.session.scalar(
            select(func.count()).select_from(_registered(module).subquery())
        ) or 0
    return total


def _sent_offsets(module: Module) -> dict[int, int]:
    """person id -> the smallest offset already reminded for this module (any time)."""
    smallest: dict[int, int] = {}
    keys = db.session.scalars(
        select(OutboxMessage.purpose_key).where(
            OutboxMessage.kind == "reminder", OutboxMessage.module_id == module.id
        )
    )
    for key in keys:
        parts = key.split(":")
        if len(parts) >= 4 and parts[1].isdigit() and parts[3].isdigit():
            person_id, offset = int(parts[1]), int(parts[3])
            smallest[person_id] = min(offset, smallest.get(person_id, offset))
    return smallest


def _batches(module: Module) -> Iterator[list[Registration]]:
    last_id = 0
    while True:
        rows = list(db.session.scalars(
            _registered(module).where(Registration.id > last_id)
            .order_by(Registration.id).limit(BATCH_SIZE)
        ))
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


@dataclass
class ReminderCounts:
    """What one run did."""

    queued: int = 0
    already_sent: int = 0

    def summary(self) -> str:
        return f"Queued {self.queued} reminders; {self.already_sent} already sent."


def queue_due_reminders(
    now: datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ReminderCounts:
    """Queue every reminder due now, at most once each (no commit; on_batch may commit)."""
    from webinar_app.reminders.emails import ModuleParts, queue_reminder

    now = now or utcnow()
    counts = ReminderCounts()
    for module, offsets in modules_with_due_reminders(now):
        parts = ModuleParts(module)
        sent = _sent_offsets(module)
        for batch in _batches(module):
            for registration in batch:
                already = sent.get(registration.person_id)
                wanted = [o for o in offsets if already is None or o < already]
                if not wanted:
                    counts.already_sent += 1
                    continue
                key = reminder_key(registration, module, min(wanted))
                if queue_reminder(parts, registration, key) is None:
                    counts.already_sent += 1
                else:
                    counts.queued += 1
            db.session.flush()
            if on_batch:
                on_batch(len(batch))
    return counts
