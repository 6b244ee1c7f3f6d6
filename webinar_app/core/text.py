"""Which characters a text may hold: the one rule for forms, importers and the calendar.

A one-line value (a name, a title, a subject) holds no control character at all (Unicode
category Cc: NUL, TAB, CR, LF, DEL, the C1 controls...) and no line or paragraph separator
(U+2028, U+2029): it may end up in an email header, a calendar property or a CSV cell. A
multi-line value (a description, a message) may also hold TAB, CR and LF, nothing else of them.
Lone surrogates (U+D800-U+DFFF) are refused everywhere. Importers call `has_control_chars`
(or `refused_chars` to name the characters); outputs clean stored text with `clean_one_line`
and `clean_multiline`.

French typography (`french_spacing`, applied to everything French the site writes): a narrow
no-break space (U+202F) before « : ; ! ? » and inside « », never inside URLs, times (14:00),
HTML tags, attributes, <script>, <style> or <textarea>; the rule in full is above the function.
Collation (`sort_for_people`): lists sorted for people follow the Unicode Collation Algorithm
(Bénin < Brésil < Brunei, Égypte among the E), not code points.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from typing import TypeVar

from markupsafe import Markup
from pyuca import Collator

MULTILINE_ALLOWED = frozenset("\t\r\n")
LINE_SEPARATORS = frozenset("\u2028\u2029")
# Control characters, and lone surrogates (not text at all: no database or email can hold them).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
# Characters that end a line for some reader (str.splitlines, vobject, mail clients).
_LINE_BREAKS = ("\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def is_control_char(char: str) -> bool:
    """Whether char is a control character (Unicode category Cc)."""
    return unicodedata.category(char) == "Cc"


def refused_chars(text: str, multiline: bool = False) -> list[str]:
    """The characters of text that the field may not hold, each once, in order of appearance."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    found: dict[str, None] = {}
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES or (
            not multiline and char in LINE_SEPARATORS
        ):
            found.setdefault(char)
    return list(found)


def has_control_chars(text: str, multiline: bool = False) -> bool:
    """Whether text holds a character refused in a one-line (or multi-line) value."""
    return bool(refused_chars(text, multiline))


def has_line_break(text: str) -> bool:
    """Whether text holds a CR, LF or another character that starts a new line."""
    return any(char in text for char in ("\n", *_LINE_BREAKS))


def char_name(char: str) -> str:
    """'U+0000 (NULL)': how a refused character is named in a message."""
    name = unicodedata.name(char, "")
    if not name and char in _CONTROL_NAMES:
        name = _CONTROL_NAMES[char]
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


_CONTROL_NAMES = {
    "\x00": "NULL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}


def clean_multiline(text: str) -> str:
    """text with every line break as LF and every other control character dropped (TAB kept)."""
    for brk in _LINE_BREAKS:
        text = text.replace(brk, "\n")
    return "".join(
        c for c in text if c in "\t\n" or unicodedata.category(c) not in _REFUSED_CATEGORIES
    )


def clean_one_line(text: str) -> str:
    """text on one line: line breaks and runs of white space become one space, controls go."""
    text = clean_multiline(text)
    return " ".join(text.split())


# --- French typography ----------------------------------------------------------------------
# The one rule, applied by `french_spacing` to everything French the site writes (rendered
# pages, email bodies, documents, subjects, calendar text), so translators and organisers type
# ordinary spaces:
# - a narrow no-break space (U+202F) before « : ; ! ? »: an ordinary, no-break or thin space
#   there becomes U+202F, and one is added when there is none and the mark ends a word (it is
#   followed by a space, the end, a closing bracket, quote or guillemet);
# - a narrow no-break space inside guillemets: «\u202ftexte\u202f».
# Left alone: URLs (`https://`, `mailto:`, `?lang=fr`), times and ratios (14:00, 3:1), a mark
# right after another (« ?! »), and in HTML the tags with their attributes, entities, comments
# and the contents of <script>, <style> and <textarea> (what a person edits stays as typed).
# The function is idempotent.

NARROW_NBSP = "\u202f"
_SPACES = " \t\u00a0\u2009\u202f"  # the spaces a mark may follow: each run becomes one U+202F
_HIGH_MARKS = ":;!?"
_URL = r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://|mailto:|webcal:|tel:)[^\s<>\"']*"
_PROTECTED_TEXT = re.compile(_URL)
_PROTECTED_HTML = re.compile(
    r"<(script|style|textarea)\b.*?</\1\s*>"  # raw or person-edited contents
    r"|<!--.*?-->"
    r"|<[a-zA-Z/!?][^<>]*>"  # a tag with its attributes
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);"  # an entity
    rf"|{_URL}",
    re.IGNORECASE | re.DOTALL,
)
_NBSP_ENTITY = r"(?:&nbsp;|&#160;|&#[xX]0*[aA]0;)"
_NBSP_ENTITY_BEFORE_MARK = re.compile(rf"{_NBSP_ENTITY}+(?=[{_HIGH_MARKS}»])")
_NBSP_ENTITY_AFTER_OPENING = re.compile(rf"(?<=«){_NBSP_ENTITY}+")
_SPACE_BEFORE_MARK = re.compile(rf"[{_SPACES}]+(?=[{_HIGH_MARKS}])")
# A mark that ends a word: not followed by a letter, digit, slash, '=', '&'... (URLs, 14:00)
_BARE_MARK = re.compile(
    rf"(?<=[^\s{_HIGH_MARKS}])(?=[{_HIGH_MARKS}](?:\Z|[\s)\]}}»\"'’.,…<]))"
)
_AFTER_OPENING = re.compile(rf"«[{_SPACES}]*")
_BEFORE_CLOSING = re.compile(rf"(?<=[^\n])[{_SPACES}]*»")


