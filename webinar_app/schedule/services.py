"""Rules for series, modules, agendas and background notes; shared by the admin pages and the CLI.

Every function flushes at most and never commits; a broken rule raises ScheduleError naming the
form field the message belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from webinar_app import timefmt
from webinar_app.extensions import db
from webinar_app.models import (
    ABSTRACT_MAX_LENGTH,
    AgendaItem,
    AgendaKind,
    BackgroundNote,
    Module,
    ModuleStatus,
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
    return module


def update_module(module: Module, data: ModuleData) -> Module:
    """Change a module; a new time goes through reschedule_module, a new capacity through
    set_capacity, so registrants are told and waiting lists move."""
    _check_module(module.series, data, module)
    module.number = data.number
    for name, value in _module_fields(data).items():
        setattr(module, name, value)
    if data.status and module.status in EDITABLE_STATUSES:
        module.status = data.status
    if data.starts_at is not None and (
        data.starts_at != module.starts_at or data.duration_minutes != module.duration_minutes
    ):
        reschedule_module(module, data.starts_at, data.duration_minutes)
    elif data.starts_at is None:
        module.starts_at = None
        module.duration_minutes = data.duration_minutes
    if data.capacity != module.capacity:
        set_capacity(module, data.capacity)
    db.session.flush()
    return module


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


def reschedule_module(
    module: Module, new_starts_at: datetime, duration_minutes: int | None = None
) -> bool:
    """Move a module; a change of time or length raises SEQUENCE and updates registrants."""
    if new_starts_at.tzinfo is None:
        raise ScheduleError("starts_at", _("The new start needs a time zone."))
    if module.is_cancelled:
        raise ScheduleError("starts_at", _("A cancelled module cannot be rescheduled."))
    if module.status == ModuleStatus.HELD:
        raise ScheduleError("starts_at", _("A module that was held cannot be rescheduled."))
    duration = module.duration_minutes if duration_minutes is None else duration_minutes
    _check_duration(duration)
    _check_window(new_starts_at, module.registration_opens_at, module.registration_closes_at)
    previous = module.starts_at
    if previous == new_starts_at and duration == module.duration_minutes:
        return False
    module.starts_at = new_starts_at
    module.duration_minutes = duration
    module.sequence += 1
    db.session.flush()
    notifications.notify_module_rescheduled(module, previous)
    return True


def cancel_module(module: Module) -> None:
    """Cancel a module: status cancelled, SEQUENCE raised, registrants told."""
    if module.is_cancelled:
        raise ScheduleError("status", _("The module is already cancelled."))
    if module.status == ModuleStatus.HELD:
        raise ScheduleError("status", _("A module that was held cannot be cancelled."))
    module.status = ModuleStatus.CANCELLED.value
    module.sequence += 1
    db.session.flush()
    notifications.notify_module_cancelled(module)


def mark_held(module: Module, now: datetime | None = None) -> None:
    """Record that a module took place; only after its start and never when cancelled."""
    if module.is_cancelled:
        raise ScheduleError("status", _("A cancelled module cannot be marked as held."))
    if module.status == ModuleStatus.HELD:
        raise ScheduleError("status", _("The module is already marked as held."))
    if module.starts_at is None or module.starts_at > (now or timefmt.now_utc()):
        raise ScheduleError("status", _("A module can be marked as held only after it starts."))
    module.status = ModuleStatus.HELD.value
    db.session.flush()


def set_capacity(module: Module, capacity: int | None) -> int:
    """Set the seat limit (None: no limit); more seats promote people from the waiting list."""
    _check_capacity(capacity)
    previous = module.capacity
    module.capacity = capacity
    db.session.flush()
    grew = capacity is None and previous is not None
    grew = grew or (capacity is not None and previous is not None and capacity > previous)
    return notifications.fill_freed_seats(module) if grew else 0


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


def reorder_agenda_items(module: Module, item_ids: list[int]) -> None:
    """Put the agenda in the given order of item ids (every item exactly once)."""
    by_id = {item.id: item for item in module.agenda_items}
    if sorted(item_ids) != sorted(by_id):
        raise ScheduleError("order", _("The new order must list every agenda item once."))
    _renumber([by_id[item_id] for item_id in item_ids])
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


def replace_note_file(note: BackgroundNote, pdf: CheckedPdf) -> BackgroundNote:
    """Put a new PDF in place of the note's file or link."""
    _store_pdf(note, pdf)
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
