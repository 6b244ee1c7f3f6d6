"""An organiser makes a new edition from the 2021 demo by clicking, sees its cockpit and reaches
every stage; a reviewer of one series sees no other series."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.journeys import SERIES_SLUG, screenshot
from tests.e2e.test_organiser_journey import log_in

SOURCE = f"{SERIES_SLUG}-2021"
NEW_SLUG = "thb-4ps-revisited-2031"
ONE_SERIES_REVIEWER = "one.series.reviewer@example.org"
ONE_SERIES_PASSWORD = "a long one-series passphrase"


def test_organiser_makes_a_new_edition_and_walks_its_cockpit(page, live_server):
    log_in(page, live_server.organiser_email, live_server.organiser_password)
    page.goto("/admin/")
    page.locator(f"main a[href$='/admin/series/{SOURCE}']").first.click()
    page.get_by_role("link", name="New edition").click()
    page.get_by_label("Title of the new edition").fill("The 4Ps Revisited (2031)")
    page.get_by_label("Slug (web address)").fill(NEW_SLUG)
    page.get_by_label("Start of the first module").fill("2031-03-05T14:00")
    page.get_by_role("button", name="Compute the dates from the first start").click()
    page.get_by_role("button", name="Create the new edition").click()

    expect(page).to_have_url(f"{live_server.url}/admin/series/{NEW_SLUG}")
    main = page.locator("main")
    expect(main).to_contain_text("New edition created")
    screenshot(page, "admin-cockpit-new-edition")
    stages = ["Invitations", "Registrations", "Reminders", "Attendance", "Reader", "Emails",
              "Reports", "Audit log"]
    for stage in stages:
        page.goto(f"/admin/series/{NEW_SLUG}")
        page.locator("main").get_by_role("link", name=stage, exact=True).first.click()
        expect(page.locator("nav[aria-label='Breadcrumb']").first).to_be_visible()
        assert page.url != f"{live_server.url}/admin/series/{NEW_SLUG}", stage

    # the public page of the copy shows the new dates, 14:00 Brussels time
    page.goto(f"/series/{NEW_SLUG}")
    first_time = page.locator("main time").first
    expect(first_time).to_have_attribute("datetime", "2031-03-05T14:00:00+01:00")


def test_reviewer_of_one_series_sees_no_other(browser, live_server, page):
    live_server.flask_input(ONE_SERIES_PASSWORD + "\n", "users", "create", ONE_SERIES_REVIEWER,
                            "--role", "none", "--password-stdin")
    live_server.flask("users", "set-role", ONE_SERIES_REVIEWER, "reviewer", "--series", SOURCE)
    log_in(page, ONE_SERIES_REVIEWER, ONE_SERIES_PASSWORD)
    page.goto("/admin/")
    main = page.locator("main")
    expect(main.locator(f"a[href$='/admin/series/{SOURCE}']").first).to_be_visible()
    expect(main.locator(f"a[href$='/admin/series/{SERIES_SLUG}']")).to_have_count(0)
    response = page.goto(f"/admin/series/{SERIES_SLUG}")
    assert response.status == 403
