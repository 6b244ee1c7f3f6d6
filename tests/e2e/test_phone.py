"""On a 360-pixel-wide phone screen nothing scrolls sideways: public, personal and organiser pages,
and the error states; screenshots show the pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    SERIES_SLUG,
    fill_registration,
    personal_link,
    register,
    screenshot,
)
from tests.e2e.test_organiser_journey import log_in

PHONE = {"width": 360, "height": 740}
PHONE_PAGES = {
    "phone-series": f"/series/{SERIES_SLUG}",
    "phone-module": f"/series/{SERIES_SLUG}/modules/1?tz=Africa/Nairobi",
    "phone-register": f"/series/{SERIES_SLUG}/register",
    "phone-summaries": f"/series/{SERIES_SLUG}-2021/summaries",
    "phone-good-practices": f"/series/{SERIES_SLUG}-2021/good-practices",
}
# the personal pages, after the token: the page, its forms and the cancel question
PHONE_PERSONAL_PAGES = {
    "phone-personal": "",
    "phone-personal-details": "/details",
    "phone-personal-delete": "/delete",
    "phone-personal-cancel": "/modules/1/cancel",
}
PHONE_ORGANISER_PAGES = {
    "phone-admin": "/admin/",
    "phone-admin-series": f"/admin/series/{SERIES_SLUG}",
    "phone-admin-module": f"/admin/series/{SERIES_SLUG}/modules/1",
    "phone-admin-module-edit": f"/admin/series/{SERIES_SLUG}/modules/1/edit",
    "phone-admin-registrations": f"/admin/series/{SERIES_SLUG}/registrations",
    "phone-admin-outbox": "/admin/outbox/",
    "phone-admin-invitations": f"/admin/series/{SERIES_SLUG}/invitations",
    "phone-admin-summary": f"/admin/series/{SERIES_SLUG}/modules/1/summary",
    "phone-admin-reader": f"/admin/series/{SERIES_SLUG}/reader",
    "phone-admin-reports": f"/admin/series/{SERIES_SLUG}/reports",
    "phone-admin-audit": f"/admin/series/{SERIES_SLUG}/audit",
}


@pytest.fixture()
def phone(browser, live_server):
    ctx = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport=PHONE, is_mobile=True,
        has_touch=True, device_scale_factor=2,
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def scroll_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def assert_fits(page, name: str, path: str) -> None:
    """Open the page, keep its screenshot, and check nothing scrolls sideways."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot(page, name)
    assert scroll_width(page) <= PHONE["width"], f"{path} is {scroll_width(page)} px wide"


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_public_page_fits_a_360_pixel_screen(phone, name):
    phone.goto(PHONE_PAGES[name])
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    screenshot(phone, name)
    assert scroll_width(phone) <= PHONE["width"]


def test_registration_errors_fit_a_360_pixel_screen(phone):
    phone.goto(f"/series/{SERIES_SLUG}/register")
    phone.get_by_role("button", name="Register").click()
    expect(phone.locator(".error-summary")).to_be_visible()
    screenshot(phone, "phone-register-errors")
    assert scroll_width(phone) <= PHONE["width"]


def test_consent_error_sits_under_its_box_at_full_width(phone):
    phone.goto(f"/series/{SERIES_SLUG}/register")
    fill_registration(phone, name="Nadia Phone", email="nadia.phone@example.org", modules=[1])
    phone.locator("input[name=has_data_consent]").uncheck()
    phone.get_by_role("button", name="Register").click()
    error = phone.locator("[id='has_data_consent-error']")
    expect(error).to_be_visible()
    screenshot(phone, "phone-register-consent-error")
    box = error.bounding_box()
    check = phone.locator("input[name=has_data_consent]").bounding_box()
    assert box is not None and check is not None
    assert box["y"] >= check["y"] + check["height"], "the error is beside the box, not under it"
    assert box["width"] >= PHONE["width"] / 2, f"the error is squeezed to {box['width']} px"
    assert scroll_width(phone) <= PHONE["width"]


def test_personal_pages_fit_a_360_pixel_screen(phone, live_server):
    email = "phone.person@example.org"
    register(phone, name="Phone Person", email=email, modules=[1, 2])
    token_path = personal_link(live_server.wait_for_mail(email)[0].message).removeprefix(
        live_server.url
    )
    for name, suffix in PHONE_PERSONAL_PAGES.items():
        assert_fits(phone, name, f"{token_path}{suffix}")


def test_organiser_pages_fit_a_360_pixel_screen(phone, live_server):
    log_in(phone, live_server.organiser_email, live_server.organiser_password)
    for name, path in PHONE_ORGANISER_PAGES.items():
        assert_fits(phone, name, path)
