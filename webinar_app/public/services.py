"""Read-only queries for the public pages and the API, and display-ready views of their results.

Every query here loads a constant number of rows sets (selectinload), and none of them loads
BackgroundNote.file_data: only `note_file_data` does, for the download route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from babel import Locale, UnknownLocaleError
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.utils import secure_filename

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.core.module_life import is_held, is_open_for_registration
from webinar_app.core.speakers import SpeakerCredit, speaker_credits
from webinar_app.core.urls import external_url
from webinar_app.extensions import db
from webinar_app.i18n import localized, sort_for_people
from webinar_app.models import AgendaItem, BackgroundNote, Module, ModuleStatus, Series

# --------------------------------------------------------------------------- queries


def list_series() -> list[Series]:
    """Every series with its modules (drafts included: filter with `public_modules`)."""
    stmt = select(Series).order_by(Series.title).options(selectinload(Series.modules))
    return list(db.session.scalars(stmt))


def public_modules(series: Series) -> list[Module]:
    """The series' modules the public may see, in order (already loaded modules only)."""
    return [m for m in series.modules if m.status != ModuleStatus.DRAFT]


def current_series(all_series: list[Series], now: datetime) -> Series | None:
    """The one series with a scheduled module still to come, or None if none or several."""
    current = [
        s
        for s in all_series
        if any(
            m.status == ModuleStatus.SCHEDULED and m.starts_at and m.starts_at > now
            for m in s.modules
        )
    ]
    return current[0] if len(current) == 1 else None


def get_public_series(slug: str) -> Series | None:
    """The series with this slug, or None."""
    return db.session.scalars(select(Series).where(Series.slug == slug)).first()


def get_public_series_modules(series: Series, with_agenda: bool = False) -> list[Module]:
    """The series' non-draft modules in order, with their notes (and agenda) loaded."""
    options = [selectinload(Module.notes)]
    if with_agenda:
        options.append(selectinload(Module.agenda_items).selectinload(AgendaItem.speakers))
    stmt = (
        select(Module)
        .where(Module.series_id == series.id, Module.status != ModuleStatus.DRAFT.value)
        .order_by(Module.number)
        .options(*options)
    )
    return list(db.session.scalars(stmt))


def get_public_module(slug: str, number: int) -> Module | None:
    """The non-draft module `number` of the series `slug`, with series, agenda and notes."""
    stmt = (
        select(Module)
        .join(Module.series)
        .where(
            Series.slug == slug,
            Module.number == number,
            Module.status != ModuleStatus.DRAFT.value,
        )
        .options(
            contains_eager(Module.series),
            selectinload(Module.agenda_items).selectinload(AgendaItem.speakers),
            selectinload(Module.notes),
        )
    )
    return db.session.scalars(stmt).first()


def get_public_note(slug: str, number: int, note_id: int) -> BackgroundNote | None:
    """A published, uploaded note of a public module, without its file data."""
    stmt = (
        select(BackgroundNote)
        .join(BackgroundNote.module)
        .join(Module.series)
        .where(
            Series.slug == slug,
            Module.number == number,
            Module.status != ModuleStatus.DRAFT.value,
            BackgroundNote.id == note_id,
            BackgroundNote.is_published.is_(True),
            BackgroundNote.file_sha256.is_not(None),
        )
    )
    return db.session.scalars(stmt).first()


def note_file_data(note: BackgroundNote) -> bytes:
    """The stored PDF of a note: the only place that loads the blob."""
    stmt = select(BackgroundNote.file_data).where(BackgroundNote.id == note.id)
    return db.session.execute(stmt).scalar_one() or b""


# --------------------------------------------------------------------------- formatting


def human_size(size: int) -> str:
    """'412 KB' or '1.2 MB'."""
    return timefmt.human_size(size)


def note_filename(note: BackgroundNote) -> str:
    """A safe ASCII file name for a note's download, ending in .pdf."""
    base = secure_filename((note.file_name or "").removesuffix(".pdf").removesuffix(".PDF"))
    if not base:
        base = secure_filename(note.title)
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-._")[:80] or f"note-{note.id}"
    return f"{base}.pdf"


