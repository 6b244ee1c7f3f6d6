"""Steps shared by the browser tests: registering through the form, reading the emails."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest

SERIES_SLUG = "thb-4ps-revisited"
E2E_DIR = Path(__file__).resolve().parent
SCREENSHOTS = E2E_DIR / "screenshots"
AXE_JS = E2E_DIR / "node" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PERSONAL_LINK = re.compile(r"https?://[^\s<>\"]+/me/[A-Za-z0-9_\-.]+")
PUBLIC_PAGES = [  # the pages of the demo anyone can read
    "/",
    "/series/",
    f"/series/{SERIES_SLUG}",
    f"/series/{SERIES_SLUG}/modules/1",
    f"/series/{SERIES_SLUG}/modules/1?tz=Africa/Nairobi",
    f"/series/{SERIES_SLUG}/register",
    f"/series/{SERIES_SLUG}/summaries",
    f"/series/{SERIES_SLUG}/good-practices",
    f"/series/{SERIES_SLUG}-2021",
    f"/series/{SERIES_SLUG}-2021/summaries",
    f"/series/{SERIES_SLUG}-2021/good-practices",
    f"/series/{SERIES_SLUG}/lost-link",
    "/auth/login",
    "/auth/forgot",
]


def fill_registration(page, *, name: str, email: str, modules: list[int]) -> None:
    """Fill the registration form with the mouse (the modules given, the rest unticked)."""
    for box in page.locator("input[name=modules]").all():
        box.set_checked(int(box.get_attribute("value")) in modules)
    page.get_by_label("Full name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Organisation", exact=True).fill("Ministry of Interior")
    page.get_by_label("Type of organisation", exact=True).select_option("government")
    page.get_by_label("Country", exact=True).select_option("KE")
    page.get_by_label("Your time zone", exact=True).select_option("Africa/Nairobi")
    page.locator("input[name=has_data_consent]").check()


def register(page, *, name: str, email: str, modules: list[int]) -> None:
    """Register through the public form and wait for the confirmation page."""
    page.goto(f"/series/{SERIES_SLUG}/register")
    fill_registration(page, name=name, email=email, modules=modules)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(f"**/series/{SERIES_SLUG}/register/done")


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text/plain part"
    return part.get_content()


def html_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the email has no text/html part"
    return part.get_content()


def personal_link(message: EmailMessage) -> str:
    """The /me/TOKEN link of an email, read from its plain-text part."""
    found = PERSONAL_LINK.search(plain_text(message))
    assert found, "no personal link in the plain-text part"
    return found.group(0)


def module_numbers_in_calendar(data: bytes) -> dict[str, str]:
    """SUMMARY -> STATUS of each VEVENT of an iCalendar file (parsed with icalendar)."""
    import icalendar

    calendar = icalendar.Calendar.from_ical(data)
    return {
        str(event.get("SUMMARY")): str(event.get("STATUS", "CONFIRMED"))
        for event in calendar.walk("VEVENT")
    }


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/e2e/screenshots/."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page for WCAG 2.2 A and AA; the violations it finds."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make e2e` (it installs axe-core from npm)")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    assert result["passes"], "axe-core ran no rule"
    return result["violations"]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']}")
    return "\n".join(lines)


def assert_accessible(page, name: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {name or page.url}:\n{describe_violations(violations)}"


def assert_focus_visible(page) -> None:
    """The focused element shows a focus indicator (outline or box-shadow)."""
    style = page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const s = getComputedStyle(el);
            return {tag: el.tagName, matches: el.matches(':focus-visible'),
                    outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow};
        }"""
    )
    assert style is not None, "nothing has the focus"
    assert style["matches"], f"{style['tag']} has the focus but not :focus-visible"
    has_outline = style["outline"] != "none" and style["width"] not in ("0px", "")
    assert has_outline or style["shadow"] != "none", f"focus is invisible on {style}"
