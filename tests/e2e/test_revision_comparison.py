"""The comparison of two summary revisions: reached by clicking from the summary page, read
inline and side by side, free of axe-core violations and without sideways scrolling at 360 px."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.journeys import SERIES_SLUG, axe_violations, describe_violations, screenshot
from tests.e2e.test_organiser_journey import log_in
from tests.e2e.test_phone import PHONE, scroll_width

COMPARE_SLUG = "thb-compare-2033"
LONG_LINK = "https://www.khartoumprocess.net/resources/" + "very-long-path-segment-" * 8
FIRST = (
    "The panel compared fair recruitment along the route.\n\n"
    f"Sources: {LONG_LINK}\n\n"
    "Delegates agreed to share helpline numbers."
)
SECOND = (
    "The panel compared ethical recruitment along the whole route.\n\n"
    f"Sources: {LONG_LINK}\n\n"
    "Delegates from six countries agreed to share helpline numbers monthly.\n\n"
    "A new paragraph on referral mechanisms."
)


def save(page, text: str, link_name: str) -> None:
    page.goto(f"/admin/series/{COMPARE_SLUG}/modules/1/summary")
    page.get_by_role("link", name=link_name).click()
    page.get_by_label("Summary (Markdown)").fill(text)
    page.get_by_role("button", name="Save draft").click()


def test_two_revisions_compare_readably_on_a_phone(browser, live_server):
    live_server.flask("series", "copy", SERIES_SLUG, COMPARE_SLUG, "--first-start",
                      "2033-03-02T14:00", "--title", "Comparison check (2033)")
    ctx = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE,
                              is_mobile=True, has_touch=True, bypass_csp=True)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, live_server.organiser_email, live_server.organiser_password)
    save(page, FIRST, "Write the summary")
    save(page, SECOND, "Edit the draft")

    page.goto(f"/admin/series/{COMPARE_SLUG}/modules/1/summary")
    page.get_by_role("link", name="Changes from revision 1").click()
    main = page.locator("main")
    expect(main).to_contain_text("Paragraphs changed: 2, added: 1, removed: 0.")
    expect(main.locator("del").first).to_contain_text("fair")
    expect(main.locator("ins").first).to_contain_text("ethical")
    screenshot(page, "phone-compare-inline")
    assert scroll_width(page) <= PHONE["width"]
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.get_by_label("Side by side").check()
    page.get_by_role("button", name="Compare").click()
    expect(main.locator(".diff-side")).to_be_visible()
    screenshot(page, "phone-compare-side")
    assert scroll_width(page) <= PHONE["width"]
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    ctx.close()
