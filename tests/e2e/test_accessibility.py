"""axe-core finds no WCAG 2.2 A/AA violation on the public pages, the personal page and its forms,
every organiser page, every form refused, and the HTML part of every email; form errors are tied
to their fields and summarised at the top."""

from __future__ import annotations

from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT
from tests.e2e.journeys import (
    PUBLIC_PAGES,
    SERIES_SLUG,
    axe_violations,
    describe_violations,
    html_text,
    personal_link,
    register,
    screenshot,
)
from tests.e2e.site_pages import site_pages
from tests.e2e.test_organiser_journey import log_in

GOLDEN_EMAILS = sorted((ROOT / "tests" / "golden" / "email").glob("*.eml"))

ORGANISER_PAGES = [
    "/admin/",
    f"/admin/series/{SERIES_SLUG}",
    f"/admin/series/{SERIES_SLUG}/modules/1",
    f"/admin/series/{SERIES_SLUG}/modules/1/edit",
    f"/admin/series/{SERIES_SLUG}/registrations",
    "/admin/outbox/",
    f"/admin/series/{SERIES_SLUG}/invitations",
    f"/admin/series/{SERIES_SLUG}/modules/1/summary",
    f"/admin/series/{SERIES_SLUG}/reader",
]


@pytest.fixture()
def context(browser, live_server):
    """A profile that lets the test inject axe-core despite the app's Content-Security-Policy."""
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def check_pages(page, paths: list[str]) -> None:
    """Visit each page; fail once with every violation found on any of them."""
    problems = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        violations = axe_violations(page)
        if violations:
            problems.append(f"{path}\n{describe_violations(violations)}")
    assert not problems, "axe-core violations:\n" + "\n".join(problems)


def test_public_pages_have_no_wcag_violations(page, live_server):
    check_pages(page, PUBLIC_PAGES)


def test_registration_errors_are_summarised_and_tied_to_their_fields(page, live_server):
    page.goto(f"/series/{SERIES_SLUG}/register")
    page.get_by_label("Email", exact=True).fill("not an address")
    page.get_by_role("button", name="Register").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value("not an address")
    screenshot(page, "register-errors")
    links = summary.locator("a")
    assert links.count() >= 3
    for link in links.all():
        target = link.get_attribute("href").removeprefix("#")
        field = page.locator(f"[id='{target}']")
        described = (field.get_attribute("aria-describedby") or "").split()
        assert f"{target}-error" in described, f"{target} is not tied to its error"
        expect(page.locator(f"[id='{target}-error']")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_personal_page_has_no_wcag_violations(page, live_server):
    email = "axe.person@example.org"
    register(page, name="Axe Person", email=email, modules=[1, 2])
    link = personal_link(live_server.wait_for_mail(email)[0].message)
    token_path = link.removeprefix(live_server.url)
    check_pages(page, [token_path, f"{token_path}/details", f"{token_path}/delete"])
    check_emails(page, {"registration (sent)": html_text(
        live_server.wait_for_mail(email)[0].message)})


def test_main_organiser_pages_have_no_wcag_violations(page, live_server):
    log_in(page, live_server.organiser_email, live_server.organiser_password)
    check_pages(page, ORGANISER_PAGES)


def check_emails(page, emails: dict[str, str]) -> None:
    """Show each email's HTML part as a mail program would (no site around it); fail once."""
    problems = []
    for name, html in emails.items():
        page.set_content(html)
        violations = axe_violations(page)
        if violations:
            problems.append(f"{name}\n{describe_violations(violations)}")
    assert not problems, "axe-core violations in emails:\n" + "\n".join(problems)


def test_email_html_parts_have_no_wcag_violations(page):
    """Every kind of email, in both languages (the golden files test_golden.py keeps current)."""
    assert len(GOLDEN_EMAILS) >= 30
    emails = {}
    for path in GOLDEN_EMAILS:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        emails[path.name] = html_text(message)
    check_emails(page, emails)


def test_every_page_and_refused_form_has_no_wcag_violations(browser, app, runner, make_user):
    """The pages of site_pages.py (the organiser area as a click-through crawl reaches it, public
    and personal pages, every form refused), served to Chromium by the app in the test."""
    pages, client = site_pages(app, runner, make_user)
    context = browser.new_context(base_url="http://localhost", locale="en-GB", bypass_csp=True)
    context.set_default_timeout(10_000)
    shown = {"html": ""}

    def serve(route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame.parent_frame is None:
            route.fulfill(body=shown["html"], content_type="text/html; charset=utf-8")
            return
        url = urlsplit(request.url)
        response = client.get(url.path + (f"?{url.query}" if url.query else ""))
        route.fulfill(status=response.status_code, body=response.get_data(),
                      content_type=response.content_type)
        response.close()

    context.route("http://localhost/**", serve)
    page = context.new_page()
    problems = []
    try:
        for name, html in sorted(pages.items()):
            shown["html"] = html
            page.goto(name.removeprefix("POST "))
            violations = axe_violations(page)
            if violations:
                problems.append(f"{name}\n{describe_violations(violations)}")
    finally:
        context.close()
    assert not problems, f"axe-core violations on {len(problems)} of {len(pages)} pages:\n" + (
        "\n".join(problems))
