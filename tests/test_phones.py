"""Phones: the language switcher as two separate languages, one of them a link."""

from __future__ import annotations

import re

from tests.registration_helpers import csrf_token


def _switcher(html: str) -> str:
    return html.split('<li class="lang-switch">', 1)[1].split("</ul>", 1)[0]


def test_language_switcher_links_the_other_language_and_marks_the_current_one(
    client, make_series, make_module
):
    make_module(make_series())
    for path in ("/", "/series/test-series", "/series/test-series/register"):
        switcher = _switcher(client.get(path).get_data(as_text=True))
        assert switcher.count("<li>") == 2, path
        links = re.findall(r"<a [^>]*>", switcher)
        assert len(links) == 1, path
        assert 'lang="fr"' in links[0] and 'hreflang="fr"' in links[0], path
        assert re.search(r'<span aria-current="true" lang="en">English</span>', switcher), path
        assert "<a" not in switcher.split("English")[0], path


def test_switcher_in_french_links_english(client, make_series, make_module):
    make_module(make_series())
    client.get("/language/fr?next=/")
    switcher = _switcher(client.get("/series/test-series").get_data(as_text=True))
    assert re.search(r'<a [^>]*lang="en" hreflang="en"[^>]*>English</a>', switcher)
    assert '<span aria-current="true" lang="fr">Français</span>' in switcher


def test_consent_error_sits_under_its_checkbox_not_beside_it(client, make_series, make_module):
    make_module(make_series())
    response = client.post("/series/test-series/register", data={
        "csrf_token": csrf_token(client, "/series/test-series/register"),
        "full_name": "Amina Diallo", "email": "amina@example.org", "modules": "1"})
    html = response.get_data(as_text=True)
    assert re.search(
        r'<div class="field field-error">\s*<div class="field-check">\s*'
        r'<input [^>]*id="has_data_consent"[^>]*>\s*<label [^>]*>.*?</label>\s*</div>\s*'
        r'<p class="error" id="has_data_consent-error">', html, re.S)
