"""Time at the edges: UTC in the database, local in pages, emails and calendars."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime, format_time
from flask_babel import get_locale


@cache
def all_timezones() -> tuple[str, ...]:
    """IANA zone names offered in pickers, sorted, without legacy aliases."""
    legacy = ("Etc/", "SystemV/", "US/", "Brazil/", "Canada/", "Chile/", "Mexico/")
    names = {n for n in available_timezones() if "/" in n and not n.startswith(legacy)}
    return tuple(sorted(names | {"UTC"}))


def is_valid_timezone(name: str | None) -> bool:
    """True for a known IANA zone name."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in all_timezones() or name == "UTC"


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
    """'Wednesday 31 March 2027' in the locale."""
    return format_date(local(dt, tz_name), "full", locale=locale or _locale())


def fmt_time(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'14:00' in the locale."""
    return format_time(local(dt, tz_name), "HH:mm", locale=locale or _locale())


def fmt_datetime(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'Wednesday 31 March 2027, 14:00' in the locale."""
    loc = locale or _locale()
    return f"{fmt_date(dt, tz_name, loc)}, {fmt_time(dt, tz_name, loc)}"


def fmt_short(dt: datetime, tz_name: str, locale: str | None = None) -> str:
    """'31 Mar 2027, 14:00' for tables."""
    return format_datetime(local(dt, tz_name), "d MMM yyyy, HH:mm", locale=locale or _locale())


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_local(value: datetime, tz_name: str) -> datetime:
    """A naive wall-clock datetime typed in tz_name, as aware UTC."""
    return value.replace(tzinfo=zone(tz_name)).astimezone(UTC)


def human_size(size: int) -> str:
    """'412 KB' or '1.2 MB'."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"
