"""Read the attendance reports of Zoom, Microsoft Teams and Webex into rows per person.

Pure functions: bytes in, an `AttendanceReport` out, or an `AttendanceFileError` whose message
tells the organiser which report to export. The layouts are described in the README's
attendance section; in short: decode by BOM (Teams and Webex write UTF-16 with tabs), find each
table by its header row (never by line number: Zoom puts meeting details first), and add up the
rows of a person who joined more than once.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

EMAIL_HEADERS = ("email", "user email", "attendee email", "participant id")
ALT_EMAIL_HEADERS = ("participant id (upn)",)
NAME_HEADERS = (
    "name", "name (original name)", "user name (original name)", "user name", "full name",
    "display name", "attendee name",
)
MINUTES_HEADERS = (
    "time in session (minutes)", "duration (minutes)", "total duration (minutes)",
    "in-meeting duration", "attendance duration", "duration",
)
ACTIVITY_HEADERS = (
    "attended", "join time", "first join", "leave time", "last leave", "action",
    *MINUTES_HEADERS,
)
PREAMBLE_MARKERS = ("meeting id", "topic")
SKIPPED_TITLES = ("in-meeting activities",)
NO_VALUE = {"", "--", "-", "na", "n/a"}

_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hour|hours|godz\.?|m|min|mins|minute|minutes|"
    r"s|sec|secs|second|seconds|sek\.?)\b",
    re.IGNORECASE,
)
_UNIT_MINUTES = {"h": 60.0, "g": 60.0, "m": 1.0, "s": 1 / 60}


class AttendanceFileError(ValueError):
    """The file is not an attendance report we can read; the message says what to export."""


@dataclass(frozen=True)
class AttendanceRow:
    """One person as the platform reported them (rejoins already added up)."""

    name: str
    email: str
    minutes: int | None
    attended: bool
    alt_email: str = ""


@dataclass
class AttendanceReport:
    """What a file says: the platform, people with an email, and attendees without one."""

    platform: str
    rows: list[AttendanceRow] = field(default_factory=list)
    guests: list[AttendanceRow] = field(default_factory=list)
    lines_read: int = 0


# --------------------------------------------------------------------------- decoding


def decode(data: bytes) -> str:
    """The file's text: BOM first, then BOM-less UTF-16, UTF-8 and cp1252."""
    if data.startswith(b"\xff\xfe"):
        text = data[2:].decode("utf-16-le", errors="replace")
    elif data.startswith(b"\xfe\xff"):
        text = data[2:].decode("utf-16-be", errors="replace")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    elif _looks_like_utf16(data, odd=True):
        text = data.decode("utf-16-le", errors="replace")
    elif _looks_like_utf16(data, odd=False):
        text = data.decode("utf-16-be", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_utf16(data: bytes, *, odd: bool) -> bool:
    sample = data[:400]
    if len(sample) < 4:
        return False
    zeros = sample[1::2] if odd else sample[0::2]
    return zeros.count(0) > len(zeros) * 0.6


def _delimiter(text: str) -> str:
    lines = [line for line in text.split("\n")[:40] if line.strip()]
    if any("\t" in line for line in lines):
        return "\t"
    semicolons = sum(line.count(";") for line in lines)
    commas = sum(line.count(",") for line in lines)
    return ";" if semicolons > commas else ","


def _clean_cell(value: str) -> str:
    value = value.strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.strip()


def read_rows(text: str) -> list[list[str]]:
    """The file as rows of trimmed cells (Webex ="..." formulas unwrapped)."""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    try:
        return [[_clean_cell(cell) for cell in row] for row in reader]
    except csv.Error as error:
        raise AttendanceFileError(
            _("The file could not be read as CSV (%(error)s).", error=str(error))
        ) from error


# --------------------------------------------------------------------------- values


def normalise_email(value: str) -> str:
    """Trimmed, lower-case, without <>, mailto: or a display name."""
    value = (value or "").strip()
    if "<" in value and ">" in value:
        value = value[value.index("<") + 1:value.rindex(">")]
    value = value.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    value = value.strip().lower()
    return value if "@" in value else ""


def parse_minutes(value: str) -> int | None:
    """Minutes from '42', '201 mins', '1h 2m 10s', '1 hr 5 min', '01:02:10'; None for '--'."""
    value = (value or "").strip()
    if value.lower() in NO_VALUE:
        return None
    if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
        return math.ceil(float(value.replace(",", ".")))
    clock = re.fullmatch(r"(\d+):(\d{2})(?::(\d{2}))?", value)
    if clock:
        hours, minutes, seconds = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        return math.ceil(hours * 60 + minutes + seconds / 60)
    parts = _DURATION_PART.findall(value)
    if not parts:
        return None
    total = sum(float(n.replace(",", ".")) * _UNIT_MINUTES[unit[0].lower()] for n, unit in parts)
    return math.ceil(round(total, 6))


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def column(self, names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in self.header:
                return self.header.index(name)
        return None


def _is_blank(row: list[str]) -> bool:
    return not any(row)


def _is_title(row: list[str]) -> bool:
    return sum(1 for cell in row if cell) == 1 and bool(row[0])


def _header_of(row: list[str]) -> list[str] | None:
    """The lower-cased header if the row heads a table of people (with or without email)."""
    cells = [cell.lower() for cell in row]
    has_email = any(c in EMAIL_HEADERS or c in ALT_EMAIL_HEADERS for c in cells)
    has_name = any(c in NAME_HEADERS for c in cells)
    has_activity = any(c in ACTIVITY_HEADERS for c in cells)
    if not has_email and not (has_name and has_activity):
        return None
    if all(marker in cells for marker in PREAMBLE_MARKERS):
        return None
    return cells


def find_tables(rows: list[list[str]]) -> list[_Table]:
    """Every table of people, with the section title above it."""
    tables: list[_Table] = []
    current: _Table | None = None
    title = ""
    for row in rows:
        header = _header_of(row)
        if header is not None:
            current = _Table(title, header)
            tables.append(current)
            continue
        if _is_blank(row):
            current = None
            continue
        if _is_title(row) and (current is None or len(current.header) > 1):
            title = row[0].lower().strip(" :")
            current = None
            continue
        if current is not None:
            current.rows.append(row)
    return tables


def _platform(rows: list[list[str]], tables: list[_Table]) -> str:
    first = next((r[0].lower() for r in rows if r and r[0]), "")
    headers = {cell for t in tables for cell in t.header}
    if first.startswith("attendee report") or any("details" in t.title for t in tables):
        return "Zoom webinar"
    if "attendee email" in headers:
        return "Webex"
    if "participant id (upn)" in headers or first.endswith("summary"):
        return "Microsoft Teams"
    if "participant id" in headers:
        return "Microsoft Teams live event"
    if "user email" in headers or "name (original name)" in headers:
        return "Zoom meeting"
    return "CSV"


def _usable(tables: list[_Table]) -> list[_Table]:
    found = [t for t in tables if any(h in ACTIVITY_HEADERS for h in t.header)]
    kept = [t for t in found if not any(s in t.title for s in SKIPPED_TITLES)]
    return kept or found


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index]


def _name(table: _Table, row: list[str]) -> str:
    name = _cell(row, table.column(NAME_HEADERS))
    if name:
        return name
    first = _cell(row, table.column(("first name",)))
    last = _cell(row, table.column(("last name",)))
    return f"{first} {last}".strip()


def _rows_of(table: _Table) -> list[AttendanceRow]:
    email_at = table.column(EMAIL_HEADERS)
    alt_at = table.column(ALT_EMAIL_HEADERS)
    minutes_at = table.column(MINUTES_HEADERS)
    attended_at = table.column(("attended",))
    action_at = table.column(("action", "user action"))
    waiting_at = table.column(("in waiting room",))
    result = []
    for row in table.rows:
        if _cell(row, waiting_at).lower() == "yes":
            continue
        minutes = parse_minutes(_cell(row, minutes_at))
        if attended_at is not None:
            attended = _cell(row, attended_at).lower() == "yes"
        elif action_at is not None:
            attended = _cell(row, action_at).lower().startswith("join")
        else:
            attended = True
        email = normalise_email(_cell(row, email_at))
        alt = normalise_email(_cell(row, alt_at))
        name = _name(table, row)
        if not (email or alt or name):
            continue
        result.append(AttendanceRow(name, email or alt, minutes if attended else None, attended,
                                    alt if alt != (email or alt) else ""))
    return result


def _add_up(rows: list[AttendanceRow]) -> tuple[list[AttendanceRow], list[AttendanceRow]]:
    """One row per email (minutes summed, attended if any row attended); guests apart."""
    people: dict[str, AttendanceRow] = {}
    guests: list[AttendanceRow] = []
    for row in rows:
        if not row.email:
            if row.attended:
                guests.append(row)
            continue
        seen = people.get(row.email)
        if seen is None:
            people[row.email] = row
            continue
        minutes = (
            None if seen.minutes is None and row.minutes is None
            else (seen.minutes or 0) + (row.minutes or 0)
        )
        people[row.email] = AttendanceRow(
            seen.name or row.name, seen.email, minutes, seen.attended or row.attended,
            seen.alt_email or row.alt_email,
        )
    return list(people.values()), guests


def _explain_unreadable(rows: list[list[str]]) -> str:
    cells = {cell.lower() for row in rows[:30] for cell in row}
    if {"full name", "user action"} <= cells:
        return _(
            "This Teams attendance list (the 2020 layout) holds no email addresses, so it "
            "cannot mark registrations. Download the attendance report from the meeting's "
            "Attendance tab instead."
        )
    return _(
        "This file does not look like an attendance report. Export the participants or "
        "attendee report of the meeting: from Zoom (Reports > Usage or Webinar > Attendee "
        "report), Microsoft Teams (Attendance > Download) or Webex (Attendance > Export). "
        "It needs a column named Email, User Email or Attendee Email with join times or "
        "durations."
    )


def parse_attendance(data: bytes) -> AttendanceReport:
    """Read a Zoom, Teams or Webex attendance export."""
    if not data or not data.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise AttendanceFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        raise AttendanceFileError(_(
            "This is an Excel workbook. Export or save the attendance report as CSV and "
            "upload that file."
        ))
    rows = read_rows(decode(data))
    tables = _usable(find_tables(rows))
    if not any(t.column(EMAIL_HEADERS + ALT_EMAIL_HEADERS) is not None for t in tables):
        raise AttendanceFileError(_explain_unreadable(rows))
    read = [row for table in tables for row in _rows_of(table)]
    people, guests = _add_up(read)
    return AttendanceReport(_platform(rows, tables), people, guests, lines_read=len(read))
