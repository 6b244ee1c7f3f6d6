"""On a 360-pixel-wide phone screen nothing scrolls sideways; screenshots show the pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import SERIES_SLUG, screenshot

PHONE = {"width": 360, "height": 740}
PHONE_PAGES = {
    "phone-series": f"/series/{SERIES_SLUG}",
    "phone-module": f"/series/{SERIES_SLUG}/modules/1?tz=Africa/Nairobi",
    "phone-register": f"/series/{SERIES_SLUG}/register",
    "phone-summaries": f"/series/{SERIES_SLUG}-2021/summaries",
    "phone-good-practices": f"/series/{SERIES_SLUG}-2021/good-practices",
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
