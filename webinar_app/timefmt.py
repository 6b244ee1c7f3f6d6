"""Time at the edges: UTC in the database, local in pages, emails and calendars.

The one place that decides how dates and times read: pages, emails and calendar text call these
helpers and never a Babel pattern of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.numbers import format_decimal
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from webinar_app.i18n import sort_for_people

TZ_COOKIE = "tz"  # the visitor's time zone on the public pages

DATE_PATTERN = "EEEE d MMMM y"  # 'Wednesday 31 March 2027', 'mercredi 31 mars 2027'
SHORT_DATE_PATTERN = "d MMMM y"  # '31 March 2027'
TIME_PATTERN = "HH:mm"  # '14:00'
TABLE_PATTERN = "d MMM yyyy, HH:mm"  # '31 Mar 2027, 14:00'


REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia",
           "Europe", "Indian", "Pacific")


def _tz_file(name: str) -> str:
    """A text file of the tz database shipped with the tzdata package ('' when missing)."""
    try:
        return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError):
        return ""


@cache
def all_timezones() -> tuple[str, ...]:
    """Canonical zones offered in pickers (zone.tab: one per place, no legacy alias), sorted."""
    names = {
        line.split("\t")[2].strip()
        for line in _tz_file("zone.tab").splitlines()
        if line and not line.startswith("#")
    }
    return tuple(sorted(names | {"UTC"}))


@cache
def _timezone_set() -> frozenset[str]:
    return frozenset(all_timezones())


@cache
def _links() -> dict[str, str]:
    """Legacy names and links of the tz database to the zone they stand for."""
    links = {}
    for line in _tz_file("tzdata.zi").splitlines():
        if line.startswith("L "):
            _l, target, alias = line.split()
            links[alias] = target
    return links


@cache
def _legacy_to_canonical() -> dict[str, str]:
    """Every known legacy alias mapped to a canonical zone of the picker."""
    canonical = _timezone_set()
    by_target = {}
    for name in canonical:  # a zone.tab name that is itself a link stands for its target
        by_target.setdefault(_links().get(name, name), name)
    mapping = {}
    for alias, target in _links().items():
        if alias in canonical:
            continue
        if target in canonical:
            mapping[alias] = target
        elif target in by_target:
            mapping[alias] = by_target[target]
    mapping.update({"Etc/UTC": "UTC", "Etc/UCT": "UTC", "Etc/Universal": "UTC",
                    "Etc/Zulu": "UTC", "UCT": "UTC", "Universal": "UTC", "Zulu": "UTC",
                    "Etc/GMT": "UTC", "GMT": "UTC"})
    return mapping


def canonical_zone(name: str | None) -> str | None:
    """The picker's zone for name: itself when canonical, its zone for a legacy alias
    ('Asia/Calcutta' -> 'Asia/Kolkata'), None when unknown."""
    if not name:
        return None
    if name in _timezone_set():
        return name
    return _legacy_to_canonical().get(name)


def is_valid_timezone(name: str | None) -> bool:
    """True for a known IANA zone name, canonical or legacy."""
    return canonical_zone(name) is not None


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """ZoneInfo for name, or for fallback when the name is unknown."""
    return ZoneInfo(canonical_zone(name) or fallback)


def local(dt: datetime, tz_name: str) -> datetime:
    """The aware UTC datetime dt seen in tz_name."""
    return dt.astimezone(zone(tz_name))


def utc_offset(dt: datetime, tz_name: str) -> str:
    """'UTC+01:00' for dt in tz_name."""
    offset = local(dt, tz_name).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def city(tz_name: str) -> str:
    """'Brussels' for 'Europe/Brussels'."""
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def _locale() -> str:
    try:
        return str(get_locale() or "en")
    except RuntimeError:
        return "en"


def fmt_date(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'Wednesday 31 March 2027' ('mercredi 31 mars 2027') in the locale."""
    return format_date(local(dt, tz_name), DATE_PATTERN, locale=locale or _locale())


