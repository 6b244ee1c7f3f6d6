"""The French catalogue covers every message in the code and templates, placeholders intact."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "webinar_app" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{(\w*)\}")


def _wanted_dir(path: str) -> bool:
    """Every folder but hidden ones and caches: templates/_macros must be read too."""
    name = Path(path).name
    return not name.startswith(".") and name not in {"__pycache__", "node_modules"}


@cache
def _source_messages() -> dict[str, str | None]:
    """msgid -> msgid_plural (or None) of every message the code and templates use."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[str, str | None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_wanted_dir
    ):
        if isinstance(message, tuple):
            found[message[0]] = message[1]
        elif message:
            found.setdefault(message, None)
    return found


@cache
def _catalogue():
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="fr")


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}


def test_extraction_finds_the_messages_of_code_and_templates():
    messages = _source_messages()
    assert "Register" in messages  # a template
    assert "Please correct the following" in messages  # a macro in templates/_macros
    assert "Registration confirmed: %(summary)s" in messages  # Python code
    assert messages["%(num)d module"] == "%(num)d modules"  # ngettext in a template


def test_every_message_has_a_french_translation():
    catalogue = _catalogue()
    missing = []
    for msgid, plural in sorted(_source_messages().items()):
        entry = catalogue.get(msgid if plural is None else (msgid, plural))
        if entry is None:
            entry = catalogue.get(msgid)
        strings = entry.string if entry is not None else ""
        forms = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(f and f.strip() for f in forms):
            missing.append(msgid)
    assert not missing, (
        f"{len(missing)} message(s) without a French translation (run `make translations`, then "
        f"translate them in {CATALOGUE.relative_to(ROOT)}):\n" + "\n".join(missing)
    )


def test_french_catalogue_is_not_marked_fuzzy():
    assert not _catalogue().fuzzy, "the catalogue header is fuzzy: pybabel compile would skip it"


def test_translations_keep_the_placeholders_of_the_original():
    wrong = []
    for entry in _catalogue():
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, tuple):
            pairs = list(zip(entry.id, entry.string, strict=False))
        else:
            pairs = [(entry.id, entry.string)]
        for original, translated in pairs:
            if translated and _placeholders(original) != _placeholders(translated):
                wrong.append(f"{original!r} -> {translated!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", ["Register", "Delete my data", "Your registrations"])
def test_french_pages_use_the_compiled_catalogue(client, name):
    from flask_babel import force_locale
    from flask_babel import gettext as _

    with force_locale("fr"):
        assert _(name) != name
