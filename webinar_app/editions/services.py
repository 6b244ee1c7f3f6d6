"""A new edition of a series: its programme copied under a new slug, title and dates.

What is copied: the series' settings and texts (English and French), each module with its
agenda, speakers, capacity, duration, Chatham House flag, the reminders switched off for it,
and registration window (the same offsets before the module's start), and on request the
pre-reading notes with their files.
What never is: people (participants, registrations, invitees, campaigns, attendance, consents),
summaries, emails and Reader builds, and join links (one per meeting). New modules get new
calendar UIDs and sequence 0.

Dates are wall-clock times in the series' time zone: the new modules keep the source's spacing
in local dates and times, so a module at 14:00 Brussels time stays at 14:00 across a change to
or from summer time. Functions flush at most and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _

from webinar_app import timefmt
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Module,
    ModuleStatus,
    Series,
    Speaker,
)
from webinar_app.schedule import services as schedule
from webinar_app.schedule.services import ModuleData, ScheduleError, SeriesData

MIN_YEAR = 2000
MAX_YEAR = 2100


@dataclass
class EditionRequest:
    """What the organiser asks for; datetimes are naive wall-clock times in the series' zone."""

    slug: str
    title: str
    first_starts_at: datetime | None = None
    starts_by_number: dict[int, datetime] = field(default_factory=dict)
    with_notes: bool = False
    title_fr: str | None = None


@dataclass
class CopiedModule:
    """One module of the new edition, for the result page and the command's output."""

    number: int
    title: str
    starts_at: datetime | None
    agenda_items: int
    speakers: int
    notes: int


@dataclass
class EditionResult:
    """The new series and what went into it."""

    series: Series
    modules: list[CopiedModule]
    with_notes: bool

    @property
    def agenda_items(self) -> int:
        return sum(m.agenda_items for m in self.modules)

    @property
    def speakers(self) -> int:
        return sum(m.speakers for m in self.modules)

    @property
    def notes(self) -> int:
        return sum(m.notes for m in self.modules)

    @property
    def unscheduled(self) -> list[int]:
        """Numbers of the modules left without a date (drafts)."""
        return [m.number for m in self.modules if m.starts_at is None]


def local_start(module: Module) -> datetime | None:
    """The module's start as a naive wall-clock time in its series' zone."""
    if module.starts_at is None:
        return None
    return timefmt.local(module.starts_at, module.series.timezone).replace(tzinfo=None)


def planned_starts(source: Series, first_starts_at: datetime | None) -> dict[int, datetime | None]:
    """Each module's new local start: the source's spacing in local time, the earliest module
    moved to first_starts_at (None for modules without a date, or without first_starts_at)."""
    starts = {m.number: local_start(m) for m in source.modules}
    dated = [start for start in starts.values() if start is not None]
    if first_starts_at is None or not dated:
        return dict.fromkeys(starts)
    return {
        number: None if start is None else first_starts_at + (start - min(dated))
        for number, start in starts.items()
    }


def copy_series(source: Series, request: EditionRequest) -> EditionResult:
    """Create the new edition of source as asked; raises ScheduleError naming a field."""
    starts = _new_starts(source, request)
    series = schedule.create_series(_series_data(source, request))
    series.reminder_offsets = source.reminder_offsets
    series.retention_days = source.retention_days
    copied = [
        _copy_module(series, module, starts[module.number], request.with_notes)
        for module in source.modules
    ]
    db.session.flush()
    return EditionResult(series=series, modules=copied, with_notes=request.with_notes)


def _new_starts(source: Series, request: EditionRequest) -> dict[int, datetime | None]:
    """The local start of each new module after checking the dates asked for."""
    _check_year("first_starts_at", request.first_starts_at)
    numbers = {m.number for m in source.modules}
    for number, start in request.starts_by_number.items():
        if number not in numbers:
            raise ScheduleError(
                "first_starts_at", _("The series has no module %(number)s.", number=number)
            )
        _check_year(f"module_{number}", start)
    starts = planned_starts(source, request.first_starts_at)
    for start in starts.values():
        _check_year("first_starts_at", start)
    starts.update(request.starts_by_number)
    missing = [
        m.number for m in source.modules
        if m.starts_at is not None and starts[m.number] is None
    ]
    if missing:
        raise ScheduleError(
            "first_starts_at",
            _("Give the start of the first module: the other dates follow from it."),
        )
    return starts


def _check_year(field_name: str, value: datetime | None) -> None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ScheduleError(field_name, _("Give a date between the years 2000 and 2100."))


