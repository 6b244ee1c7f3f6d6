"""Time at the edges: UTC in the database, local in pages, emails and calendars.

The one place that decides how dates and times read: pages, emails and calendar text call these
helpers and never a Babel pattern of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime, format_time, get_timezone_location
from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

DATE_PATTERN = "EEEE d MMMM y"  # 'Wednesday 31 March 2027', 'mercredi 31 mars 2027'
SHORT_DATE_PATTERN = "d MMMM y"  # '31 March 2027'
TIME_PATTERN = "HH:mm"  # '14:00'
TABLE_PATTERN = "d MMM yyyy, HH:mm"  # '31 Mar 2027, 14:00'


@cache
def all_timezones() -> tuple[str, ...]:
    """IANA zone names offered in pickers, sorted, without legacy aliases."""
    legacy = ("Etc/", "SystemV/", "US/", "Brazil/", "Canada/", "Chile/", "Mexico/")
    names = {n for n in available_timezones() if "/" in n and not n.startswith(legacy)}
    return tuple(sorted(names | {"UTC"}))


@cache
def _timezone_set() -> frozenset[str]:
    return frozenset(all_timezones())


def is_valid_timezone(name: str | None) -> bool:
    """True for a known IANA zone name."""
    if not name or name not in _timezone_set():  # checked first: ZoneInfo opens a file
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """ZoneInfo for name, or for fallback when the name is unknown."""
    return ZoneInfo(name if is_valid_timezone(name) else fallback)


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


def fmt_span(starts_at: datetime, ends_at: datetime, tz_name: str) -> str:
    """'Tuesday 2 March 2027, 14:00–16:00 (Brussels, UTC+01:00)': a module's time in emails."""
    return (
        f"{fmt_datetime(starts_at, tz_name)}–{fmt_time(ends_at, tz_name)}"
        f" ({city(tz_name)}, {utc_offset(starts_at, tz_name)})"
    )


def fmt_time_pair(
    dt: datetime, series_tz: str, viewer_tz: str | None, locale: str | None = None
) -> str:
    """'14:00 Brussels time (15:00 in Nairobi, your time zone)'; one zone when they agree.

    The viewer's date is added when it is not the series' date:
    '23:30 Brussels time (Thursday 1 April 2027, 01:30 in Nairobi, your time zone)'.
    """
    loc = locale or _locale()
    series_tz = zone_name_or(series_tz, "UTC")
    series_part = f"{fmt_time(dt, series_tz, loc)} {_zone_name(series_tz, loc)}"
    if not is_valid_timezone(viewer_tz) or viewer_tz == series_tz:
        return series_part
    assert viewer_tz is not None
    viewer_time = fmt_time(dt, viewer_tz, loc)
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
    """name if it is a known zone, else fallback."""
    return name if name and is_valid_timezone(name) else fallback


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
