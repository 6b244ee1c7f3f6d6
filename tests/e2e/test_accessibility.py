"""axe-core finds no WCAG 2.2 A/AA violation on the public pages, the personal page and the main
organiser pages; form errors are tied to their fields and summarised at the top."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    PUBLIC_PAGES,
    SERIES_SLUG,
    axe_violations,
    describe_violations,
    personal_link,
    register,
    screenshot,
)
from tests.e2e.test_organiser_journey import log_in

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


def test_main_organiser_pages_have_no_wcag_violations(page, live_server):
    log_in(page, live_server.organiser_email, live_server.organiser_password)
    check_pages(page, ORGANISER_PAGES)
