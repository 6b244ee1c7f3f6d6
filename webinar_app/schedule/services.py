"""Rules for series, modules, agendas and background notes; shared by the admin pages and the CLI.

Every function flushes at most and never commits; a broken rule raises ScheduleError naming the
form field the message belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from webinar_app import timefmt
from webinar_app.core import module_life
from webinar_app.core.audit import record_event
from webinar_app.core.module_changes import CalendarFields, ModuleChange
from webinar_app.extensions import db
from webinar_app.followups.services import queue_published_followups
from webinar_app.models import (
    ABSTRACT_MAX_LENGTH,
    AgendaItem,
    AgendaKind,
    BackgroundNote,
    Module,
    ModuleStatus,
    Registration,
    Series,
    Speaker,
)
from webinar_app.notes.services import CheckedPdf
from webinar_app.registration import notifications

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[a-zA-Z]{2})?$")
MAX_DURATION_MINUTES = 720
MAX_MODULE_NUMBER = 999
MAX_CAPACITY = 100_000
RESERVED_SLUGS = frozenset({"new"})
EDITABLE_STATUSES = (ModuleStatus.DRAFT.value, ModuleStatus.SCHEDULED.value)


class ScheduleError(ValueError):
    """A scheduling rule was broken; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class SeriesData:
    """What an organiser types for a series."""

    slug: str
    title: str
    timezone: str
    short_description: str = ""
    description: str = ""
    organiser: str = ""
    chair: str = ""
    languages: str = "en"
    sender_email: str = ""
    sender_name: str = ""
    title_fr: str = ""
    short_description_fr: str = ""
    description_fr: str = ""


@dataclass
class ModuleData:
    """What an organiser types for a module; datetimes are aware UTC."""

    number: int
    title: str
    pillar: str = ""
    thematic_focus: str = ""
    description: str = ""
    title_fr: str = ""
    pillar_fr: str = ""
    thematic_focus_fr: str = ""
    description_fr: str = ""
    starts_at: datetime | None = None
    duration_minutes: int = 120
    status: str | None = ModuleStatus.DRAFT.value
    capacity: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    join_url: str = ""
    is_chatham_house: bool = False


@dataclass
class SpeakerData:
    name: str = ""
    role: str = ""
    organisation: str = ""


@dataclass
class AgendaItemData:
    title: str
    kind: str = AgendaKind.PANEL.value
    start_offset_minutes: int = 0
    speakers: list[SpeakerData] = field(default_factory=list)
    title_fr: str = ""


@dataclass
class NoteData:
    """What an organiser types for a background note; `pdf` is a checked upload or None."""

    title: str
    language: str = "en"
    abstract: str = ""
    external_url: str = ""
    pdf: CheckedPdf | None = None
    is_published: bool = True
    is_prereading: bool = True
    title_fr: str = ""
    abstract_fr: str = ""


# --- series -----------------------------------------------------------------------------


def _french(data: object, *fields: str) -> dict[str, str | None]:
    """The French versions of fields as column values: stripped text, or None when empty."""
    return {f"{f}_fr": (getattr(data, f"{f}_fr", "") or "").strip() or None for f in fields}


def get_series(slug: str) -> Series | None:
    """The series with this slug, or None."""
    return db.session.scalar(select(Series).where(Series.slug == slug))


def list_series() -> list[Series]:
    """Every series, newest first."""
    return list(db.session.scalars(select(Series).order_by(Series.created_at.desc(), Series.id)))


def create_series(data: SeriesData) -> Series:
    """A new series after checking slug, time zone and sender address."""
    values = _checked_series(data, None)
    series = Series(**values)
    db.session.add(series)
    db.session.flush()
    return series


def update_series(series: Series, data: SeriesData) -> Series:
    """Change a series after the same checks as create_series."""
    for name, value in _checked_series(data, series).items():
        setattr(series, name, value)
    db.session.flush()
    return series


