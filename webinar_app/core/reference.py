"""Reference data shown and checked on several pages: countries, organisation types, languages."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from webinar_app.i18n import sort_for_people

ORGANISATION_TYPES = (
    "government",
    "regional-body",
    "international-organisation",
    "ngo",
    "academia",
    "other",
)

ORGANISATION_TYPE_LABELS = {
    "government": _l("Member-state government"),
    "regional-body": _l("Regional body"),
    "international-organisation": _l("International organisation"),
    "ngo": _l("NGO or civil society"),
    "academia": _l("Academia"),
    "other": _l("Other"),
}
LANGUAGE_LABELS = {"en": "English", "fr": "Français"}
# Babel territories that are not ISO 3166-1 countries (XK, Kosovo, is kept: it is in common use).
_NOT_COUNTRIES = {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB",
                  "ZZ"}


@cache
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    codes = [c for c in names if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES]
    return tuple(sort_for_people(((c, names[c]) for c in codes), key=lambda item: item[1],
                                 locale=locale))


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries, named in the page's language."""
    return list(_countries(str(get_locale() or "en")))


def country_name(code: str) -> str:
    """The country's name in the page's language ('' when unknown)."""
    return dict(_countries(str(get_locale() or "en"))).get(code, code)


def organisation_type_choices() -> list[tuple[str, str]]:
    """The types in the reader's alphabetical order, "Other" last."""
    named = [(code, str(ORGANISATION_TYPE_LABELS[code])) for code in ORGANISATION_TYPES]
    others = [item for item in named if item[0] == "other"]
    return sort_for_people([i for i in named if i not in others], key=lambda i: i[1]) + others


def organisation_type_label(code: str) -> str:
    return str(ORGANISATION_TYPE_LABELS.get(code, code))


def country_code(value: str) -> str:
    """An ISO 3166 code for a code or a country name in English or French ('' if unknown)."""
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    for locale in ("en", "fr"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and name.lower() == text.lower():
                return code
    return ""
