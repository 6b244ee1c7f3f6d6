"""Reading invitee lists as Excel and LibreOffice write them: pure functions, no database.

`read_invitees` walks the file once, record by record, and yields each row checked (a valid
`InviteeRow` or a `BadRow` with its line and reason); the preview (`check_list`), the background
import and `flask invitations import` all use it, so they agree on every row. A quote that
opens a field and never closes (or closes many lines later) would make the csv module fold the
rest of the file into one cell; it is refused with its line (`UnclosedQuote`).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from webinar_app.core.addresses import InvalidEmail, fast_normalise_email
from webinar_app.core.csv import sniff_delimiter
from webinar_app.core.text import char_name, refused_chars

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
# A cell may hold a few line breaks (Alt+Enter in Excel); a record running over more lines
# than this is a quote that opened and closed far apart.
MAX_RECORD_LINES = 10
MAX_PROBLEMS = 50
# Unicode category Cc (C0, DEL, C1) except TAB, LF and CR, which a cell may hold and which
# become spaces; one regular expression over the whole file finds them fast.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class UnreadableFile(ValueError):
    """The file is not a CSV invitee list we can read (encoding, no email column, empty)."""


class UnclosedQuote(UnreadableFile):
    """A quote opens a field on `line` and swallows the `swallowed` lines after it."""

    def __init__(self, line: int, swallowed: int, closes_on: int | None) -> None:
        self.line = line
        self.swallowed = swallowed
        self.closes_on = closes_on
        super().__init__(self.message())

    def message(self) -> str:
        """The refusal as the organiser reads it next to the upload field."""
        if self.closes_on is None and self.swallowed == 0:
            text = _("line %(line)s: a quote opened here is never closed.", line=self.line)
        elif self.closes_on is None:
            text = ngettext(
                "line %(line)s: a quote opened here is never closed; it would swallow "
                "%(num)s line.",
                "line %(line)s: a quote opened here is never closed; it would swallow "
                "%(num)s lines.",
                self.swallowed, line=self.line)
        else:
            text = ngettext(
                "line %(line)s: a quote opened here closes only on line %(end)s; it would "
                "swallow %(num)s line.",
                "line %(line)s: a quote opened here closes only on line %(end)s; it would "
                "swallow %(num)s lines.",
                self.swallowed, line=self.line, end=self.closes_on)
        return text + " " + _("Remove the stray quote (or double it: \"\") and upload the "
                              "file again; nothing was imported.")


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
    is_duplicate: bool = False


@dataclass
class ParsedList:
    """What a file contains: valid rows and bad rows, in file order."""

    rows: list[InviteeRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    delimiter: str = ","


@dataclass
class ListCheck:
    """The preview of a file: counts, and the first problems with their lines."""

    valid: int = 0
    bad: int = 0
    duplicates: int = 0
    new: int = 0
    existing: int = 0
    problems: list[BadRow] = field(default_factory=list)


def _column_map(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = " ".join(name.strip().strip('"').lower().replace("_", " ").split())
        for target, aliases in HEADER_ALIASES.items():
            if (key in aliases or key.replace(" ", "_") in aliases) and target not in columns:
                columns[target] = index
    return columns


def _ends_inside_quotes(text: str, line: int, delimiter: str) -> bool:
    """Whether the file, read strictly from physical line `line`, ends inside a quoted field."""
    rest = "".join(itertools.islice(io.StringIO(text, newline=""), line - 1, None))
    try:
        next(csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter, strict=True), None)
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


def _allow_fields_of(size: int) -> None:
    """Let the csv module read a cell as long as the file (its default stops at 128 KiB, which
    a runaway quote in a large file passes before it can be reported). Only ever raised: the
    limit is global to the process."""
    if csv.field_size_limit() < size:
        csv.field_size_limit(size)


def _swallows_rows(cells: list[str], delimiter: str) -> bool:
    """Whether a cell spans lines that look like rows of their own (a delimiter and an @)."""
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            for part in cell.splitlines()[1:]:
                if delimiter in part and "@" in part:
                    return True
    return False


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for every record; refuses a runaway quote.

    The csv module, lenient, folds everything after a quote that never closes into one cell.
    A record over more than MAX_RECORD_LINES lines, or with a cell whose later lines look like
    rows, is such a quote; the last record is read again strictly, which tells whether the
    file ends inside quotes. One record of look-ahead: nothing is yielded from a refused file
    past the record before the quote.
    """
    _allow_fields_of(len(text) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    pending: tuple[int, int, list[str]] | None = None
    for cells in _checked(reader):
        start, end = previous_end + 1, reader.line_num
        previous_end = end
        if end - start + 1 > MAX_RECORD_LINES or (end > start and _swallows_rows(cells,
                                                                                 delimiter)):
            at_eof = _ends_inside_quotes(text, start, delimiter)
            raise UnclosedQuote(start, end - start, None if at_eof else end)
        if pending is not None:
            yield pending[0], pending[2]
        pending = (start, end, cells)
    if pending is not None:
        start, end, cells = pending
        if _ends_inside_quotes(text, start, delimiter):
            raise UnclosedQuote(start, end - start, None)
        yield start, cells


def _checked(reader) -> Iterator[list[str]]:
    """The reader's records; a csv error becomes UnreadableFile with the line of its record."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise UnreadableFile(_("line %(line)s: the file cannot be read as CSV (%(error)s).",
                                   line=line, error=exc)) from exc
        yield cells


def _control_problem(cells: list[str], header: list[str]) -> str | None:
    """'control character U+0000 (NULL) in “organisation”' for the first such cell, or None."""
    for index, cell in enumerate(cells):
        if _CONTROL.search(cell):
            chars = refused_chars(cell, multiline=True)
            name = header[index].strip() if index < len(header) else str(index + 1)
            return _("control character %(char)s in “%(column)s”",
                     char=char_name(chars[0]) if chars else "?", column=name[:40])
    return None


def read_invitees(text: str, default_language: str = "en") -> Iterator[InviteeRow | BadRow]:
    """Every row of the list checked, in file order: bad email, missing name, duplicate
    address, too long, control characters. Raises UnreadableFile before the first row."""
    delimiter = sniff_delimiter(text)
    records = _records(text, delimiter)
    first = next(records, None)
    if first is None or not first[1]:
        raise UnreadableFile(_("The file is empty."))
    header = first[1]
    columns = _column_map(header)
    if "email" not in columns:
        raise UnreadableFile(_("The first line must name the columns, with one called “email”."))
    has_controls = _CONTROL.search(text) is not None
    check = _RowChecker(columns, default_language, delimiter)
    for line, cells in records:
        if not any(cells) or not any(c.strip() for c in cells):
            continue
        problem = _control_problem(cells, header) if has_controls else None
        if problem:
            yield BadRow(line, problem, _CONTROL.sub("?", delimiter.join(cells))[:300])
            continue
        yield check(line, cells)


class _RowChecker:
    """Checks one record after another, remembering the addresses seen (for duplicates)."""

    def __init__(self, columns: dict[str, int], default_language: str, delimiter: str) -> None:
        self.indexes = [columns.get(name, -1) for name in HEADER_ALIASES]
        self.default_language = default_language
        self.delimiter = delimiter
        self.seen: dict[str, int] = {}

    def __call__(self, line: int, cells: list[str]) -> InviteeRow | BadRow:
        count = len(cells)
        full_name, email_text, organisation, country, language = (
            " ".join(cells[i].split()) if 0 <= i < count else "" for i in self.indexes
        )
        try:
            email = fast_normalise_email(email_text)
        except InvalidEmail:
            if not email_text:
                return self.bad(line, cells, _("missing email"))
            return self.bad(line, cells, _("bad email “%(email)s”", email=email_text[:100]))
        if not full_name:
            return self.bad(line, cells, _("missing name"))
        if email in self.seen:
            return self.bad(line, cells, _("duplicate of line %(line)s (%(email)s)",
                                           line=self.seen[email], email=email), True)
        for column, value in (("full_name", full_name), ("organisation", organisation),
                              ("country", country)):
            if len(value) > MAX_LENGTHS[column]:
                return self.bad(line, cells, _("%(column)s longer than %(limit)s characters",
                                               column=column, limit=MAX_LENGTHS[column]))
        self.seen[email] = line
        return InviteeRow(line, email, full_name, organisation, country,
                          LANGUAGE_ALIASES.get(language.lower(), self.default_language))

    def bad(self, line: int, cells: list[str], reason: str, is_duplicate: bool = False) -> BadRow:
        """A bad row with the record as it was in the file (cut at 300 characters)."""
        return BadRow(line, reason, self.delimiter.join(cells)[:300], is_duplicate)


def check_list(
    text: str,
    default_language: str,
    is_known: Callable[[str], bool],
    max_problems: int = MAX_PROBLEMS,
) -> ListCheck:
    """Counts of the list (valid, bad, duplicates, new, already invited) and its first
    problems, without keeping the rows."""
    result = ListCheck()
    for item in read_invitees(text, default_language):
        if isinstance(item, BadRow):
            if item.is_duplicate:
                result.duplicates += 1
            else:
                result.bad += 1
            if len(result.problems) < max_problems:
                result.problems.append(item)
            continue
        result.valid += 1
        if is_known(item.email):
            result.existing += 1
        else:
            result.new += 1
    return result