@cache
def language_name(code: str, locale: str) -> str:
    """'English' for 'en' (in the page's locale), or the code itself if unknown."""
    try:
        name = Locale.parse(code).get_display_name(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:] if name else code


def _zone_label(tz_name: str, dt: datetime) -> str:
    offset = timefmt.utc_offset(dt, tz_name)
    if tz_name == "UTC":
        return offset
    return _("%(city)s time, %(offset)s", city=timefmt.city_name(tz_name), offset=offset)


@dataclass(slots=True)
class ZonedSpan:
    """A start and end seen in one time zone, ready to print: 'Sunday 25 October 2026, 01:30
    (UTC+02:00)' – '02:30 (UTC+01:00)', '2 hours', 'Brussels time'."""

    start_iso: str
    end_iso: str
    date: str
    start_time: str
    end_time: str
    dash: str
    duration: str
    zone: str
    zone_name: str


def zoned_span(starts_at: datetime, ends_at: datetime, tz_name: str, locale: str) -> ZonedSpan:
    """The span starts_at..ends_at in tz_name: dates, times, ISO strings and zone label, with
    the next day and each end's offset when it crosses midnight or a clock change."""
    tz = timefmt.zone(tz_name)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    text = timefmt.span_text(starts_at, ends_at, tz_name, locale)
    zone = _zone_label(tz_name, start)
    if text.crosses_change:
        zone = "UTC" if tz_name == "UTC" else _("%(city)s time", city=timefmt.city_name(tz_name))
    return ZonedSpan(
        start_iso=start.isoformat(),
        end_iso=end.isoformat(),
        date=text.date,
        start_time=text.start,
        end_time=text.end,
        dash="–" if text.is_same_day and not text.crosses_change else " – ",
        duration=text.duration,
        zone=zone,
        zone_name=tz_name,
    )


def date_range(modules: list[Module], tz_name: str, locale: str) -> str:
    """'31 March 2027 – 30 June 2027' for the modules' dates, '' when none is dated."""
    starts = sorted(m.starts_at for m in modules if m.starts_at)
    if not starts:
        return ""
    first = timefmt.fmt_short_date(starts[0], tz_name, locale)
    last = timefmt.fmt_short_date(starts[-1], tz_name, locale)
    return first if first == last else f"{first} – {last}"


