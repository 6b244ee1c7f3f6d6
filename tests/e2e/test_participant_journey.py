"""A participant's journey in a real browser: series, time zone, registration, email, personal
page, cancelling a module, the personal calendar; once with the mouse, once with the keyboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.journeys import (
    SERIES_SLUG,
    assert_focus_visible,
    fill_registration,
    html_text,
    module_numbers_in_calendar,
    personal_link,
    plain_text,
    screenshot,
)

MAX_TABS = 400


def test_participant_registers_for_two_modules_cancels_one_and_downloads_calendar(
    page, live_server
):
    email = "amina.participant@example.org"
    page.goto("/")  # the current series, or the list when several have modules to come
    expect(page.locator("main")).to_contain_text("The 4Ps Revisited")
    page.goto(f"/series/{SERIES_SLUG}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("The 4Ps Revisited")
    screenshot(page, "series")

    page.get_by_role("link", name="Module 1", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Module 1")
    page.get_by_label("Show the times in this time zone").select_option("Africa/Nairobi")
    page.get_by_role("button", name="Show times").click()
    expect(page).to_have_url(re.compile(r"tz=Africa%2FNairobi"))
    expect(page.locator("main dl").first).to_contain_text("Nairobi")
    screenshot(page, "module")

    page.get_by_role("link", name="Register for this module").click()
    expect(page.locator("input[name=modules][value='1']")).to_be_checked()
    fill_registration(page, name="Amina Participant", email=email, modules=[1, 2])
    screenshot(page, "register")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registration received")
    expect(page.locator(".card")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("We have sent an email to the address you gave")
    screenshot(page, "registered")

    confirmations = live_server.wait_for_mail(email, count=2)
    message = confirmations[0].message
    assert "Module" in str(message["Subject"])
    assert "/me/" in html_text(message)
    link = personal_link(message)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")
    expect(page.locator(".card")).to_have_count(2)
    screenshot(page, "personal")
    page.get_by_role("link", name="Cancel my place in module 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel your place in module 2")
    screenshot(page, "cancel-question")
    page.get_by_role("button", name="Keep my place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel my place in module 2")).to_be_visible()
    page.get_by_role("link", name="Cancel my place in module 2").click()
    page.get_by_role("button", name="Yes, cancel my place").click()
    expect(page.locator(".flash")).to_contain_text("module 2 is cancelled")
    expect(page.get_by_role("link", name="Cancel my place in module 2")).to_have_count(0)
    expect(page.get_by_role("link", name="Cancel my place in module 1")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your calendar (.ics)").click()
    events = module_numbers_in_calendar(download_info.value.path().read_bytes())
    confirmed = [summary for summary, status in events.items() if status == "CONFIRMED"]
    assert len(confirmed) == 1 and "Module 1" in confirmed[0], events
    live_server.wait_for_mail(email, subject_contains="cancel")


def tab_to(page, selector: str, *, shift: bool = False) -> None:
    """Press Tab until the element matching selector has the focus; focus visible at each stop."""
    key = "Shift+Tab" if shift else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        assert_focus_visible(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def choose_in_select(page, selector: str, value: str, typed: str) -> None:
    """Pick an option of a focused <select> by typing the start of its text."""
    tab_to(page, selector)
    page.keyboard.type(typed)
    expect(page.locator(selector)).to_have_value(value)


def test_participant_journey_works_with_the_keyboard_alone_and_focus_stays_visible(
    page, live_server
):
    email = "keyboard.user@example.org"
    page.goto(f"/series/{SERIES_SLUG}")
    tab_to(page, "a[href$='/modules/1']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Module 1")

    choose_in_select(page, "#tz", "Africa/Nairobi", "Nairobi")
    tab_to(page, ".tz-form button")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tz=Africa%2FNairobi"))
    expect(page.locator("main dl").first).to_contain_text("Nairobi")

    tab_to(page, "a.button[href*='register']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register")

    tab_to(page, "input[name=modules][value='2']")
    page.keyboard.press("Space")
    expect(page.locator("input[name=modules][value='1']")).to_be_checked()
    expect(page.locator("input[name=modules][value='2']")).to_be_checked()
    type_into(page, "#full_name", "Kofi Keyboard")
    type_into(page, "#email", email)
    type_into(page, "#organisation", "Ministry of Justice")
    choose_in_select(page, "#organisation_type", "government", "Member")
    choose_in_select(page, "#country", "KE", "Kenya")
    choose_in_select(page, "#timezone", "Africa/Nairobi", "Nairobi")
    tab_to(page, "#has_data_consent")
    page.keyboard.press("Space")
    expect(page.locator("#has_data_consent")).to_be_checked()
    tab_to(page, "input[type=submit], button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registration received")

    confirmations = live_server.wait_for_mail(email, count=2)
    assert plain_text(confirmations[0].message).strip()
    page.goto(personal_link(confirmations[0].message))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registrations")

    tab_to(page, "a[href$='/modules/2/cancel']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel your place in module 2")
    tab_to(page, "input[name=confirm]")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("module 2 is cancelled")

    tab_to(page, "a[href$='/calendar.ics']")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    events = module_numbers_in_calendar(download_info.value.path().read_bytes())
    confirmed = [summary for summary, status in events.items() if status == "CONFIRMED"]
    assert len(confirmed) == 1 and "Module 1" in confirmed[0], events