def fmt_short_date(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'31 March 2027' in the locale (date ranges, lists)."""
    return format_date(local(dt, tz_name), SHORT_DATE_PATTERN, locale=locale or _locale())


def fmt_time(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'14:00' in the locale."""
    return format_time(local(dt, tz_name), TIME_PATTERN, locale=locale or _locale())


def fmt_datetime(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'Wednesday 31 March 2027, 14:00' in the locale."""
    loc = locale or _locale()
    return f"{fmt_date(dt, tz_name, loc)}, {fmt_time(dt, tz_name, loc)}"


def fmt_short(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'31 Mar 2027, 14:00' for tables."""
    return format_datetime(local(dt, tz_name), TABLE_PATTERN, locale=locale or _locale())


def city_name(tz_name: str, locale: str | None = None) -> str:
    """The zone's city in the locale: 'Bruxelles' for 'Europe/Brussels' in French."""
    try:
        return get_timezone_location(tz_name, locale=locale or _locale(), return_city=True)
    except (LookupError, ValueError):
        return city(tz_name)


def _zone_name(tz_name: str, locale: str | None = None) -> str:
    if tz_name == "UTC":
        return "UTC"
    return _("%(city)s time", city=city_name(tz_name, locale))


def fmt_duration(starts_at: datetime, ends_at: datetime) -> str:
    """'2 hours', '1 hour 30 minutes': the true time between two instants."""
    minutes = max(0, int((ends_at - starts_at).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes or not hours:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return " ".join(parts)


@dataclass(frozen=True, slots=True)
class SpanText:
    """A span seen in one zone, in words: the start date, each end, and what the zone is.

    crosses_change: the clock changes between the ends, so each end carries its own offset
    and `duration` says how long it really lasts."""

    date: str
    start: str
    end: str
    offset: str
    crosses_change: bool
    is_same_day: bool
    duration: str


def span_text(
    starts_at: datetime, ends_at: datetime, tz_name: str, locale: str | None = None
) -> SpanText:
    """The span starts_at..ends_at in tz_name, with the next day or its date on the end when
    it crosses midnight and each end's offset when it crosses a clock change."""
    loc = locale or _locale()
    start, end = local(starts_at, tz_name), local(ends_at, tz_name)
    start_time, end_time = fmt_time(start, tz_name, loc), fmt_time(end, tz_name, loc)
    days = (end.date() - start.date()).days
    crosses_change = start.utcoffset() != end.utcoffset()
    if crosses_change:
        start_time = f"{start_time} ({utc_offset(start, tz_name)})"
        end_time = f"{end_time} ({utc_offset(end, tz_name)})"
    if days == 1:
        end_time = _("%(time)s the next day", time=end_time)
    elif days > 1:
        end_time = f"{fmt_date(end, tz_name, loc)}, {end_time}"
    return SpanText(
        date=fmt_date(start, tz_name, loc),
        start=start_time,
        end=end_time,
        offset=utc_offset(start, tz_name),
        crosses_change=crosses_change,
        is_same_day=days == 0,
        duration=fmt_duration(starts_at, ends_at) if crosses_change else "",
    )


def fmt_span(
    starts_at: datetime, ends_at: datetime, tz_name: str, locale: str | None = None
) -> str:
    """A module's time in emails and documents:
    'Tuesday 2 March 2027, 14:00–16:00 (Brussels, UTC+01:00)';
    'Tuesday 2 March 2027, 23:00 – 01:00 the next day (Brussels, UTC+01:00)';
    'Sunday 25 October 2026, 01:30 (UTC+02:00) – 02:30 (UTC+01:00), 2 hours (Brussels)'."""
    loc = locale or _locale()
    text = span_text(starts_at, ends_at, tz_name, loc)
    place = "UTC" if tz_name == "UTC" else city_name(tz_name, loc)
    if text.crosses_change:
        return f"{text.date}, {_times(text)} ({place})"
    return f"{text.date}, {_times(text)} ({place}, {text.offset})"


def _times(text: SpanText) -> str:
    """'14:00–16:00', '23:00 – 01:00 the next day', '01:30 (UTC+02:00) – 02:30 (UTC+01:00),
    2 hours'."""
    if text.crosses_change:
        return f"{text.start} – {text.end}, {text.duration}"
    dash = "–" if text.is_same_day else " – "
    return f"{text.start}{dash}{text.end}"


def fmt_day_span(
    starts_at: datetime, ends_at: datetime, tz_name: str, locale: str | None = None
) -> str:
    """'Monday 2 March 2026, 23:00 – 01:00 the next day': fmt_span without the zone."""
    text = span_text(starts_at, ends_at, tz_name, locale)
    return f"{text.date}, {_times(text)}"


def fmt_time_pair(
    dt: datetime,
    series_tz: str,
    viewer_tz: str | None,
    locale: str | None = None,
    ends_at: datetime | None = None,
) -> str:
    """'14:00 Brussels time (15:00 in Nairobi, your time zone)'; one zone when they agree.

    With ends_at, the span: '14:00–16:00 Brussels time (15:00–17:00 in Nairobi, ...)', with
    the next day and each end's offset when the span crosses midnight or a clock change.
    The viewer's date is added when it is not the series' date:
    '23:30 Brussels time (Thursday 1 April 2027, 01:30 in Nairobi, your time zone)'.
    """
    loc = locale or _locale()
    series_tz = zone_name_or(series_tz, "UTC")
    viewer_tz = canonical_zone(viewer_tz)

    def times(tz_name: str) -> str:
        if ends_at is None:
            return fmt_time(dt, tz_name, loc)
        return _times(span_text(dt, ends_at, tz_name, loc))

    series_part = f"{times(series_tz)} {_zone_name(series_tz, loc)}"
    if viewer_tz is None or viewer_tz == series_tz:
        return series_part
    viewer_time = times(viewer_tz)
    if local(dt, viewer_tz).date() != local(dt, series_tz).date():
        viewer_time = f"{fmt_date(dt, viewer_tz, loc)}, {viewer_time}"
    place = "UTC" if viewer_tz == "UTC" else city_name(viewer_tz, loc)
    return _(
        "%(series_time)s (%(time)s in %(place)s, your time zone)",
        series_time=series_part,
        time=viewer_time,
        place=place,
    )


def zone_name_or(name: str | None, fallback: str) -> str:
    """The canonical zone for name if it is known, else fallback."""
    return canonical_zone(name) or fallback


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_local(value: datetime, tz_name: str) -> datetime:
    """A naive wall-clock datetime typed in tz_name, as aware UTC."""
    return value.replace(tzinfo=zone(tz_name)).astimezone(UTC)


def human_size(size: int) -> str:
    """'412 KB' or '1.2 MB' in the locale ('412 Ko', '1,2 Mo')."""
    if size < 1024:
        return _("%(size)s B", size=size)
    if size < 1024 * 1024:
        return _("%(size)s KB", size=round(size / 1024))
    megabytes = format_decimal(size / (1024 * 1024), "0.0", locale=_locale())
    return _("%(size)s MB", size=megabytes)


def _region_label(region: str) -> str:
    labels = {
        "Africa": _("Africa"), "America": _("Americas"), "Antarctica": _("Antarctica"),
        "Arctic": _("Arctic"), "Asia": _("Asia"), "Atlantic": _("Atlantic Ocean"),
        "Australia": _("Australia"), "Europe": _("Europe"), "Indian": _("Indian Ocean"),
        "Pacific": _("Pacific Ocean"),
    }
    return labels.get(region, _("Universal time"))


def zone_label(tz_name: str, at: datetime, locale: str | None = None) -> str:
    """'Addis-Abeba (UTC+03:00)' in French: the zone's city and its offset at `at`."""
    if tz_name == "UTC":
        return "UTC"
    return f"{_city_name_cached(tz_name, locale or _locale())} ({utc_offset(at, tz_name)})"


@cache
def _city_name_cached(tz_name: str, locale: str) -> str:
    return city_name(tz_name, locale)


ZoneGroups = list[tuple[str, list[tuple[str, str]]]]


def zone_groups(first: list[str | None], at: datetime, locale: str | None = None) -> ZoneGroups:
    """The picker's options grouped by region, each '(city (UTC+03:00))' in the locale; the
    zones in `first` (the series', the visitor's) in a first group and nowhere else."""
    loc = locale or _locale()
    firsts = list(dict.fromkeys(z for z in map(canonical_zone, first) if z))
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in all_timezones():
        if name not in firsts:
            regions.setdefault(name.split("/", 1)[0], []).append((name, zone_label(name, at, loc)))
    groups: ZoneGroups = []
    if firsts:
        groups.append((_("Suggested"), [(z, zone_label(z, at, loc)) for z in firsts]))
    for region in sorted(regions, key=lambda r: (r not in REGIONS, r)):
        groups.append(
            (_region_label(region), sort_for_people(regions[region], key=lambda o: o[1]))
        )
    return groups


def zone_choices(first: list[str | None], locale: str | None = None) -> dict[str, list]:
    """zone_groups as WTForms select choices (a dict renders <optgroup>s), offsets of now."""
    return dict(zone_groups(first, now_utc(), locale))
