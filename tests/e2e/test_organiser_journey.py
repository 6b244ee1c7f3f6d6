"""An organiser's journey in a real browser: log in, import invitees, send invitations,
reschedule a module, have a summary reviewed and published, build, publish and download the
Reader."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.e2e.journeys import SERIES_SLUG, plain_text, screenshot

REVIEWER_EMAIL = "chair.reviewer@example.org"
REVIEWER_PASSWORD = "a long reviewer passphrase"
SERIES_ZONE = "Europe/Brussels"  # the demo series' time zone (the schedule form's zone)
INVITEES_CSV = (
    "name,email,organisation,country,language\n"
    "Hana Invitee,hana.invitee@example.org,Ministry of Labour,ET,en\n"
    "Didier Invité,didier.invite@example.org,Ministère de la Justice,DJ,fr\n"
)


def log_in(page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def write_and_submit_summary(page, number: int) -> None:
    page.goto(f"/admin/series/{SERIES_SLUG}/modules/{number}/summary")
    page.get_by_role("link", name="Write the summary").click()
    page.get_by_label("Summary (Markdown)").fill(
        f"The panel compared **fair recruitment in module {number}** along the route."
    )
    page.get_by_label("Key takeaways, one per line").fill("Regulate recruiters\nInform migrants")
    page.get_by_role("button", name="Save draft").click()
    page.goto(f"/admin/series/{SERIES_SLUG}/modules/{number}/summary")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)


def test_organiser_invites_reschedules_publishes_a_summary_and_the_reader(
    browser, page, live_server
):
    live_server.flask_input(
        REVIEWER_PASSWORD + "\n", "users", "create", REVIEWER_EMAIL, "--role", "reviewer",
        "--password-stdin",
    )
    log_in(page, live_server.organiser_email, live_server.organiser_password)
    page.goto("/admin/")
    screenshot(page, "admin-dashboard")
    page.locator(f"main a[href$='/admin/series/{SERIES_SLUG}']").click()
    expect(page).to_have_url(f"{live_server.url}/admin/series/{SERIES_SLUG}")
    screenshot(page, "admin-series")

    # Import invitees.
    page.goto(f"/admin/series/{SERIES_SLUG}/invitations")
    page.get_by_role("link", name="Import a list (CSV)").click()
    page.get_by_label("Invitee list (CSV)").set_input_files(
        files=[{"name": "invitees.csv", "mimeType": "text/csv",
                "buffer": INVITEES_CSV.encode("utf-8")}]
    )
    page.get_by_role("button", name="Check the list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.locator("main")).to_contain_text("2 valid rows will be imported")
    page.get_by_role("button", name="Import the valid rows").click()
    # the import runs in the background; its page refreshes itself until it is done
    expect(page.get_by_role("heading", level=2)).to_have_text("Done", timeout=30_000)
    expect(page.locator("main")).to_contain_text("2 new invitees")
    page.get_by_role("link", name="Back to the invitee list").click()
    expect(page.locator("main")).to_contain_text("hana.invitee@example.org")

    # A bilingual campaign: written, previewed as the French invitee, tested, confirmed and
    # scheduled ten minutes ahead; the due sender (cron's `flask invitations send-due`) sends it.
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Subject in English").fill("You are invited: the 4Ps Revisited")
    page.get_by_label("Message in English").fill(
        "Dear colleagues,\n\nA **four-module** series on the 4Ps.")
    page.get_by_label("Subject in French").fill("Vous êtes invité(e) : les 4P revisités")
    page.get_by_label("Message in French").fill(
        "Chers collègues,\n\nUne série **en quatre modules** sur les 4P.")
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are invited: the 4Ps Revisited")
    page.get_by_role("link", name="Preview the email").click()
    page.get_by_label("Find an invitee").fill("Didier")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#preview-subject")).to_have_text("Vous êtes invité(e) : les 4P revisités")
    frame = page.frame_locator("iframe.email-frame")
    expect(frame.locator("body")).to_contain_text("Didier Invité")
    expect(frame.locator("strong").first).to_have_text("en quatre modules")
    page.get_by_role("button", name=re.compile("^Send a test to me")).click()
    expect(page.locator(".flash").first).to_contain_text("A test was sent")
    test = live_server.wait_for_mail(live_server.organiser_email, "[TEST]")[0].message
    assert "en quatre modules" in plain_text(test) and "**" not in plain_text(test)
    page.get_by_role("link", name="Continue to the confirmation").click()
    expect(page.locator("#confirm-counts")).to_contain_text("2 invitees")
    in_ten_minutes = datetime.now(ZoneInfo(SERIES_ZONE)) + timedelta(minutes=10)
    page.get_by_label("Send on").fill(in_ten_minutes.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("main")).to_contain_text("scheduled for")
    later = (datetime.now(UTC) + timedelta(minutes=11)).strftime("%Y-%m-%dT%H:%MZ")
    live_server.flask("invitations", "send-due", "--now", later)
    french = live_server.wait_for_mail("didier.invite@example.org")[0].message
    # French typography: the sent subject may hold a narrow no-break space before the colon
    assert str(french["Subject"]).replace("\u202f", " ") == "Vous êtes invité(e) : les 4P revisités"
    assert "en quatre modules" in plain_text(french) and "/register?invite=" in plain_text(french)
    (programme,) = [p for p in french.walk() if p.get_content_type() == "text/calendar"]
    summaries = [str(e["SUMMARY"]) for e in
                 Calendar.from_ical(programme.get_payload(decode=True)).walk("VEVENT")]
    assert summaries and all("Module" in s and ":" in s for s in summaries)
    invitation = live_server.wait_for_mail("hana.invitee@example.org")[0].message
    assert str(invitation["Subject"]) == "You are invited: the 4Ps Revisited"
    assert "/register?invite=" in plain_text(invitation)

    # Reschedule module 3 to a later day, 15:00 series time.
    new_day = date.today() + timedelta(days=200)
    page.goto(f"/admin/series/{SERIES_SLUG}/modules/3")
    screenshot(page, "admin-module")
    page.get_by_role("link", name="Reschedule").click()
    page.get_by_label("New start").fill(f"{new_day.isoformat()}T15:00")
    page.get_by_role("button", name="Reschedule and notify registrants").click()
    expect(page).to_have_url(f"{live_server.url}/admin/series/{SERIES_SLUG}/modules/3")
    page.goto(f"/series/{SERIES_SLUG}/modules/3")
    expect(page.locator("main time").first).to_have_attribute(
        "datetime", re.compile(new_day.isoformat())
    )

    # Each module's summary: the organiser writes and submits it, the reviewer approves it, then
    # publishes it from the confirmation page with the follow-ups sent now
    # (the Reader can only be published once every module has its summary).
    reviewer_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    reviewer = reviewer_context.new_page()
    log_in(reviewer, REVIEWER_EMAIL, REVIEWER_PASSWORD)
    for number in range(1, 5):
        write_and_submit_summary(page, number)
        reviewer.goto(f"/admin/series/{SERIES_SLUG}/modules/{number}/summary")
        if number == 1:
            screenshot(reviewer, "admin-summary-review")
        reviewer.get_by_role("button", name="Approve", exact=True).click()
        expect(reviewer.locator(".flash").first).to_contain_text("Approved")
        reviewer.get_by_role("link", name="Publish…").click()
        expect(reviewer.locator("h1")).to_contain_text("Publish the summary")
        if number == 1:
            screenshot(reviewer, "admin-summary-publish")
        reviewer.get_by_role("button", name="Publish and send the follow-ups now").click()
        expect(reviewer.locator(".flash").first).to_contain_text("Published")
    reviewer_context.close()
    page.goto(f"/series/{SERIES_SLUG}/summaries")
    expect(page.locator("main")).to_contain_text("fair recruitment in module 1")
    screenshot(page, "summaries")

    # Build the Reader, publish it, download it.
    page.goto(f"/admin/series/{SERIES_SLUG}")
    page.get_by_role("link", name="Reader", exact=True).click()
    page.get_by_role("button", name="Build the Reader in English").click()  # a job, refreshing
    expect(page.locator(".flash").first).to_contain_text("uild 1", timeout=120_000)
    screenshot(page, "admin-reader")
    page.get_by_role("button", name=re.compile("^Publish")).first.click()
    public_link = page.locator(f"a[href$='/series/{SERIES_SLUG}/reader.pdf']")
    expect(public_link).to_be_visible()
    response = page.request.get(public_link.get_attribute("href"))  # the PDF viewer is off
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 4
