"""Which characters a text may hold: the one rule for forms, importers and the calendar.

A one-line value (a name, a title, a subject) holds no control character at all (Unicode
category Cc: NUL, TAB, CR, LF, DEL, the C1 controls...) and no line or paragraph separator
(U+2028, U+2029): it may end up in an email header, a calendar property or a CSV cell. A
multi-line value (a description, a message) may also hold TAB, CR and LF, nothing else of them.
Lone surrogates (U+D800-U+DFFF) are refused everywhere. Importers call `has_control_chars`
(or `refused_chars` to name the characters); outputs clean stored text with `clean_one_line`
and `clean_multiline`.
"""

from __future__ import annotations

import unicodedata

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