def paragraphs(text: str) -> list[str]:
    """Plain text split into paragraphs on blank lines."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def timezone_options(selected: str | None, first: list[str | None], locale: str) -> Markup:
    """The <optgroup>s and <option>s of the zone picker, `first` zones first, `selected`
    marked; zone names need no quotes and </option> is optional (5 KB less on slow lines)."""
    selected = timefmt.canonical_zone(selected)
    parts = []
    for label, options in timefmt.zone_groups(first, timefmt.now_utc(), locale):
        parts.append(f'<optgroup label="{escape(label)}">')
        for value, text in options:
            mark = " selected" if value == selected else ""
            parts.append(f"<option{mark} value={escape(value)}>{escape(text)}")
        parts.append("</optgroup>")
    return Markup("".join(parts))  # noqa: S704  (every part escaped above)


def status_label(status: str) -> str:
    """The visitor-facing name of a module status."""
    labels = {
        ModuleStatus.SCHEDULED.value: _("Scheduled"),
        ModuleStatus.CANCELLED.value: _("Cancelled"),
        ModuleStatus.HELD.value: _("Held"),
        ModuleStatus.DRAFT.value: _("Draft"),
    }
    return labels.get(status, status)


def agenda_kind_label(kind: str) -> str:
    """The visitor-facing name of an agenda item kind."""
    labels = {
        "opening": _("Opening"),
        "keynote": _("Keynote"),
        "panel": _("Panel"),
        "discussion": _("Discussion"),
        "closing": _("Closing"),
    }
    return labels.get(kind, kind.capitalize())


# --------------------------------------------------------------------------- views


@dataclass(slots=True)
class NoteView:
    id: int
    title: str
    language: str
    language_name: str
    abstract: str
    url: str
    is_external: bool
    is_prereading: bool
    type_label: str
    size_label: str
    link_label: str
    size: int | None


@dataclass(slots=True)
class AgendaView:
    time: str
    time_iso: str
    kind: str
    kind_label: str
    title: str
    speakers: list[SpeakerCredit]


@dataclass(slots=True)
class ModuleView:
    number: int
    pillar: str
    title: str
    thematic_focus: str
    description: list[str]
    status: str
    status_label: str
    is_chatham_house: bool
    url: str
    calendar_url: str
    register_url: str
    is_open_for_registration: bool
    span: ZonedSpan | None
    visitor_span: ZonedSpan | None
    duration_minutes: int
    notes: list[NoteView]
    agenda: list[AgendaView] = field(default_factory=list)
    calendar_links: ics.CalendarLinks | None = None
    recording_url: str = ""
    slides_url: str = ""

    @property
    def prereading(self) -> list[NoteView]:
        return [n for n in self.notes if n.is_prereading]

    @property
    def further_reading(self) -> list[NoteView]:
        return [n for n in self.notes if not n.is_prereading]


@dataclass(slots=True)
class SeriesView:
    slug: str
    title: str
    short_description: str
    description: list[str]
    organiser: str
    chair: str
    timezone: str
    url: str
    register_url: str
    calendar_url: str
    webcal_url: str
    date_range: str
    modules: list[ModuleView]

    @property
    def has_open_registration(self) -> bool:
        return any(m.is_open_for_registration for m in self.modules)


def note_url(slug: str, number: int, note: BackgroundNote) -> str:
    if note.external_url:
        return note.external_url
    return url_for(
        "public.note_download",
        slug=slug,
        number=number,
        note_id=note.id,
        filename=note_filename(note),
    )


def note_view(slug: str, number: int, note: BackgroundNote, locale: str) -> NoteView:
    """A published note as shown in pre-reading lists."""
    is_external = bool(note.external_url) and not note.has_file
    size_label = "" if is_external else human_size(note.file_size or 0)
    type_label = _("external link") if is_external else "PDF"
    link_label = type_label if is_external else f"{type_label}, {size_label}"
    return NoteView(
        id=note.id,
        title=localized(note, "title", locale),
        language=note.language,
        language_name=language_name(note.language, locale),
        abstract=localized(note, "abstract", locale),
        url=note_url(slug, number, note),
        is_external=is_external,
        is_prereading=note.is_prereading,
        type_label=type_label,
        size_label=size_label,
        link_label=link_label,
        size=None if is_external else note.file_size,
    )


def published_notes(module: Module) -> list[BackgroundNote]:
    """The module's published notes (uploaded or linked), pre-reading first."""
    notes = [n for n in module.notes if n.is_published and (n.has_file or n.external_url)]
    return sorted(notes, key=lambda n: (not n.is_prereading, n.position, n.id))


def item_starts_at(module: Module, item: AgendaItem) -> datetime | None:
    """When an agenda item starts: the module's start plus the item's offset."""
    if module.starts_at is None:
        return None
    return module.starts_at + timedelta(minutes=item.start_offset_minutes)


def _agenda_time(module: Module, at: datetime, tz_name: str, locale: str) -> str:
    """'14:30', or '00:15 the next day' for an item after midnight of the module's day."""
    time = timefmt.fmt_time(at, tz_name, locale)
    if module.starts_at and timefmt.local(at, tz_name).date() != timefmt.local(
        module.starts_at, tz_name
    ).date():
        return _("%(time)s the next day", time=time)
    return time


def _agenda_view(module: Module, tz_name: str, locale: str) -> list[AgendaView]:
    tz = timefmt.zone(tz_name)
    items = []
    for item in module.agenda_items:
        at = item_starts_at(module, item)
        items.append(
            AgendaView(
                time=_agenda_time(module, at, tz_name, locale) if at else "",
                time_iso=at.astimezone(tz).isoformat() if at else "",
                kind=item.kind,
                kind_label=agenda_kind_label(item.kind),
                title=localized(item, "title", locale),
                speakers=speaker_credits(item, module),
            )
        )
    return items


