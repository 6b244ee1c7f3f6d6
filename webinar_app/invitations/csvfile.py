"""Reading invitee lists as Excel and LibreOffice write them: pure functions, no database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _

from webinar_app.registration.services import InvalidEmail, normalise_email

HEADER_ALIASES = {
    "full_name": {"name", "full name", "full_name", "fullname", "nom", "nom complet",
                  "participant"},
    "email": {"email", "e-mail", "email address", "e-mail address", "mail", "courriel",
              "adresse e-mail", "adresse email"},
    "organisation": {"organisation", "organization", "org", "institution", "organisme"},
    "country": {"country", "pays", "member state", "state"},
    "language": {"language", "lang", "langue", "preferred language"},
}
LANGUAGE_ALIASES = {
    "en": "en", "eng": "en", "english": "en", "anglais": "en",
    "fr": "fr", "fra": "fr", "fre": "fr", "french": "fr", "français": "fr", "francais": "fr",
}
MAX_LENGTHS = {"full_name": 200, "organisation": 200, "country": 100}


class UnreadableFile(ValueError):
    """The file is not a CSV invitee list we can read (encoding, no email column, empty)."""


@dataclass(frozen=True)
class InviteeRow:
    """One valid row, cleaned."""

    line: int
    email: str
    full_name: str
    organisation: str
    country: str
    language: str


@dataclass(frozen=True)
class BadRow:
    """A row that will not be imported, with its line in the file and why."""

    line: int
    reason: str
    raw: str


@dataclass
class ParsedList:
    """What a file contains: valid rows and bad rows, in file order."""

    rows: list[InviteeRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    delimiter: str = ","


def decode(data: bytes) -> str:
    """UTF-8 with or without a BOM; Windows-1252 as Excel's 'CSV' writes it on Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(_("The file is not text in UTF-8.")) from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: semicolon (French Excel), tab or comma."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_map(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = " ".join(name.strip().strip('"').lower().replace("_", " ").split())
        for target, aliases in HEADER_ALIASES.items():
            if (key in aliases or key.replace(" ", "_") in aliases) and target not in columns:
                columns[target] = index
    return columns


def _records(reader) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every record after the header."""
    previous_end = reader.line_num
    for cells in reader:
        yield previous_end + 1, cells
        previous_end = reader.line_num


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return ""
    return " ".join(cells[index].replace("\x00", "").split())


def _language(value: str, default: str) -> str:
    return LANGUAGE_ALIASES.get(value.strip().lower(), default)


def parse_invitees(text: str, default_language: str = "en") -> ParsedList:
    """Every row of the list checked: bad email, missing name, duplicate address, too long."""
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise UnreadableFile(_("The file is empty."))
    columns = _column_map(header)
    if "email" not in columns:
        raise UnreadableFile(_("The first line must name the columns, with one called “email”."))
    parsed = ParsedList(delimiter=delimiter)
    seen: dict[str, int] = {}
    for line, cells in _records(reader):
        if not any(c.strip() for c in cells):
            continue
        raw = delimiter.join(cells)[:300]
        problem, row = _check(line, cells, columns, seen, default_language)
        if problem:
            parsed.bad.append(BadRow(line, problem, raw))
        elif row:
            seen[row.email] = line
            parsed.rows.append(row)
    return parsed


def _check(line, cells, columns, seen, default_language) -> tuple[str | None, InviteeRow | None]:
    values = {name: _cell(cells, columns, name) for name in HEADER_ALIASES}
    try:
        email = normalise_email(values["email"])
    except InvalidEmail:
        if not values["email"]:
            return _("missing email"), None
        return _("bad email “%(email)s”", email=values["email"][:100]), None
    if not values["full_name"]:
        return _("missing name"), None
    if email in seen:
        return _("duplicate of line %(line)s (%(email)s)", line=seen[email], email=email), None
    for name, limit in MAX_LENGTHS.items():
        if len(values[name]) > limit:
            return _("%(column)s longer than %(limit)s characters", column=name, limit=limit), None
    return None, InviteeRow(
        line=line,
        email=email,
        full_name=values["full_name"],
        organisation=values["organisation"],
        country=values["country"],
        language=_language(values["language"], default_language),
    )
