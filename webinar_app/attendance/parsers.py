"""Read the attendance reports of Zoom, Microsoft Teams and Webex into rows per person.

Pure functions: bytes in, an `AttendanceReport` out, or an `AttendanceFileError` whose message
tells the organiser what is wrong and which report to export. The layouts are described in the
README's attendance section; in short: decode by BOM (Teams and Webex write UTF-16 with tabs),
find each table by its header row (never by line number: Zoom puts meeting details first), and
add up the rows of a person who joined more than once.

Nothing in a bad file may wipe attendance: a file that lists no one, lacks the needed columns
or seems cut off is refused as a whole; a row with an impossible duration, an unreadable time
or a control character in the name or email is left out and reported by its line.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _

from webinar_app.core.addresses import InvalidEmail, normalise_email
from webinar_app.core.csv import decode_text, sniff_delimiter
from webinar_app.core.text import char_name, clean_one_line, refused_chars

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
JOIN_HEADERS = ("join time", "first join", "time joined")
LEAVE_HEADERS = ("leave time", "last leave", "time exited")
TIMESTAMP_HEADERS = ("utc event timestamp", "timestamp")
ACTION_HEADERS = ("action", "user action")
ACTIVITY_HEADERS = (
    "attended", *JOIN_HEADERS, *LEAVE_HEADERS, *ACTION_HEADERS, *MINUTES_HEADERS,
)
PREAMBLE_MARKERS = ("meeting id", "topic")
SKIPPED_TITLES = ("in-meeting activities",)
OPTIONAL_LAST_TITLES = ("other attended",)
ANNOUNCED_COUNT_KEYS = ("attended participants", "total number of participants")
NO_VALUE = {"", "--", "-", "na", "n/a"}
SHOWN_COLUMNS = 15
SHOWN_VALUE_LENGTH = 40
HUGE_MINUTES = 10**9

_DURATION_PART = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(h|hr|hrs|hour|hours|godz\.?|m|min|mins|minute|minutes|"
    r"s|sec|secs|second|seconds|sek\.?)(?![a-z])",
    re.IGNORECASE,
)
_UNIT_MINUTES = {"h": 60.0, "g": 60.0, "m": 1.0, "s": 1 / 60}
_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:[.,]\d+)?"
    r"\s*(?:(?P<ampm>[ap])\.?\s?m\.?)?"
)
_ZONE = r"\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2})?"
_NUMERIC_DATE = re.compile(
    r"(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4})"
    rf"(?:,?\s*T?\s*{_TIME})?{_ZONE}", re.IGNORECASE,
)
_MONTH_FIRST = re.compile(
    rf"(?P<mon>[a-z]{{3,9}})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})(?:,?\s+{_TIME})?{_ZONE}",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    rf"(?P<d>\d{{1,2}})\s+(?P<mon>[a-z]{{3,9}})\.?,?\s+(?P<y>\d{{4}})(?:,?\s+{_TIME})?{_ZONE}",
    re.IGNORECASE,
)
_TIME_ONLY = re.compile(rf"{_TIME}{_ZONE}", re.IGNORECASE)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")], start=1)
    for name in names
}
_TIME_ONLY_DAY = datetime(2000, 1, 1)


class AttendanceFileError(ValueError):
    """The file cannot be imported as a whole; the message says why and what to export.

    `problems` lists the rows that were left out, when they are the reason.
    """

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


@dataclass(frozen=True)
class RowProblem:
    """A line of the file that was left out, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return self.message


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
    """What a file says: the platform, people with an email, attendees without one, and the
    lines left out (with the emails they named, whose attendance must not change)."""

    platform: str
    rows: list[AttendanceRow] = field(default_factory=list)
    guests: list[AttendanceRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    held_back: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Line:
    """A CSV record with the number of the physical line it starts on."""

    number: int
    cells: list[str]


# --------------------------------------------------------------------------- decoding


def _clean_cell(value: str) -> str:
    value = value.strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1]
    return value.strip()