def _space_text(text: str, before: str) -> str:
    """French spacing of a run of plain text; `before` is the visible character before it."""
    text = before + text
    text = _SPACE_BEFORE_MARK.sub(NARROW_NBSP, text)
    text = _BARE_MARK.sub(NARROW_NBSP, text)
    text = _AFTER_OPENING.sub("«" + NARROW_NBSP, text)
    text = _BEFORE_CLOSING.sub(NARROW_NBSP + "»", text)
    return text[len(before):]


def french_spacing(text: str, html: bool = False) -> str:
    """text with French spacing before « : ; ! ? » and inside « » (see the rule above).

    html=True leaves tags, attributes, entities, comments, <script>, <style> and <textarea>
    as they are and spaces the text between them; a Markup stays Markup.
    """
    protected = _PROTECTED_HTML if html else _PROTECTED_TEXT
    if html:
        text_type = type(text)
        text = text_type(_NBSP_ENTITY_AFTER_OPENING.sub("«", _NBSP_ENTITY_BEFORE_MARK.sub(
            NARROW_NBSP, text)))
    out: list[str] = []
    before, position = "\n", 0
    for match in protected.finditer(text):
        run = text[position:match.start()]
        out.append(_space_text(run, before))
        before = run[-1:] or before
        out.append(match.group())
        if not match.group().startswith("<"):
            before = "x"  # an entity or a URL is visible text that is not a space
        position = match.end()
    out.append(_space_text(text[position:], before))
    spaced = "".join(out)
    return Markup(spaced) if isinstance(text, Markup) else spaced  # noqa: S704 - same markup


def is_french(language: str | None) -> bool:
    """Whether a language code ('fr', 'fr_BE') is French."""
    return bool(language) and str(language).replace("-", "_").split("_")[0].lower() == "fr"


def typeset(text: str, language: str | None, html: bool = False) -> str:
    """text with the typography of its language: `french_spacing` in French, else as is."""
    return french_spacing(text, html=html) if is_french(language) else text


# --- Collation -------------------------------------------------------------------------------
# Lists sorted for people (countries, zones, organisation types, names) follow the Unicode
# Collation Algorithm (pyuca, DUCET): accents and case count only after the letters, so in
# French Bénin < Brésil < Brunei and Égypte sits among the E. DUCET is the CLDR root order,
# which is the French and English order; a language that needs a tailoring would need PyICU.
# Paginated lists sorted by the database keep the database's ORDER BY.

T = TypeVar("T")


@cache
def _collator() -> Collator:
    """The DUCET collator, loaded once (about 0.2 s)."""
    return Collator()


def collation_key(text: str, locale: str | None = None) -> tuple:
    """The sort key of text for readers of `locale`. English and French, the site's languages,
    both sort by the root collation, so the key does not depend on the locale yet."""
    return (_collator().sort_key(text), text)


def sort_for_people(
    items: Iterable[T], key: Callable[[T], str] = str, locale: str | None = None
) -> list[T]:
    """items sorted as a reader of `locale` expects (None: the current Flask-Babel locale)."""
    return sorted(items, key=lambda item: collation_key(str(key(item)), locale))
