"""Every page passes the Nu HTML Checker (vnu.jar from npm) with no error.

The pages are those of tests/e2e/site_pages.py (organiser area, public and personal pages, every
form refused); one run of vnu.jar checks them all (one JVM start).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.journeys import E2E_DIR
from tests.e2e.site_pages import site_pages

VNU_JAR = E2E_DIR / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _check(folder: Path, pages: dict[str, str]) -> list[str]:
    """vnu.jar's errors, each named by the page it is on."""
    folder.mkdir()
    names = {}
    for number, (name, html) in enumerate(sorted(pages.items())):
        assert html, f"{name} gave no HTML"
        names[f"page{number:03}.html"] = name
        (folder / f"page{number:03}.html").write_text(html, encoding="utf-8")
    result = subprocess.run(  # noqa: S603
        [shutil.which("java"), "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
         "--exit-zero-always", *(str(folder / file) for file in names)],
        capture_output=True, text=True, timeout=300, check=True,
    )
    errors = []
    for message in json.loads(result.stderr)["messages"]:
        page = names.get(message.get("url", "").rsplit("/", 1)[-1], message.get("url"))
        errors.append(f"{page} line {message.get('lastLine')}: {message['message']}\n"
                      f"    {message.get('extract', '').strip()[:160]}")
    return errors


def test_every_page_is_valid_html(app, runner, make_user, tmp_path):
    if not shutil.which("java") or not VNU_JAR.exists():
        pytest.skip(f"needs java and {VNU_JAR} (`make e2e` installs vnu-jar from npm)")
    pages, _client = site_pages(app, runner, make_user)

    errors = _check(tmp_path / "pages", pages)

    assert not errors, f"{len(errors)} errors in {len(pages)} pages:\n" + "\n".join(errors)