def _physical_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def read_lines(text: str, delimiter: str) -> list[_Line]:
    """The file as records of trimmed cells (Webex ="..." formulas unwrapped), with line numbers."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines: list[_Line] = []
    start = 1
    try:
        for row in reader:
            lines.append(_Line(start, [_clean_cell(cell) for cell in row]))
            start = reader.line_num + 1
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise AttendanceFileError(_unclosed_quote_message(start, text)) from error
        raise AttendanceFileError(_(
            "Line %(line)s could not be read as CSV (%(error)s). Export the report again.",
            line=start, error=str(error),
        )) from error
    return lines


def _unclosed_quote_message(line: int, text: str) -> str:
    swallowed = max(_physical_lines(text) - line, 0)
    return _(
        "Line %(line)s: a quoted value opens here and never closes, so it would swallow the "
        "%(count)s lines after it. Correct the file or export it again.",
        line=line, count=swallowed,
    )


# --------------------------------------------------------------------------- values


def report_email(value: str) -> str:
    """The address in a report cell (without <>, mailto: or a display name), normalised like
    every stored address (core.addresses.normalise_email); '' when the cell holds none."""
    value = (value or "").strip()
    if "<" in value and ">" in value:
        value = value[value.index("<") + 1:value.rindex(">")]
    value = value.strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    value = value.strip()
    if "@" not in value:
        return ""
    try:
        return normalise_email(value)
    except InvalidEmail:  # not a valid address: matches no registrant, still groups its rows
        return value.lower()


def _read_minutes(value: str) -> int | None:
    """Signed minutes from any platform's duration text; None when it cannot be read."""
    text = value.strip()
    sign = 1
    if text[:1] in "+-" and text[:1]:
        sign = -1 if text[0] == "-" else 1
        text = text[1:].strip()
    if re.fullmatch(r"\d+", text):
        return sign * int(text)
    if re.fullmatch(r"\d+[.,]\d+", text):
        number = float(text.replace(",", "."))
        return sign * math.ceil(number) if math.isfinite(number) else sign * HUGE_MINUTES
    clock = re.fullmatch(r"(\d+):(\d{2})(?::(\d{2}))?", text)
    if clock:
        hours, minutes, seconds = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        return sign * math.ceil(hours * 60 + minutes + seconds / 60)
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip(" ,") != "":
        return None
    total = sum(float(n.replace(",", ".")) * _UNIT_MINUTES[unit[0].lower()] for n, unit in parts)
    if not math.isfinite(total):
        return sign * HUGE_MINUTES
    return sign * math.ceil(round(total, 6))


def parse_minutes(value: str) -> int | None:
    """Minutes from '42', '201 mins', '1h 2m 10s', '1 hr 5 min', '01:02:10'; None for '--'
    or text that is not a duration. Negative values stay negative."""
    value = (value or "").strip()
    if value.lower() in NO_VALUE:
        return None
    return _read_minutes(value)


def _hour(match: re.Match[str]) -> tuple[int, int, int] | None:
    if match["hour"] is None:
        return 0, 0, 0
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    return hour, minute, second


def _make(year: int, month: int, day: int, clock: tuple[int, int, int]) -> datetime | None:
    try:
        return datetime(year, month, day, *clock)
    except ValueError:
        return None


def parse_time(value: str) -> list[tuple[str, datetime]]:
    """The possible readings of a report's time (local wall clock), each tagged with its
    day/month order ('md', 'dm' or '' when unambiguous); empty when it cannot be read."""
    text = " ".join(value.split())
    match = _NUMERIC_DATE.fullmatch(text)
    if match:
        clock = _hour(match)
        if clock is None:
            return []
        a, b, c = int(match["a"]), int(match["b"]), int(match["c"])
        if len(match["a"]) == 4:
            readings = [("", a, b, c)]
        elif len(match["a"]) > 2:
            return []
        else:
            year = c + 2000 if len(match["c"]) == 2 else c
            if len(match["c"]) == 3:
                return []
            readings = ([("", year, b, a)] if match["sep"] == "." else
                        [("md", year, a, b), ("dm", year, b, a)])
        found = [(tag, _make(y, m, d, clock)) for tag, y, m, d in readings]
        return [(tag, moment) for tag, moment in found if moment is not None]
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        match = pattern.fullmatch(text)
        if match:
            month = _MONTHS.get(match["mon"].lower())
            clock = _hour(match)
            moment = (_make(int(match["y"]), month, int(match["d"]), clock)
                      if month and clock else None)
            return [("", moment)] if moment else []
    match = _TIME_ONLY.fullmatch(text)
    if match:
        clock = _hour(match)
        moment = _make(2000, 1, 1, clock) if clock else None
        return [("t", moment)] if moment else []
    return []


