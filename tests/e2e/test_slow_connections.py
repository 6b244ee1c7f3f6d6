"""For slow and costly connections: pages work without JavaScript, load nothing from elsewhere and
no web font, weigh at most 50 KB, cache their static files for a year; emails read as plain text."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    SERIES_SLUG,
    fill_registration,
    html_text,
    personal_link,
    plain_text,
    screenshot,
)

PAGE_BUDGET_BYTES = 50 * 1024
ONE_YEAR_SECONDS = 365 * 24 * 60 * 60
PUBLIC_PAGES = [
    "/",
    f"/series/{SERIES_SLUG}",
    f"/series/{SERIES_SLUG}/modules/1",
    f"/series/{SERIES_SLUG}/modules/1?tz=Africa/Nairobi",
    f"/series/{SERIES_SLUG}/register",
    f"/series/{SERIES_SLUG}/summaries",
    f"/series/{SERIES_SLUG}/good-practices",
    f"/series/{SERIES_SLUG}-2021/summaries",
]
BUDGETED_PAGES = [
    f"/series/{SERIES_SLUG}",
    f"/series/{SERIES_SLUG}/modules/1",
    f"/series/{SERIES_SLUG}/register",
]


@pytest.fixture()
def no_js(browser, live_server):
    """A page in a profile with JavaScript turned off, recording every request it makes."""
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB", java_script_enabled=False)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.requests = []
    ctx.on("request", lambda request: page.requests.append(request))
    yield page
    ctx.close()


def test_public_pages_work_without_javascript_and_request_only_the_server(no_js, live_server):
    for path in PUBLIC_PAGES:
        response = no_js.goto(path)
        assert response is not None and response.ok, path
        expect(no_js.get_by_role("heading", level=1)).to_be_visible()
    elsewhere = [r.url for r in no_js.requests if not r.url.startswith(live_server.url + "/")]
    assert not elsewhere, f"requests to other hosts: {elsewhere}"
    fonts = [r.url for r in no_js.requests if r.resource_type == "font"]
    assert not fonts, f"web fonts loaded: {fonts}"
    kinds = {r.resource_type for r in no_js.requests}
    assert kinds <= {"document", "stylesheet", "image", "other"}, kinds


def test_registration_works_without_javascript(no_js, live_server):
    email = "no.script@example.org"
    no_js.goto(f"/series/{SERIES_SLUG}/modules/2?tz=Africa/Addis_Ababa")
    no_js.get_by_role("link", name="Register for this module").click()
    fill_registration(no_js, name="Noor Noscript", email=email, modules=[2, 4])
    no_js.get_by_role("button", name="Register").click()
    expect(no_js.get_by_role("heading", level=1)).to_have_text("Registration received")
    expect(no_js.locator(".card")).to_have_count(2)
    screenshot(no_js, "registered-without-javascript")
    link = personal_link(live_server.wait_for_mail(email, count=2)[0].message)
    no_js.goto(link)
    no_js.get_by_role("link", name="Cancel my place in module 4").click()
    no_js.get_by_role("button", name="Yes, cancel my place").click()
    expect(no_js.locator(".flash")).to_contain_text("module 4 is cancelled")


@pytest.mark.parametrize("path", BUDGETED_PAGES)
def test_page_transfers_at_most_50_kb_in_all(browser, live_server, path):
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = ctx.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path, wait_until="load")
    page.wait_for_load_state("networkidle")
    sizes = {
        r.url: r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"] for r in finished
    }
    ctx.close()
    assert any(url.endswith(".css") or ".css?" in url for url in sizes), sizes
    total = sum(sizes.values())
    print(f"{path}: {total} bytes")
    assert total <= PAGE_BUDGET_BYTES, f"{path}: {total} bytes: {sizes}"


def test_stylesheet_has_a_versioned_name_and_is_cached_for_a_year(page, live_server):
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"/series/{SERIES_SLUG}")
    stylesheets = [r for r in responses if r.request.resource_type == "stylesheet"]
    assert stylesheets, "the page loads no stylesheet"
    for response in stylesheets:
        assert re.search(r"[?&]v=[0-9a-f]{6,}", response.url), response.url
        cache_control = response.headers.get("cache-control", "")
        max_age = re.search(r"max-age=(\d+)", cache_control)
        assert max_age and int(max_age.group(1)) >= ONE_YEAR_SECONDS, cache_control
        css = response.text()
        assert "@font-face" not in css and "@import" not in css


def test_confirmation_email_has_a_complete_plain_text_part(page, live_server):
    email = "plain.text@example.org"
    page.goto(f"/series/{SERIES_SLUG}/register?module=3")
    fill_registration(page, name="Pat Plaintext", email=email, modules=[3])
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registration received")
    message = live_server.wait_for_mail(email)[0].message
    text, html = plain_text(message), html_text(message)
    assert "Module 3" in text and "Pat Plaintext" in text
    assert "Brussels" in text, "the time is stated with its time zone"
    links_in_html = set(re.findall(r'href="(https?://[^"]+)"', html))
    assert links_in_html, "the HTML part links nowhere"
    missing = {link.replace("&amp;", "&") for link in links_in_html} - set(
        re.findall(r"https?://\S+", text)
    )
    assert not missing, f"links of the HTML part missing from the plain text: {missing}"
