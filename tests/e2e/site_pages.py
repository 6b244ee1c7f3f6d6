"""The pages of the site as the browser tests check them, fetched with the Flask test client.

On the seeded demo: the public pages, a new participant's personal page and its forms, the
organiser area as the click-through crawl reaches it (as an organiser, then as an admin), and the
refused state of every form that asks something (posted with nothing but its CSRF token).
"""

from __future__ import annotations

import re

from tests.conftest import PASSWORD, csrf_token
from tests.e2e.journeys import PUBLIC_PAGES, SERIES_SLUG
from tests.registration_helpers import form_data, person_by_email, register, token_of
from tests.test_admin_click_through import (
    EDITION_2021,
    _build_reader,
    _crawl,
    _draft_module_and_summary,
    _log_in,
    _offer_recording,
    _start_campaign_and_import,
    _submit_and_approve_summary,
)
from tests.test_fuzz_forms import REFUSAL_MARKERS, FormParser
from webinar_app.demo.data import DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD
from webinar_app.models import Role

# fields a refused form is about; a form of buttons only (delete, send, publish) is not posted
QUESTION_FIELDS = ("text", "email", "password", "url", "number", "textarea", "select", "file",
                   "datetime-local", "date", "time", "tel", "search")
CANCEL_LINK = re.compile(r'href="(/me/[^"]+/modules/\d+/cancel)"')


def _html(response) -> str:
    html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    response.close()
    return html


def _refused_forms(client, pages: dict[str, str]) -> dict[str, str]:
    """Post each question-asking form of the pages with nothing but its CSRF token: the refusals."""
    refused: dict[str, str] = {}
    posted: set[str] = set()
    for url, html in list(pages.items()):
        parser = FormParser(url)
        parser.feed(html)
        for form in parser.forms:
            action = form.action.split("#")[0]
            if action in posted or not set(form.fields.values()) & set(QUESTION_FIELDS):
                continue
            posted.add(action)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
            response = client.post(action, data={"csrf_token": token and token.group(1)})
            page = _html(response)
            if any(marker in page for marker in REFUSAL_MARKERS):
                refused[f"POST {action}"] = page
    return refused


def _personal_pages(client) -> dict[str, str]:
    """A new participant's personal page and its forms, shown and refused."""
    response = register(client, SERIES_SLUG, modules=["1", "2"])
    assert response.status_code == 302, _html(response)[-600:]
    me = f"/me/{token_of(person_by_email(form_data()['email']))}"
    pages = {me: _html(client.get(me))}
    cancel = CANCEL_LINK.search(pages[me])
    assert cancel, "the demo participant has no module to cancel"
    for url in (f"{me}/details", f"{me}/delete", cancel.group(1)):
        pages[url] = _html(client.get(url))
    refused = _refused_forms(client, {f"{me}/details": pages[f"{me}/details"]})
    assert refused, "the personal details form took an empty post"
    return pages | refused


def _public_pages(client) -> dict[str, str]:
    pages = {url: _html(client.get(url)) for url in PUBLIC_PAGES}
    pages["/series/no-such-series"] = _html(client.get("/series/no-such-series"))  # 404
    pages |= _refused_forms(client, {url: pages[url] for url in (
        f"/series/{SERIES_SLUG}/register", f"/series/{SERIES_SLUG}/lost-link", "/auth/forgot")})
    response = client.post("/auth/login", data={
        "csrf_token": csrf_token(client, "/auth/login"),
        "email": DEMO_ORGANISER_EMAIL, "password": "wrong password"})
    pages["POST /auth/login"] = _html(response)  # wrong password
    return pages


def _organiser_pages(app, organiser, make_user) -> dict[str, str]:
    """The organiser area as an organiser, then as an admin, and its forms refused."""
    _log_in(organiser, DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD)
    _build_reader(organiser, EDITION_2021)
    _start_campaign_and_import(organiser, SERIES_SLUG)
    _draft_module_and_summary(organiser, SERIES_SLUG)
    _offer_recording(organiser, EDITION_2021)
    pages: dict[str, str] = {}
    _crawl(app, organiser, pages=pages)
    admin = organiser
    admin.post("/auth/logout", data={"csrf_token": csrf_token(admin, "/admin/")})
    _log_in(admin, make_user("admin@example.org", Role.ADMIN.value).email, PASSWORD)
    _submit_and_approve_summary(admin, SERIES_SLUG)
    admin_pages: dict[str, str] = {}
    _crawl(app, admin, pages=admin_pages)
    pages |= {url: html for url, html in admin_pages.items() if url not in pages}
    return pages | _refused_forms(admin, pages)


def site_pages(app, runner, make_user):
    """(every page: name -> HTML, the client that fetched them, logged in as an admin).

    A name is the page's path, or "POST path" for a refused form."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client()  # one client: the app context a test holds keeps one CSRF token
    pages = _public_pages(client) | _personal_pages(client)
    pages |= _organiser_pages(app, client, make_user)
    assert len(pages) > 60, sorted(pages)
    return pages, client