def _span_minutes(joins: list[tuple[str, datetime]],
                  leaves: list[tuple[str, datetime]]) -> float | None:
    """The shortest non-negative time from join to leave over consistent readings; None if
    every reading leaves before it joins."""
    spans = []
    for join_tag, join in joins:
        for leave_tag, leave in leaves:
            if join_tag and leave_tag and join_tag != leave_tag:
                continue
            if join_tag == leave_tag == "t" and leave < join:
                leave += timedelta(days=1)
            spans.append((leave - join).total_seconds() / 60)
    good = [span for span in spans if span >= 0]
    return min(good) if good else None


def _shown(value: str) -> str:
    value = clean_one_line(value)
    return value if len(value) <= SHOWN_VALUE_LENGTH else value[:SHOWN_VALUE_LENGTH] + "…"


# --------------------------------------------------------------------------- tables


@dataclass
class _Table:
    title: str
    header_line: _Line
    header: list[str]
    rows: list[_Line] = field(default_factory=list)

    def column(self, names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in self.header:
                return self.header.index(name)
        return None

    @property
    def width(self) -> int:
        """Columns up to the last named one (Zoom pads rows with empty cells)."""
        named = [i for i, cell in enumerate(self.header) if cell]
        return named[-1] + 1 if named else 0

    @property
    def has_email(self) -> bool:
        return self.column(EMAIL_HEADERS + ALT_EMAIL_HEADERS) is not None

    @property
    def has_timing(self) -> bool:
        """Join or leave times, a duration, or (Teams live events) actions with timestamps."""
        return (self.column(JOIN_HEADERS + LEAVE_HEADERS + MINUTES_HEADERS) is not None
                or (self.column(ACTION_HEADERS) is not None
                    and self.column(TIMESTAMP_HEADERS) is not None))

    @property
    def has_join(self) -> bool:
        return self.column(JOIN_HEADERS) is not None


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


def find_tables(lines: list[_Line]) -> list[_Table]:
    """Every table of people, with the section title above it."""
    tables: list[_Table] = []
    current: _Table | None = None
    title = ""
    for line in lines:
        header = _header_of(line.cells)
        if header is not None:
            current = _Table(title, line, header)
            tables.append(current)
            continue
        if _is_blank(line.cells):
            current = None
            continue
        if _is_title(line.cells) and (current is None or len(current.header) > 1):
            title = line.cells[0].lower().strip(" :,")
            current = None
            continue
        if current is not None:
            current.rows.append(line)
    return tables


def _platform(lines: list[_Line], tables: list[_Table]) -> str:
    first = next((line.cells[0].lower() for line in lines if line.cells and line.cells[0]), "")
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


# --------------------------------------------------------------------------- truncation


def _announced_count(lines: list[_Line]) -> int | None:
    """The number of participants a Zoom meeting preamble or a Teams summary announces."""
    for index, line in enumerate(lines):
        cells = [cell.lower() for cell in line.cells]
        if "meeting id" in cells and "participants" in cells and index + 1 < len(lines):
            value = _cell(lines[index + 1].cells, cells.index("participants"))
            if value.isdigit():
                return int(value)
        if cells and cells[0] in ANNOUNCED_COUNT_KEYS and _cell(line.cells, 1).isdigit():
            return int(line.cells[1])
    return None


def _cut_message(line: int) -> str:
    return _("The file seems cut off at line %(line)s; export it again.", line=line)


def _unclosed_quote_at_end(text: str, last: _Line, delimiter: str) -> bool:
    tail = "\n".join(text.split("\n")[last.number - 1:])
    try:
        list(csv.reader(io.StringIO(tail), delimiter=delimiter, strict=True))
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _short_last_row(table: _Table, last: _Line, ends_with_newline: bool) -> bool:
    """Whether the table's last row lacks cells or ends in a cut value."""
    others = [row for row in table.rows if row is not last]
    length = len(last.cells)
    shortest = min((len(row.cells) for row in others), default=None)
    if length < table.width and (not ends_with_newline or shortest is None
                                 or length < shortest):
        return True
    if ends_with_newline:
        return False
    if shortest is not None and length < shortest:
        return True
    index = length - 1
    value = last.cells[index] if index >= 0 else ""
    if index >= table.width or value.isdigit():
        return False
    seen = {row.cells[index] for row in others if len(row.cells) > index}
    return value not in seen and any(s.startswith(value) for s in seen)


def check_complete(text: str, lines: list[_Line], tables: list[_Table],
                   delimiter: str) -> None:
    """Refuse a file that seems cut off: mid-row, inside quotes, or short of its announced
    participants."""
    if lines and _unclosed_quote_at_end(text, lines[-1], delimiter):
        start = lines[-1].number
        if _physical_lines(text) - start > 1:
            raise AttendanceFileError(_unclosed_quote_message(start, text))
        if any(t.has_email for t in tables):
            raise AttendanceFileError(_cut_message(start))
    content = [line for line in lines if not _is_blank(line.cells)]
    if not content or not any(t.has_email for t in tables):
        return
    last = content[-1]
    ends_with_newline = text.endswith("\n")
    owner = next((t for t in tables if t.rows and t.rows[-1] is last), None)
    if owner is not None and _short_last_row(owner, last, ends_with_newline):
        raise AttendanceFileError(_cut_message(last.number))
    headed = next((t for t in tables if t.header_line is last), None)
    if headed is not None and headed.has_email and any(t.rows for t in tables):
        raise AttendanceFileError(_cut_message(last.number))
    if (owner is None and headed is None and _is_title(last.cells)
            and last.cells[0].lower().strip(" :,") not in OPTIONAL_LAST_TITLES):
        raise AttendanceFileError(_cut_message(last.number))
    announced = _announced_count(lines)
    usable = _usable(tables)
    if announced is not None and any(t.has_join for t in usable):
        listed = sum(len(t.rows) for t in usable if t.has_join)
        if listed < announced:
            raise AttendanceFileError(
                _cut_message(last.number) + " " + _(
                    "Its header announces %(announced)s participants but the file lists "
                    "%(listed)s.", announced=announced, listed=listed,
                )
            )


# --------------------------------------------------------------------------- rows


@dataclass
class _Columns:
    email: int | None
    alt: int | None
    minutes: int | None
    attended: int | None
    action: int | None
    waiting: int | None
    join: int | None
    leave: int | None
    timestamp: int | None
    names: list[int]

    @classmethod
    def of(cls, table: _Table) -> _Columns:
        names = [table.column(NAME_HEADERS), table.column(("first name",)),
                 table.column(("last name",))]
        return cls(
            email=table.column(EMAIL_HEADERS), alt=table.column(ALT_EMAIL_HEADERS),
            minutes=table.column(MINUTES_HEADERS), attended=table.column(("attended",)),
            action=table.column(ACTION_HEADERS), waiting=table.column(("in waiting room",)),
            join=table.column(JOIN_HEADERS), leave=table.column(LEAVE_HEADERS),
            timestamp=table.column(TIMESTAMP_HEADERS),
            names=[i for i in names if i is not None],
        )


def _control_problem(line: _Line, cols: _Columns) -> RowProblem | None:
    for index in [*cols.names, cols.email, cols.alt]:
        refused = refused_chars(_cell(line.cells, index))
        if refused:
            return RowProblem(line.number, _(
                "line %(line)s: the name or email holds the control character %(char)s; "
                "the row was left out.", line=line.number, char=char_name(refused[0]),
            ))
    return None


def _time_readings(line: _Line, table: _Table, index: int | None
                   ) -> tuple[list[tuple[str, datetime]] | None, RowProblem | None]:
    """The readings of a time cell (None when empty), or the problem it makes."""
    value = _cell(line.cells, index)
    if value.lower() in NO_VALUE:
        return None, None
    readings = parse_time(value)
    if readings:
        return readings, None
    label = table.header_line.cells[index] if index is not None else ""
    return None, RowProblem(line.number, _(
        'line %(line)s: the time "%(value)s" (%(column)s) cannot be read; the row was left '
        'out.', line=line.number, value=_shown(value), column=_shown(label),
    ))


def _impossible(line: int, minutes: int | float, max_minutes: int | None) -> RowProblem | None:
    shown = math.ceil(minutes) if minutes >= 0 else -math.ceil(-minutes)
    if minutes < 0:
        return RowProblem(line, _(
            "line %(line)s: duration %(minutes)s minutes is impossible; the row was left out.",
            line=line, minutes=shown,
        ))
    if max_minutes is not None and minutes > max_minutes:
        return RowProblem(line, _(
            "line %(line)s: duration %(minutes)s minutes is impossible (longer than the "
            "module plus a day); the row was left out.", line=line, minutes=shown,
        ))
    return None


def _minutes_of(line: _Line, table: _Table, cols: _Columns, max_minutes: int | None
                ) -> tuple[int | None, RowProblem | None]:
    """The minutes a present person stayed, checked against their join and leave times."""
    raw = _cell(line.cells, cols.minutes)
    minutes = None
    if raw.lower() not in NO_VALUE:
        minutes = _read_minutes(raw)
        if minutes is None:
            return None, RowProblem(line.number, _(
                'line %(line)s: the duration "%(value)s" cannot be read; the row was left out.',
                line=line.number, value=_shown(raw),
            ))
        problem = _impossible(line.number, minutes, max_minutes)
        if problem:
            return None, problem
    readings = {}
    for key, index in (("join", cols.join), ("leave", cols.leave),
                       ("timestamp", cols.timestamp)):
        readings[key], problem = _time_readings(line, table, index)
        if problem:
            return None, problem
    if readings["join"] and readings["leave"]:
        span = _span_minutes(readings["join"], readings["leave"])
        if span is None:
            return None, RowProblem(line.number, _(
                "line %(line)s: the leave time is before the join time, an impossible "
                "duration; the row was left out.", line=line.number,
            ))
        problem = _impossible(line.number, span, max_minutes)
        if problem:
            return None, problem
        if minutes is None:
            minutes = math.ceil(round(span, 6))
    return minutes, None


def _rows_of(table: _Table, max_minutes: int | None, report: AttendanceReport
             ) -> list[AttendanceRow]:
    """The table's readable rows; every other row goes to report.problems."""
    cols = _Columns.of(table)
    result = []
    for line in table.rows:
        row = line.cells
        if _cell(row, cols.waiting).lower() == "yes":
            continue
        raw_email, raw_alt, name = _cell(row, cols.email), _cell(row, cols.alt), _name(table, row)
        if not (raw_email or raw_alt or name):
            continue
        problem = _control_problem(line, cols)
        if cols.attended is not None:
            attended = _cell(row, cols.attended).lower() == "yes"
        elif cols.action is not None:
            attended = _cell(row, cols.action).lower().startswith("join")
        else:
            attended = True
        minutes = None
        if problem is None and attended:
            minutes, problem = _minutes_of(line, table, cols, max_minutes)
        if problem is not None:
            report.problems.append(problem)
            report.held_back |= {e for e in (report_email(clean_one_line(raw_email)),
                                             report_email(clean_one_line(raw_alt))) if e}
            continue
        email, alt = report_email(raw_email), report_email(raw_alt)
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


# --------------------------------------------------------------------------- refusals


def _columns_found(lines: list[_Line], tables: list[_Table]) -> str:
    header = tables[0].header_line if tables else next(
        (line for line in lines if not _is_blank(line.cells)), None)
    cells = [_shown(cell) for cell in (header.cells if header else []) if cell.strip()]
    cells = [cell for cell in cells if cell]
    if not cells:
        return _("none")
    shown = ", ".join(cells[:SHOWN_COLUMNS])
    return shown + (", …" if len(cells) > SHOWN_COLUMNS else "")


def _columns_needed() -> str:
    return _(
        "Needed: a column of email addresses (Email, User Email or Attendee Email) and join "
        "and leave times (Join Time, Leave Time) or a duration (Duration (Minutes), Time in "
        "Session (minutes), Attendance Duration)."
    )


def _explain_unreadable(lines: list[_Line], tables: list[_Table]) -> str:
    cells = {cell.lower() for line in lines[:30] for cell in line.cells}
    found = _("Columns found: %(columns)s.", columns=_columns_found(lines, tables))
    if {"full name", "user action"} <= cells:
        return " ".join([_(
            "This Teams attendance list (the 2020 layout) holds no email addresses, so it "
            "cannot mark registrations. Download the attendance report from the meeting's "
            "Attendance tab instead."
        ), found, _columns_needed()])
    return " ".join([_(
        "This file does not look like an attendance report. Export the participants or "
        "attendee report of the meeting: from Zoom (Reports > Usage or Webinar > Attendee "
        "report), Microsoft Teams (Attendance > Download) or Webex (Attendance > Export)."
    ), found, _columns_needed()])


def _explain_nobody(tables: list[_Table], report: AttendanceReport) -> AttendanceFileError:
    data_rows = sum(len(t.rows) for t in tables)
    if report.problems:
        return AttendanceFileError(_(
            "No one in this file can be counted: every row with an email address was left "
            "out (see the lines below). Correct the file or export it again."
        ), report.problems)
    if data_rows and report.guests:
        return AttendanceFileError(_(
            "The file lists %(count)s people but none with an email address, so no "
            "registration can be matched. Export a report that includes email addresses.",
            count=len(report.guests),
        ))
    return AttendanceFileError(_(
        "The file has the columns of an attendance report but lists no participants. Export "
        "the report again once the meeting has ended."
    ))


def parse_attendance(data: bytes, *, max_minutes: int | None = None) -> AttendanceReport:
    """Read a Zoom, Teams or Webex attendance export; a stay longer than max_minutes is
    impossible."""
    if not data or not data.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise AttendanceFileError(_("The file is empty. Export the attendance report again."))
    if data.startswith(b"PK\x03\x04"):
        raise AttendanceFileError(_(
            "This is an Excel workbook. Export or save the attendance report as CSV and "
            "upload that file."
        ))
    text = decode_text(data)
    delimiter = sniff_delimiter(text)
    lines = read_lines(text, delimiter)
    all_tables = find_tables(lines)
    check_complete(text, lines, all_tables, delimiter)
    tables = _usable(all_tables)
    if not any(t.has_email and t.has_timing for t in tables):
        raise AttendanceFileError(_explain_unreadable(lines, all_tables))
    report = AttendanceReport(_platform(lines, tables))
    read = [row for table in tables for row in _rows_of(table, max_minutes, report)]
    report.rows, report.guests = _add_up(read)
    report.held_back -= {row.email for row in report.rows if row.attended}
    report.held_back -= {row.alt_email for row in report.rows if row.attended and row.alt_email}
    last = next((line for line in reversed(lines) if not _is_blank(line.cells)), None)
    if (last is not None and not text.endswith("\n")
            and any(problem.line == last.number for problem in report.problems)):
        raise AttendanceFileError(_cut_message(last.number))
    if not report.rows:
        raise _explain_nobody(tables, report)
    return report