def _series_data(source: Series, request: EditionRequest) -> SeriesData:
    title_fr = source.title_fr if request.title_fr is None else request.title_fr
    return SeriesData(
        slug=request.slug,
        title=request.title,
        timezone=source.timezone,
        short_description=source.short_description,
        description=source.description,
        organiser=source.organiser,
        chair=source.chair,
        languages=source.languages,
        sender_email=source.sender_email,
        sender_name=source.sender_name,
        title_fr=title_fr or "",
        short_description_fr=source.short_description_fr or "",
        description_fr=source.description_fr or "",
    )


def _copy_module(
    series: Series, source: Module, local_starts_at: datetime | None, with_notes: bool
) -> CopiedModule:
    """One module of the new edition with its agenda (and notes), scheduled when it has a date."""
    tz = series.timezone
    starts_at = timefmt.parse_local(local_starts_at, tz) if local_starts_at else None
    opens_at, closes_at = _moved_window(source, local_starts_at, tz)
    is_draft = starts_at is None or source.status == ModuleStatus.DRAFT
    module = schedule.create_module(series, ModuleData(
        number=source.number,
        title=source.title,
        pillar=source.pillar,
        thematic_focus=source.thematic_focus,
        description=source.description,
        title_fr=source.title_fr or "",
        pillar_fr=source.pillar_fr or "",
        thematic_focus_fr=source.thematic_focus_fr or "",
        description_fr=source.description_fr or "",
        starts_at=starts_at,
        duration_minutes=source.duration_minutes,
        status=ModuleStatus.DRAFT.value if is_draft else ModuleStatus.SCHEDULED.value,
        capacity=source.capacity,
        registration_opens_at=opens_at,
        registration_closes_at=closes_at,
        join_url="",
        is_chatham_house=source.is_chatham_house,
    ))
    module.reminders_off = source.reminders_off
    module.agenda_items = [_copy_agenda_item(item) for item in source.agenda_items]
    if with_notes:
        module.notes = [_copy_note(note) for note in source.notes]
    return CopiedModule(
        number=module.number,
        title=module.title,
        starts_at=starts_at,
        agenda_items=len(module.agenda_items),
        speakers=sum(len(item.speakers) for item in module.agenda_items),
        notes=len(module.notes) if with_notes else 0,
    )


def _moved_window(
    source: Module, local_starts_at: datetime | None, tz: str
) -> tuple[datetime | None, datetime | None]:
    """The source's registration window at the same local offsets before the new start."""
    old_start = local_start(source)
    if local_starts_at is None or old_start is None:
        return None, None

    def moved(at: datetime | None) -> datetime | None:
        if at is None:
            return None
        before = old_start - timefmt.local(at, tz).replace(tzinfo=None)
        return timefmt.parse_local(local_starts_at - before, tz)

    return moved(source.registration_opens_at), moved(source.registration_closes_at)


def _copy_agenda_item(item: AgendaItem) -> AgendaItem:
    return AgendaItem(
        position=item.position,
        start_offset_minutes=item.start_offset_minutes,
        kind=item.kind,
        title=item.title,
        title_fr=item.title_fr,
        speakers=[
            Speaker(
                position=speaker.position,
                name=speaker.name,
                role=speaker.role,
                organisation=speaker.organisation,
            )
            for speaker in item.speakers
        ],
    )


def _copy_note(note: BackgroundNote) -> BackgroundNote:
    return BackgroundNote(
        position=note.position,
        title=note.title,
        language=note.language,
        abstract=note.abstract,
        title_fr=note.title_fr,
        abstract_fr=note.abstract_fr,
        external_url=note.external_url,
        is_published=note.is_published,
        is_prereading=note.is_prereading,
        file_name=note.file_name,
        file_size=note.file_size,
        file_sha256=note.file_sha256,
        file_pages=note.file_pages,
        file_data=note.file_data,
    )


@dataclass
class Suggestion:
    """What the new-edition form offers at first: the next year's dates, slug and title."""

    first_starts_at: datetime | None
    slug: str
    title: str


def suggest_edition(source: Series, today: datetime) -> Suggestion:
    """The source's first start moved by whole years of 52 weeks (same weekday) past today."""
    dated = [start for start in (local_start(m) for m in source.modules) if start is not None]
    if not dated:
        return Suggestion(None, "", source.title)
    first = min(dated)
    year = timedelta(weeks=52)
    steps = max(1, -((first - today) // year))
    suggested = first + steps * year
    old, new = str(first.year), str(suggested.year)
    slug = re.sub(rf"-{old}$", "", source.slug) + f"-{new}"
    title = source.title.replace(old, new) if old in source.title else source.title
    return Suggestion(suggested, slug, title)
