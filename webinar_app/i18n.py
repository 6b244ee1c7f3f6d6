"""Language choice, French texts of the content, and the message catalogues.

The language is the person's remembered choice (the "lang" cookie, set by the link on every
page), then the browser's Accept-Language. Content (series, modules, agenda items, notes) can
carry a French version in `<field>_fr`; `localized` falls back to English when it is empty.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request
from flask_babel import get_locale, refresh
from pyuca import Collator

LANGUAGE_COOKIE = "lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


def select_locale() -> str:
    """The locale for this request."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work
        return current_app.config.get("BABEL_DEFAULT_LOCALE", supported[0])
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or supported[0]


def forget_locale() -> None:
    """Choose the locale afresh for each request, even one sharing an application context."""
    refresh()


def current_language() -> str:
    """'fr' or 'en': the language of the page or email being rendered."""
    try:
        locale = get_locale()
    except RuntimeError:  # no application context
        return "en"
    return locale.language if locale is not None else "en"


def text_direction(language: str | None = None) -> str:
    """'rtl' for right-to-left languages, else 'ltr' (the <html dir> attribute)."""
    return "rtl" if (language or current_language()) in RTL_LANGUAGES else "ltr"


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """obj.<field>_fr when the language is French and it is filled in, else obj.<field>."""
    if (language or current_language()).split("_")[0] == "fr":
        french = getattr(obj, f"{field}_fr", None)
        if french and french.strip():
            return french
    return getattr(obj, field) or ""


def compile_catalogues(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile every messages.po whose .mo is missing or older (fuzzy entries left out)."""
    written = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        partial.replace(mo_path)  # atomic: a process reading the catalogue never sees half
        written.append(mo_path)
    return written


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
