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

from markupsafe import Markup

MULTILINE_ALLOWED = frozenset("\t\r\n")
LINE_SEPARATORS = frozenset("\u2028\u2029")
# Control characters, and lone surrogates (not text at all: no database or email can hold them).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
# Characters that end a line for some reader (str.splitlines, vobject, mail clients).
_LINE_BREAKS = ("\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


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
_URL = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*://|mailto:|webcal:|tel:)[^\s<>\"']*")
# What HTML leaves alone (split out, then kept as is): comments, tags with their attributes and
# entities; and everything from <script>, <style> or <textarea> to its closing tag.
_HTML_TOKEN = re.compile(
    r"(<!--.*?-->|<[a-zA-Z/!?][^<>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);)",
    re.DOTALL,
)
_RAW_ELEMENT = re.compile(r"<(script|style|textarea)\b", re.IGNORECASE)
_NBSP_ENTITY = re.compile(r"(?:&nbsp;|&#160;|&#[xX]0*[aA]0;)+(?=[:;!?»])|(?<=«)(?:&nbsp;|&#160;)+")
_MARKS = frozenset(_HIGH_MARKS + "«»")
_SPACE_BEFORE_MARK = re.compile(rf"[{_SPACES}]+(?=[{_HIGH_MARKS}])")
# A mark that ends a word: not followed by a letter, digit, slash, '=', '&'... (URLs, 14:00)
_BARE_MARK = re.compile(
    rf"(?<=[^\s{_HIGH_MARKS}])(?=[{_HIGH_MARKS}](?:\Z|[\s)\]}}»\"'’.,…<]))"
)
_AFTER_OPENING = re.compile(rf"«[{_SPACES}]*")
_BEFORE_CLOSING = re.compile(rf"(?<=[^\n])[{_SPACES}]*»")


def _space_words(text: str, before: str) -> str:
    """French spacing of words without URLs; `before` is the visible character before them."""
    text = before + text
    text = _SPACE_BEFORE_MARK.sub(NARROW_NBSP, text)
    text = _BARE_MARK.sub(NARROW_NBSP, text)
    text = _AFTER_OPENING.sub("«" + NARROW_NBSP, text)
    text = _BEFORE_CLOSING.sub(NARROW_NBSP + "»", text)
    return text[len(before):]


def _space_text(text: str, before: str) -> str:
    """French spacing of plain text, its URLs left alone; `before` as in `_space_words`."""
    if _MARKS.isdisjoint(text):
        return text
    out: list[str] = []
    position = 0
    for url in _URL.finditer(text):
        words = text[position:url.start()]
        out.append(_space_words(words, before))
        out.append(url.group())
        before, position = "x", url.end()  # a URL is visible text that is not a space
    out.append(_space_words(text[position:], before))
    return "".join(out)


def french_spacing(text: str, html: bool = False) -> str:
    """text with French spacing before « : ; ! ? » and inside « » (see the rule above).

    html=True leaves tags, attributes, entities, comments, <script>, <style> and <textarea>
    as they are and spaces the text between them; a Markup stays Markup.
    """
    if not html:
        return _space_text(text, "\n")
    source = str(text)
    if "&nbsp;" in source or "&#" in source:
        source = _NBSP_ENTITY.sub(_nbsp_entity, source)
    out: list[str] = []
    before, raw_end = "\n", ""
    for index, part in enumerate(_HTML_TOKEN.split(source)):
        if raw_end:  # inside <script>, <style> or <textarea>: as is, up to the closing tag
            raw_end = "" if index % 2 and part.lower().startswith(raw_end) else raw_end
            out.append(part)
        elif index % 2:  # a tag, comment or entity
            out.append(part)
            if raw := _RAW_ELEMENT.match(part):
                raw_end = f"</{raw.group(1).lower()}"
            elif part.startswith("&"):
                before = "x"  # an entity is visible text that is not a space
        elif part:
            out.append(_space_text(part, before))
            before = part[-1]
    spaced = "".join(out)
    return Markup(spaced) if isinstance(text, Markup) else spaced  # noqa: S704 - same markup


def _nbsp_entity(match: re.Match[str]) -> str:
    """&nbsp; before a mark becomes the narrow space; after « it goes (« adds its own)."""
    return "" if match.string[match.start() - 1:match.start()] == "«" else NARROW_NBSP


def is_french(language: str | None) -> bool:
    """Whether a language code ('fr', 'fr_BE') is French."""
    return bool(language) and str(language).replace("-", "_").split("_")[0].lower() == "fr"


def typeset(text: str, language: str | None, html: bool = False) -> str:
    """text with the typography of its language: `french_spacing` in French, else as is."""
    return french_spacing(text, html=html) if is_french(language) else text
