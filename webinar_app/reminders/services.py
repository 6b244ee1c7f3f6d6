"""Which reminders are due: per registered participant, module and offset, for the module's
current time. Functions never commit.

Rules: a reminder is due once its offset before the start has passed and the module (scheduled,
not cancelled) has not started. When several offsets are due at once (the system was down, or
the module moved), only the one closest to the start goes out, and none if the organiser
switched that one off for the module (a switched-off reminder is not replaced by an earlier
one). The series sets the offsets; a module may switch some off. The purpose key carries the
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
from webinar_app.reminders.emails import queue_reminder

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
        if not (part.isascii() and part.isdigit()) or not 0 < int(part) <= MAX_OFFSET_MINUTES:
            raise ReminderError(f"{part!r} is not a number of minutes between 1 and 86400")
        values.add(int(part))
    return tuple(sorted(values, reverse=True))


def series_offsets(series: Series) -> tuple[int, ...]:
    """The series' reminder offsets in minutes (the defaults when unset or unreadable)."""
    try:
        return parse_offsets(series.reminder_offsets) or DEFAULT_OFFSETS
    except ReminderError:
        return DEFAULT_OFFSETS


_UNITS = {"d": 1440, "h": 60, "m": 1}


def parse_offsets_text(text: str) -> tuple[int, ...]:
    """'7d, 1d, 1h' -> (10080, 1440, 60); raises ReminderError on anything else or nothing."""
    values = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip().lower().replace(" ", "")
        if not part:
            continue
        number, unit = part[:-1], part[-1:]
        if unit not in _UNITS or not (number.isascii() and number.isdigit()):
            raise ReminderError(part)
        minutes = int(number) * _UNITS[unit]
        if not 0 < minutes <= MAX_OFFSET_MINUTES:
            raise ReminderError(part)
        values.add(minutes)
    if not values:
        raise ReminderError(text)
    return tuple(sorted(values, reverse=True))


def offsets_text(offsets: tuple[int, ...]) -> str:
    """(10080, 1440, 60) -> '7d, 1d, 1h' (the form's notation)."""
    parts = []
    for minutes in offsets:
        for unit, size in _UNITS.items():
            if minutes % size == 0:
                parts.append(f"{minutes // size}{unit}")
                break
    return ", ".join(parts)


def set_series_offsets(series: Series, offsets: tuple[int, ...]) -> None:
    """Store the series' reminder offsets (minutes, largest first)."""
    series.reminder_offsets = ",".join(str(o) for o in sorted(set(offsets), reverse=True))


def disabled_offsets(module: Module) -> frozenset[int]:
    """The offsets the organiser switched off for this module."""
    try:
        return frozenset(parse_offsets(module.reminders_off))
    except ReminderError:
        return frozenset()


def set_reminder_enabled(module: Module, offset: int, enabled: bool) -> None:
    """Switch one reminder of a module on or off."""
    off = set(disabled_offsets(module))
    if enabled:
        off.discard(offset)
    else:
        off.add(offset)
    module.reminders_off = ",".join(str(o) for o in sorted(off, reverse=True))


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
        off = disabled_offsets(module)
        if offsets and min(offsets) not in off:  # a switched-off one is skipped, not replaced
            result.append((module, [o for o in offsets if o not in off]))
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


def count_registered(module: Module) -> int:
    """How many registered people a reminder of this module goes to."""
    return db.session.scalar(
        select(func.count()).select_from(_registered(module).subquery())
    ) or 0


def sent_reminder_offsets(module: Module) -> set[int]:
    """The offsets already queued for the module's current time (start and SEQUENCE)."""
    if module.starts_at is None:
        return set()
    suffix = f":{int(module.starts_at.timestamp())}:seq{module.sequence}"
    keys = db.session.scalars(
        select(OutboxMessage.purpose_key).where(
            OutboxMessage.kind == "reminder", OutboxMessage.module_id == module.id
        )
    )
    sent = set()
    for key in keys:
        parts = key.split(":")
        if key.endswith(suffix) and len(parts) >= 4 and parts[3].isdigit():
            sent.add(int(parts[3]))
    return sent


@dataclass
class ReminderRow:
    """One reminder of one module, as the reminders page shows it."""

    offset: int
    send_at: datetime | None
    is_enabled: bool
    is_sent: bool
    is_past: bool


@dataclass
class ModuleReminders:
    """A module with its reminders and their audience."""

    module: Module
    audience: int
    rows: list[ReminderRow]


def reminder_overview(series: Series, now: datetime | None = None) -> list[ModuleReminders]:
    """Per module, each of the series' reminders: when, on or off, sent or not, to how many."""
    now = now or utcnow()
    result = []
    for module in series.modules:
        off = disabled_offsets(module)
        sent = sent_reminder_offsets(module)
        rows = []
        for offset in series_offsets(series):
            send_at = (module.starts_at - timedelta(minutes=offset)
                       if module.starts_at is not None else None)
            rows.append(ReminderRow(
                offset=offset,
                send_at=send_at,
                is_enabled=offset not in off,
                is_sent=offset in sent,
                is_past=send_at is not None and send_at <= now,
            ))
        result.append(ModuleReminders(module, count_registered(module), rows))
    return result


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
    now = now or utcnow()
    counts = ReminderCounts()
    for module, offsets in modules_with_due_reminders(now):
        sent = _sent_offsets(module)
        for batch in _batches(module):
            for registration in batch:
                already = sent.get(registration.person_id)
                wanted = [o for o in offsets if already is None or o < already]
                if not wanted:
                    counts.already_sent += 1
                    continue
                key = reminder_key(registration, module, min(wanted))
                if queue_reminder(registration, key) is None:
                    counts.already_sent += 1
                else:
                    counts.queued += 1
            db.session.flush()
            if on_batch:
                on_batch(len(batch))
    return counts