def _checked_series(data: SeriesData, current: Series | None) -> dict:
    slug = (data.slug or "").strip()
    if not SLUG_RE.match(slug):
        raise ScheduleError(
            "slug",
            _("Use only lower-case letters a-z, digits 0-9 and single hyphens, e.g. thb-4ps."),
        )
    if slug in RESERVED_SLUGS:
        raise ScheduleError("slug", _("This slug is reserved; choose another."))
    taken = db.session.scalar(select(Series.id).where(Series.slug == slug))
    if taken and (current is None or taken != current.id):
        raise ScheduleError("slug", _("Another series already uses this slug."))
    if not (data.title or "").strip():
        raise ScheduleError("title", _("Give the series a title."))
    if not timefmt.is_valid_timezone((data.timezone or "").strip()):
        raise ScheduleError(
            "timezone", _("Unknown time zone; use an IANA name such as Europe/Brussels.")
        )
    sender = (data.sender_email or "").strip()
    if sender:
        try:
            sender = validate_email(sender, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ScheduleError("sender_email", _("This is not a valid email address.")) from None
    languages = ",".join(
        code.strip().lower() for code in (data.languages or "en").split(",") if code.strip()
    )
    if not languages or not all(LANGUAGE_RE.match(code) for code in languages.split(",")):
        raise ScheduleError("languages", _("List language codes separated by commas, e.g. en,fr."))
    return dict(
        slug=slug,
        title=data.title.strip(),
        timezone=data.timezone.strip(),
        short_description=(data.short_description or "").strip(),
        description=(data.description or "").strip(),
        organiser=(data.organiser or "").strip(),
        chair=(data.chair or "").strip(),
        languages=languages,
        sender_email=sender,
        sender_name=(data.sender_name or "").strip(),
        **_french(data, "title", "short_description", "description"),
    )


# --- modules ------------------------------------------------------------------------------


def get_module(series: Series, number: int) -> Module | None:
    """The module with this number in the series, or None."""
    return db.session.scalar(
        select(Module).where(Module.series_id == series.id, Module.number == number)
    )


def next_module_number(series: Series) -> int:
    """One more than the highest module number of the series."""
    highest = db.session.scalar(
        select(func.max(Module.number)).where(Module.series_id == series.id)
    )
    return (highest or 0) + 1


def create_module(series: Series, data: ModuleData) -> Module:
    """A new module of the series after checking number, duration, window and join URL."""
    _check_module(series, data, None)
    module = Module(
        series=series,
        number=data.number,
        status=data.status or ModuleStatus.DRAFT.value,
        **_module_fields(data),
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        capacity=data.capacity,
    )
    db.session.add(module)
    db.session.flush()
    record_event("module.created", module=module, summary=_(
        "Added module %(number)s (%(status)s, start %(when)s)", number=module.number,
        status=module.status, when=_audit_time(module.starts_at, module)),
        details={"module_number": module.number, "status": module.status,
                 "starts_at": module.starts_at})
    return module


@dataclass
class ModuleUpdatePlan:
    """What saving an edit of a module would do, before it is saved: the change, the
    registration window after it, and who would be emailed."""

    data: ModuleData
    change: ModuleChange
    registered: list[Registration]
    waiting: list[Registration]

    @property
    def needs_confirmation(self) -> bool:
        """True when saving would email someone."""
        return bool(self.registered or self.waiting)

    @property
    def email_count(self) -> int:
        """How many people saving would email."""
        return len(self.registered) + len(self.waiting)


def plan_module_update(module: Module, data: ModuleData) -> ModuleUpdatePlan:
    """Check an edit and say what saving it would change and whom it would email; changes
    nothing. A new time moves the registration window as reschedule_module does, unless the
    organiser typed a new window."""
    data = _same_minute_kept(module, data)
    if data.starts_at != module.starts_at or data.duration_minutes != module.duration_minutes:
        _check_movable(module)
    change = ModuleChange(previous=CalendarFields.of(module), current=_calendar_fields(data))
    if (
        data.starts_at is not None
        and data.registration_opens_at == module.registration_opens_at
        and data.registration_closes_at == module.registration_closes_at
    ):
        opens_at, closes_at = _moved_window(module, data.starts_at)
        change.moved_opens_at = opens_at if opens_at != module.registration_opens_at else None
        change.moved_closes_at = closes_at if closes_at != module.registration_closes_at else None
        data = replace(data, registration_opens_at=opens_at, registration_closes_at=closes_at)
    _check_module(module.series, data, module)
    registered, waiting = notifications.people_to_email(module, change)
    return ModuleUpdatePlan(data=data, change=change, registered=registered, waiting=waiting)


def update_module(module: Module, data: ModuleData) -> ModuleChange:
    """Change a module. A change people's calendars show (number, pillar or title in either
    language, time, duration, join link) raises SEQUENCE once and emails an update (see
    notifications.notify_module_changed); a new capacity goes through set_capacity, so waiting
    lists move. Other fields change nothing in calendars and send nothing."""
    plan = plan_module_update(module, data)
    data, change = plan.data, plan.change
    module.number = data.number
    for name, value in _module_fields(data).items():
        setattr(module, name, value)
    if data.status and module.status in EDITABLE_STATUSES and data.status != module.status:
        record_event("module.published" if data.status == ModuleStatus.SCHEDULED else
                     "module.unpublished", module=module, summary=_(
                         "Changed module %(number)s from %(old)s to %(new)s", number=data.number,
                         old=module.status, new=data.status),
                     details={"module_number": data.number, "old_status": module.status,
                              "new_status": data.status})
        module.status = data.status
    module.starts_at = data.starts_at
    module.duration_minutes = data.duration_minutes
    change.current = CalendarFields.of(module)
    if change.is_calendar_changed:
        _announce(module, change)
        record_event("module.updated", module=module, people=_emailed(change), summary=_(
            "Edited module %(number)s; calendar update sent (start %(new)s)",
            number=module.number, new=_audit_time(module.starts_at, module)),
            details=_change_details(module, change, change.previous.starts_at))
    if data.capacity != module.capacity:
        set_capacity(module, data.capacity)
    db.session.flush()
    return change


def module_audience(module: Module) -> tuple[int, int]:
    """(registered, waiting): how many people a change or cancellation of the module emails."""
    registered, waiting = notifications.people_to_tell(module)
    return len(registered), len(waiting)


def _calendar_fields(data: ModuleData) -> CalendarFields:
    fields = _module_fields(data)
    return CalendarFields(
        number=data.number,
        pillar=fields["pillar"],
        pillar_fr=fields["pillar_fr"],
        title=fields["title"],
        title_fr=fields["title_fr"],
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        join_url=fields["join_url"],
    )


def _same_minute(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def _same_minute_kept(module: Module, data: ModuleData) -> ModuleData:
    """Forms show times to the minute: a time typed back unchanged keeps its stored seconds."""
    kept = {
        name: getattr(module, name)
        for name in ("starts_at", "registration_opens_at", "registration_closes_at")
        if _same_minute(getattr(data, name), getattr(module, name))
    }
    return replace(data, **kept)


def _module_fields(data: ModuleData) -> dict:
    return dict(
        title=data.title.strip(),
        pillar=(data.pillar or "").strip(),
        thematic_focus=(data.thematic_focus or "").strip(),
        description=(data.description or "").strip(),
        **_french(data, "title", "pillar", "thematic_focus", "description"),
        registration_opens_at=data.registration_opens_at,
        registration_closes_at=data.registration_closes_at,
        join_url=(data.join_url or "").strip(),
        is_chatham_house=bool(data.is_chatham_house),
    )


def _check_module(series: Series, data: ModuleData, current: Module | None) -> None:
    if data.number is None or not 1 <= data.number <= MAX_MODULE_NUMBER:
        raise ScheduleError(
            "number", _("The module number must be between 1 and %(max)s.", max=MAX_MODULE_NUMBER)
        )
    taken = db.session.scalar(
        select(Module.id).where(Module.series_id == series.id, Module.number == data.number)
    )
    if taken and (current is None or taken != current.id):
        raise ScheduleError(
            "number", _("Module %(number)s already exists in this series.", number=data.number)
        )
    if not (data.title or "").strip():
        raise ScheduleError("title", _("Give the module a title."))
    _check_duration(data.duration_minutes)
    if data.status and data.status not in EDITABLE_STATUSES:
        raise ScheduleError("status", _("Choose draft or scheduled."))
    if data.status == ModuleStatus.SCHEDULED and data.starts_at is None:
        raise ScheduleError("starts_at", _("A scheduled module needs a start time."))
    _check_window(data.starts_at, data.registration_opens_at, data.registration_closes_at)
    _check_capacity(data.capacity)
    join_url = (data.join_url or "").strip()
    if join_url and not _is_https_url(join_url):
        raise ScheduleError(
            "join_url", _("The join link must start with https:// (e.g. a Zoom or Teams link).")
        )


def _check_duration(minutes: int | None) -> None:
    if minutes is None or not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise ScheduleError(
            "duration_minutes",
            _("The duration must be between 1 minute and 12 hours (720 minutes)."),
        )


def _check_window(
    starts_at: datetime | None, opens_at: datetime | None, closes_at: datetime | None
) -> None:
    if closes_at and starts_at and closes_at > starts_at:
        raise ScheduleError(
            "registration_closes_at", _("Registration must close at or before the start.")
        )
    if opens_at and closes_at and opens_at >= closes_at:
        raise ScheduleError(
            "registration_opens_at", _("Registration must open before it closes.")
        )


def _check_capacity(capacity: int | None) -> None:
    if capacity is not None and capacity < 0:
        raise ScheduleError("capacity", _("The capacity cannot be negative."))
    if capacity is not None and capacity > MAX_CAPACITY:
        raise ScheduleError(
            "capacity", _("The capacity can be at most %(max)s seats.", max=MAX_CAPACITY)
        )


def _is_https_url(url: str) -> bool:
    return bool(re.match(r"^https://[^\s/?#]+\.[^\s/?#]+[^\s]*$", url, re.IGNORECASE))


def _check_movable(module: Module) -> None:
    if module.is_cancelled:
        raise ScheduleError("starts_at", _("A cancelled module cannot be rescheduled."))
    if module.status == ModuleStatus.HELD:
        raise ScheduleError("starts_at", _("A module that was held cannot be rescheduled."))


def _moved_window(
    module: Module, new_starts_at: datetime, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """(opens, closes): the registration window after the start moves to new_starts_at.

    - A closing at or after the old start moves with the start, keeping its offset, and never
      later than the new start (the demo closes at the start: it stays at the start).
    - A closing before the old start that would fall after the new start keeps its lead time
      before the start (it moves by as much as the start). If that moment has already passed,
      registration closes at the new start instead, so a move never closes registration by
      surprise.
    - Any other closing stays where it is.
    - An opening at or after the moved closing moves by as much as the start.
    """
    opens_at, closes_at, old = (
        module.registration_opens_at,
        module.registration_closes_at,
        module.starts_at,
    )
    if closes_at is None or old is None or new_starts_at == old:
        return opens_at, closes_at
    if closes_at < old and closes_at <= new_starts_at:
        return opens_at, closes_at
    shift = new_starts_at - old
    moved = min(closes_at + shift, new_starts_at)
    if closes_at < old and moved < (now or timefmt.now_utc()):
        moved = new_starts_at
    if opens_at is not None and opens_at >= moved:
        opens_at = opens_at + shift
    return opens_at, moved


def reschedule_module(
    module: Module,
    new_starts_at: datetime,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> ModuleChange:
    """Move a module: SEQUENCE rises, registrants get an updated invitation and people on the
    waiting list a plain email.

    The registration window follows the start (see _moved_window): a closing at or after the
    old start moves with it; a closing before the old start that would fall after the new start
    keeps its lead time (or closes at the new start if that moment has passed). Moves are
    recorded on the returned change (moved_opens_at, moved_closes_at) for the caller to report.
    """
    if new_starts_at.tzinfo is None:
        raise ScheduleError("starts_at", _("The new start needs a time zone."))
    _check_movable(module)
    duration = module.duration_minutes if duration_minutes is None else duration_minutes
    _check_duration(duration)
    opens_at, closes_at = _moved_window(module, new_starts_at, now)
    _check_window(new_starts_at, opens_at, closes_at)
    change = ModuleChange(previous=CalendarFields.of(module), current=CalendarFields.of(module))
    if module.starts_at == new_starts_at and duration == module.duration_minutes:
        return change
    if opens_at != module.registration_opens_at:
        change.moved_opens_at = module.registration_opens_at = opens_at
    if closes_at != module.registration_closes_at:
        change.moved_closes_at = module.registration_closes_at = closes_at
    old_starts_at = module.starts_at
    module.starts_at = new_starts_at
    module.duration_minutes = duration
    change.current = CalendarFields.of(module)
    _announce(module, change)
    record_event("module.rescheduled", module=module, people=_emailed(change), summary=_(
        "Rescheduled module %(number)s from %(old)s to %(new)s",
        number=module.number, old=_audit_time(old_starts_at, module), new=_audit_time(
            new_starts_at, module)), details=_change_details(module, change, old_starts_at))
    return change


def _emailed(change: ModuleChange) -> int:
    return change.registered_emailed + change.waiting_emailed


def _audit_time(at: datetime | None, module: Module) -> str:
    """A time for the audit log, in the series' zone with the zone named."""
    if at is None:
        return _("no time")
    return f"{timefmt.fmt_short(at, module.series.timezone)} ({module.series.timezone})"


def _change_details(module: Module, change: ModuleChange, old_starts_at: datetime | None) -> dict:
    """Counts and old/new times of a module change for the audit log (no names)."""
    return {
        "module_number": module.number,
        "old_starts_at": old_starts_at,
        "new_starts_at": module.starts_at,
        "old_duration_minutes": change.previous.duration_minutes,
        "new_duration_minutes": module.duration_minutes,
        "registered_emailed": change.registered_emailed,
        "waiting_emailed": change.waiting_emailed,
    }


def _announce(module: Module, change: ModuleChange) -> None:
    """Raise SEQUENCE once for a change calendars show, and tell the people concerned."""
    module.sequence += 1
    db.session.flush()
    notifications.notify_module_changed(module, change)


def cancel_module(module: Module) -> int:
    """Cancel a module: status cancelled, SEQUENCE raised; registrants get a CANCEL and people
    on the waiting list a plain email. Returns how many emails were queued."""
    if module.is_cancelled:
        raise ScheduleError("status", _("The module is already cancelled."))
    if module.status == ModuleStatus.HELD:
        raise ScheduleError("status", _("A module that was held cannot be cancelled."))
    module.status = ModuleStatus.CANCELLED.value
    module.sequence += 1
    db.session.flush()
    emailed = notifications.notify_module_cancelled(module)
    record_event("module.cancelled", module=module, people=emailed, summary=_(
        "Cancelled module %(number)s (was %(when)s)", number=module.number,
        when=_audit_time(module.starts_at, module)),
        details={"module_number": module.number, "starts_at": module.starts_at,
                 "emails_queued": emailed})
    return emailed


def mark_held(module: Module) -> int:
    """Record that a module took place: only once its end has passed, never when cancelled.
    Queues the follow-ups of an already published summary; returns how many were queued."""
    if module.is_cancelled:
        raise ScheduleError("status", _("A cancelled module cannot be marked as held."))
    if module.status == ModuleStatus.HELD:
        raise ScheduleError("status", _("The module is already marked as held."))
    try:
        module_life.check_can_become_held(module, module_life.Purpose.HELD)
    except module_life.ModuleLifeError as error:
        raise ScheduleError("status", error.message) from error
    module.status = ModuleStatus.HELD.value
    db.session.flush()
    queued = queue_published_followups(module)
    record_event("module.held", module=module, people=queued, summary=ngettext(
        "Marked module %(number)s as held; %(num)d follow-up email queued",
        "Marked module %(number)s as held; %(num)d follow-up emails queued", queued,
        number=module.number),
        details={"module_number": module.number, "followups_queued": queued})
    return queued


def module_registration_count(module: Module) -> int:
    """Every registration of the module, cancelled and waiting ones included."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(Registration.module_id == module.id)
    ) or 0


def module_deletion_refusal(module: Module) -> str | None:
    """Why the module cannot be deleted (a module with registrations is cancelled), or None."""
    registrations = module_registration_count(module)
    if registrations:
        return ngettext(
            "Module %(number)s has %(num)d registration, so it cannot be deleted: cancel it "
            "instead, which removes it from the registrant's calendar and keeps the record.",
            "Module %(number)s has %(num)d registrations, so it cannot be deleted: cancel it "
            "instead, which removes it from the registrants' calendars and keeps the record.",
            registrations, number=module.number,
        )
    if module.status != ModuleStatus.DRAFT:
        return _(
            "Module %(number)s is no longer a draft: it has been public and may be in "
            "subscribed calendars. Only a draft module can be deleted; cancel this one instead.",
            number=module.number,
        )
    return None


def delete_module(module: Module) -> None:
    """Delete a draft module without registrations, with its agenda, notes and summary."""
    reason = module_deletion_refusal(module)
    if reason is not None:
        raise ScheduleError("status", reason)
    record_event("module.deleted", series=module.series, summary=_(
        "Deleted draft module %(number)s", number=module.number),
        details={"module_number": module.number, "module_id": module.id})
    module.series.modules.remove(module)
    db.session.flush()


def set_capacity(module: Module, capacity: int | None) -> int:
    """Set the seat limit (None: no limit); more seats promote people from the waiting list."""
    _check_capacity(capacity)
    previous = module.capacity
    module.capacity = capacity
    db.session.flush()
    grew = capacity is None and previous is not None
    grew = grew or (capacity is not None and previous is not None and capacity > previous)
    promoted = notifications.fill_freed_seats(module) if grew else 0
    if capacity != previous:
        record_event("module.capacity_changed", module=module, people=promoted, summary=_(
            "Changed the capacity of module %(number)s from %(old)s to %(new)s; "
            "%(num)s promoted from the waiting list", number=module.number,
            old=_seats(previous), new=_seats(capacity), num=promoted),
            details={"module_number": module.number, "old_capacity": previous,
                     "new_capacity": capacity, "promoted": promoted})
    return promoted


def _seats(capacity: int | None) -> str:
    return _("no limit") if capacity is None else str(capacity)


# --- agenda -----------------------------------------------------------------------------


def parse_speaker_lines(text: str) -> list[SpeakerData]:
    """Speakers from lines 'Name | Role | Organisation' (the name may be left empty)."""
    speakers = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3:
            raise ScheduleError(
                "speakers",
                _(
                    "Line %(line)s: write three parts separated by |, "
                    "Name | Role | Organisation (the name may be empty).",
                    line=number,
                ),
            )
        name, role, organisation = parts
        if not role and not organisation:
            raise ScheduleError(
                "speakers",
                _("Line %(line)s: give at least a role or an organisation.", line=number),
            )
        if max(len(name), len(role), len(organisation)) > 200:
            raise ScheduleError(
                "speakers", _("Line %(line)s: each part can have 200 characters.", line=number)
            )
        speakers.append(SpeakerData(name=name, role=role, organisation=organisation))
    return speakers


def speaker_lines(item: AgendaItem) -> str:
    """The speakers of an item as editable lines."""
    return "\n".join(f"{s.name} | {s.role} | {s.organisation}" for s in item.speakers)


def add_agenda_item(module: Module, data: AgendaItemData) -> AgendaItem:
    """Append an agenda item with its speakers at the end of the module's agenda."""
    _check_agenda_item(module, data)
    item = AgendaItem(module=module, position=len(module.agenda_items))
    _apply_agenda_item(item, data)
    db.session.add(item)
    db.session.flush()
    return item


def update_agenda_item(item: AgendaItem, data: AgendaItemData) -> AgendaItem:
    """Change an agenda item and replace its speakers."""
    _check_agenda_item(item.module, data)
    _apply_agenda_item(item, data)
    db.session.flush()
    return item


def delete_agenda_item(item: AgendaItem) -> None:
    """Remove an agenda item and close the gap in the order."""
    module = item.module
    module.agenda_items.remove(item)
    _renumber(module.agenda_items)
    db.session.flush()


def move_agenda_item(item: AgendaItem, offset: int) -> None:
    """Move an item up (-1) or down (+1) in the agenda."""
    items = list(item.module.agenda_items)
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    _renumber(items)
    db.session.flush()


def _renumber(items: list) -> None:
    for position, item in enumerate(items):
        item.position = position


def _check_agenda_item(module: Module, data: AgendaItemData) -> None:
    if not (data.title or "").strip():
        raise ScheduleError("title", _("Give the agenda item a title."))
    if data.kind not in {kind.value for kind in AgendaKind}:
        raise ScheduleError("kind", _("Choose a kind from the list."))
    offset = data.start_offset_minutes
    if offset is None or not 0 <= offset <= module.duration_minutes:
        raise ScheduleError(
            "start_offset_minutes",
            _(
                "The start must be between 0 and %(duration)s minutes after the module begins.",
                duration=module.duration_minutes,
            ),
        )


def _apply_agenda_item(item: AgendaItem, data: AgendaItemData) -> None:
    item.title = data.title.strip()
    item.title_fr = _french(data, "title")["title_fr"]
    item.kind = data.kind
    item.start_offset_minutes = data.start_offset_minutes
    item.speakers.clear()
    for position, speaker in enumerate(data.speakers):
        item.speakers.append(
            Speaker(
                position=position,
                name=speaker.name.strip(),
                role=speaker.role.strip(),
                organisation=speaker.organisation.strip(),
            )
        )


# --- background notes -------------------------------------------------------------------


def add_note(module: Module, data: NoteData) -> BackgroundNote:
    """Attach a background note: exactly one of an uploaded PDF or an https link."""
    _check_note(data, None)
    note = BackgroundNote(module=module, position=len(module.notes))
    _apply_note(note, data)
    db.session.add(note)
    db.session.flush()
    return note


def update_note(note: BackgroundNote, data: NoteData) -> BackgroundNote:
    """Change a note; a new PDF replaces the file, a link replaces a file, else the file stays."""
    _check_note(data, note)
    _apply_note(note, data)
    db.session.flush()
    return note


def set_note_published(note: BackgroundNote, is_published: bool) -> None:
    """Publish or unpublish a note; unpublished notes are hidden from the public."""
    note.is_published = is_published
    db.session.flush()


def delete_note(note: BackgroundNote) -> None:
    """Remove a note and its file."""
    module = note.module
    module.notes.remove(note)
    _renumber(module.notes)
    db.session.flush()


def _check_note(data: NoteData, current: BackgroundNote | None) -> None:
    if not (data.title or "").strip():
        raise ScheduleError("title", _("Give the note a title."))
    if len(data.title.strip()) > 300:
        raise ScheduleError("title", _("The title can have 300 characters."))
    if not LANGUAGE_RE.match(data.language or ""):
        raise ScheduleError("language", _("Choose a language."))
    if len(data.abstract or "") > ABSTRACT_MAX_LENGTH:
        raise ScheduleError(
            "abstract",
            _(
                "The abstract can have at most %(max)s characters; it has %(count)s.",
                max=ABSTRACT_MAX_LENGTH,
                count=len(data.abstract),
            ),
        )
    url = (data.external_url or "").strip()
    if url and data.pdf:
        raise ScheduleError("file", _("Give either a PDF or a link, not both."))
    if url and not _is_https_url(url):
        raise ScheduleError("external_url", _("The link must start with https://."))
    if len(url) > 500:
        raise ScheduleError("external_url", _("The link can have 500 characters."))
    if not url and not data.pdf and (current is None or not current.has_file):
        raise ScheduleError("file", _("Upload a PDF or give an https link."))


def _apply_note(note: BackgroundNote, data: NoteData) -> None:
    note.title = data.title.strip()
    note.language = data.language
    note.abstract = (data.abstract or "").strip()
    note.title_fr, note.abstract_fr = _french(data, "title", "abstract").values()
    note.is_published = data.is_published
    note.is_prereading = data.is_prereading
    url = (data.external_url or "").strip()
    if data.pdf:
        _store_pdf(note, data.pdf)
    elif url:
        note.external_url = url
        note.file_name = note.file_size = note.file_sha256 = note.file_pages = None
        note.file_data = None


def _store_pdf(note: BackgroundNote, pdf: CheckedPdf) -> None:
    note.external_url = None
    note.file_data = pdf.data
    note.file_name = pdf.file_name
    note.file_size = pdf.size
    note.file_sha256 = pdf.sha256
    note.file_pages = pdf.pages
