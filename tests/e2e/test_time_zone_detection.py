"""The visitor's time zone, detected by the browser: a delegate in Addis Ababa reading French
finds Addis-Abeba preselected, and the email and calendar agree on the time; without
JavaScript the server's choice stays."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import SERIES_SLUG, plain_text, screenshot
from tests.mailsink import calendar_parts

ADDIS = "Africa/Addis_Ababa"


@pytest.fixture()
def addis_page(browser, live_server):
    """A French-speaking browser whose clock is set to Addis Ababa."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900},
        locale="fr-FR", timezone_id=ADDIS,
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture()
def page_without_javascript(browser, live_server):
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900},
        locale="fr-FR", timezone_id=ADDIS, java_script_enabled=False,
    )
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


def test_registration_form_preselects_addis_ababa_and_email_and_calendar_agree(
    addis_page, live_server
):
    page = addis_page
    page.goto(f"/series/{SERIES_SLUG}/register")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    zone = page.locator("select[name=timezone]")
    expect(zone).to_have_value(ADDIS)
    checked = zone.locator("option:checked")
    expect(checked).to_have_text(re.compile(r"^Addis-Abeba \(UTC\+03:00\)$"))
    screenshot(page, "register-addis-fr")

    email = "delegue.addis@example.org"
    for box in page.locator("input[name=modules]").all():
        box.set_checked(box.get_attribute("value") == "1")
    page.locator("#full_name").fill("Délégué d'Addis")
    page.locator("#email").fill(email)
    page.locator("#organisation").fill("Ministère de la Justice")
    page.locator("#organisation_type").select_option("government")
    page.locator("#country").select_option("ET")
    page.locator("input[name=has_data_consent]").check()
    page.locator("#submit").click()
    page.wait_for_url(f"**/series/{SERIES_SLUG}/register/done")

    (received,) = live_server.wait_for_mail(email)
    text = plain_text(received.message)
    assert "Addis-Abeba" in text, text
    raw = calendar_parts(received.message)[0].get_payload(decode=True)
    start = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0].decoded("dtstart")
    in_addis = start.astimezone(ZoneInfo(ADDIS)).strftime("%H:%M")
    line = next(li for li in text.splitlines() if "Addis-Abeba" in li)
    assert in_addis in line, (in_addis, line)


def test_show_times_in_form_preselects_the_detected_zone(addis_page):
    page = addis_page
    page.goto(f"/series/{SERIES_SLUG}/modules/1")
    zone = page.locator("select[name=tz]")
    expect(zone).to_have_value(ADDIS)
    page.locator("form.tz-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"tz=Africa%2FAddis_Ababa"))
    expect(page.locator("main dl").first).to_contain_text("Addis-Abeba")


def test_without_javascript_the_servers_choice_stays(page_without_javascript):
    page = page_without_javascript
    page.goto(f"/series/{SERIES_SLUG}/register")
    zone = page.locator("select[name=timezone]")
    expect(zone).not_to_have_value(ADDIS)
    expect(zone.locator("optgroup").first.locator("option").first).to_have_attribute(
        "selected", ""
    )