def module_path(slug: str, number: int) -> str:
    return url_for("public.module_page", slug=slug, number=number)


def module_view(
    module: Module,
    series: Series,
    *,
    locale: str,
    now: datetime,
    visitor_tz: str | None = None,
    with_details: bool = False,
) -> ModuleView:
    """A module as the public pages show it; agenda and calendar links when with_details."""
    slug = series.slug
    url = module_path(slug, module.number)
    span = visitor_span = None
    if module.starts_at:
        span = zoned_span(module.starts_at, module.ends_at, series.timezone, locale)
        if visitor_tz and visitor_tz != series.timezone:
            visitor_span = zoned_span(module.starts_at, module.ends_at, visitor_tz, locale)
    view = ModuleView(
        number=module.number,
        pillar=localized(module, "pillar", locale),
        title=localized(module, "title", locale),
        thematic_focus=localized(module, "thematic_focus", locale),
        description=paragraphs(localized(module, "description", locale)) if with_details else [],
        status=module.status,
        status_label=status_label(module.status),
        is_chatham_house=module.is_chatham_house,
        url=url,
        calendar_url=f"{url}/calendar.ics",
        register_url=f"/series/{slug}/register?module={module.number}",
        is_open_for_registration=is_open_for_registration(module, now),
        span=span,
        visitor_span=visitor_span,
        duration_minutes=module.duration_minutes,
        notes=[note_view(slug, module.number, n, locale) for n in published_notes(module)],
    )
    if with_details:
        view.agenda = _agenda_view(module, series.timezone, locale)
        if is_held(module):
            view.recording_url, view.slides_url = module.recording_url, module.slides_url
        if module.starts_at and module.status == ModuleStatus.SCHEDULED:
            view.calendar_links = ics.calendar_links(module)
    return view


def series_view(
    series: Series,
    modules: list[Module],
    *,
    locale: str,
    now: datetime,
    visitor_tz: str | None = None,
) -> SeriesView:
    """A series and its public modules as the series page shows them."""
    path = url_for("public.series_page", slug=series.slug)
    return SeriesView(
        slug=series.slug,
        title=localized(series, "title", locale),
        short_description=localized(series, "short_description", locale),
        description=paragraphs(localized(series, "description", locale)),
        organiser=series.organiser,
        chair=series.chair,
        timezone=series.timezone,
        url=path,
        register_url=f"{path}/register",
        calendar_url=f"{path}/calendar.ics",
        webcal_url=ics.webcal_url(external_url("feeds.series_calendar", slug=series.slug)),
        date_range=date_range(
            [m for m in modules if m.status != ModuleStatus.CANCELLED], series.timezone, locale
        ),
        modules=[
            module_view(m, series, locale=locale, now=now, visitor_tz=visitor_tz) for m in modules
        ],
    )


@dataclass(slots=True)
class SeriesSummary:
    title: str
    short_description: str
    url: str
    date_range: str
    module_count: int


def series_summaries(all_series: list[Series], locale: str) -> list[SeriesSummary]:
    """The series list: title, short description, dates, number of modules; by title in the
    reader's alphabetical order."""
    summaries = []
    for series in all_series:
        modules = [m for m in public_modules(series) if m.status != ModuleStatus.CANCELLED]
        summaries.append(
            SeriesSummary(
                title=localized(series, "title", locale),
                short_description=localized(series, "short_description", locale),
                url=url_for("public.series_page", slug=series.slug),
                date_range=date_range(modules, series.timezone, locale),
                module_count=len(modules),
            )
        )
    return sort_for_people(summaries, key=lambda summary: summary.title, locale=locale)


def visitor_timezone(requested: str | None, remembered: str | None) -> tuple[str | None, bool]:
    """The zone to show (from ?tz= or the cookie) and whether the requested one was unknown."""
    if requested is not None and requested != "":
        if timefmt.is_valid_timezone(requested):
            return requested, False
        return (remembered if timefmt.is_valid_timezone(remembered) else None), True
    return (remembered if timefmt.is_valid_timezone(remembered) else None), False
