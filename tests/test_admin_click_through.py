"""An organiser reaches every organiser page from /admin/ by following links only."""

from __future__ import annotations

import io
import re
from collections import deque
from html import unescape
from urllib.parse import urljoin, urlsplit

from tests.conftest import PASSWORD, csrf_token
from webinar_app.demo.data import DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD, DEMO_SLUG
from webinar_app.models import Role

HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"', re.IGNORECASE)
AREAS = ("/admin", "/auth")
EDITION_2021 = DEMO_SLUG + "-2021"
# Endpoints no link can lead to: the login and forgotten-password pages are for people who are
# logged out, and the set-password page needs the token of an emailed link.
NOT_BY_LINK = {"auth.login", "auth.forgot_password", "auth.set_password"}
VISITS_PER_ENDPOINT = 4  # per series: every demo module; pagination and filters repeat pages


def _organiser_get_endpoints(app) -> set[str]:
    return {
        rule.endpoint for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.rule.startswith(AREAS)
    } - NOT_BY_LINK


def _links(base: str, html: str) -> list[str]:
    found = []
    for href in HREF.findall(html):
        url = urlsplit(urljoin(base, unescape(href)))
        if url.netloc not in ("", "localhost") or not url.path.startswith(AREAS):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def _crawl(app, client, start: str = "/admin/", pages: dict[str, str] | None = None
           ) -> dict[str, str]:
    """Follow same-site links from start; return each endpoint reached with one of its URLs.

    When given, pages receives the HTML of that URL of each endpoint (the valid-HTML check)."""
    adapter = app.url_map.bind("")
    reached: dict[str, str] = {}
    visits: dict[str, int] = {}
    seen = {start}
    queue = deque([start])
    while queue:
        url = queue.popleft()
        endpoint, args = adapter.match(urlsplit(url).path, method="GET")
        key = (endpoint, args.get("slug"))
        if visits.get(key, 0) >= VISITS_PER_ENDPOINT:
            continue
        visits[key] = visits.get(key, 0) + 1
        response = client.get(url)
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if endpoint not in reached and pages is not None and html:
            pages[url] = html
        reached.setdefault(endpoint, url)
        for link in _links(url, html):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return reached


def _log_in(client, email: str, password: str) -> None:
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login",
                           data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]


def _build_reader(client, slug: str) -> None:
    """Build a Reader the way an organiser does, so its download link exists."""
    page = f"/admin/series/{slug}/reader"
    response = client.post(f"/admin/series/{slug}/reader/builds",
                           data={"csrf_token": csrf_token(client, page)})
    assert response.status_code == 302, response.get_data(as_text=True)[-600:]
    assert client.application.test_cli_runner().invoke(args=["reader", "run-pending"]
                                                       ).exit_code == 0


def _start_campaign_and_import(client, slug: str) -> None:
    """Draft an invitation campaign and upload an invitee list, as an organiser does."""
    page = f"/admin/series/{slug}/invitations/campaigns/new"
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       "subject_en": "Invitation", "body_en": "",
                                       "subject_fr": "Invitation", "body_fr": ""})
    assert response.status_code == 302
    page = f"/admin/series/{slug}/invitations/import"
    response = client.post(page, data={
        "csrf_token": csrf_token(client, page),
        "file": (io.BytesIO(b"name,email\r\nA Person,a.person@example.org\r\n"), "list.csv"),
    }, content_type="multipart/form-data", follow_redirects=True)
    html = response.get_data(as_text=True)
    confirm = re.search(r'<form method="post" action="([^"]+/confirm)"', html).group(1)
    assert client.post(confirm, data={"csrf_token": csrf_token(client, page)}).status_code == 302


def _draft_module_and_summary(client, slug: str) -> None:
    """Add a draft module and save a summary twice, so deleting and comparing have a subject."""
    page = f"/admin/series/{slug}/modules/new"
    response = client.post(page, data={"csrf_token": csrf_token(client, page), "number": 9,
                                       "title": "Extra module", "status": "draft",
                                       "duration_minutes": 90})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    page = f"/admin/series/{slug}/modules/1/summary/edit"
    for body in ("First draft.", "Second draft."):
        response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                           "body_markdown": body})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def _submit_and_approve_summary(client, slug: str) -> None:
    """Submit and approve the drafted summary (as an admin), so its publish page has a link."""
    page = f"/admin/series/{slug}/modules/1/summary"
    for action in ("submit", "approve"):
        response = client.post(f"{page}/{action}", data={"csrf_token": csrf_token(client, page)})
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def _offer_recording(client, slug: str) -> None:
    """Send a held module's follow-ups, then change its recording link, so the email is offered."""
    page = f"/admin/series/{slug}/modules/1/followup"
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       "recording_url": "https://video.example.org/first"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    page = f"/admin/series/{slug}/modules/1/recording"
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       "recording_url": "https://video.example.org/second"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


def test_organiser_and_admin_reach_every_organiser_page_by_clicking(app, runner, make_user):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    organiser = app.test_client()
    _log_in(organiser, DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD)
    _build_reader(organiser, EDITION_2021)
    _start_campaign_and_import(organiser, DEMO_SLUG)
    _draft_module_and_summary(organiser, DEMO_SLUG)
    _offer_recording(organiser, EDITION_2021)
    reached = set(_crawl(app, organiser))

    organiser.post("/auth/logout", data={"csrf_token": csrf_token(organiser, "/admin/")})
    admin_user = make_user("admin@example.org", Role.ADMIN.value)
    _log_in(organiser, admin_user.email, PASSWORD)
    _submit_and_approve_summary(organiser, DEMO_SLUG)
    reached |= set(_crawl(app, organiser))

    assert reached == _organiser_get_endpoints(app), (
        f"not reached: {sorted(_organiser_get_endpoints(app) - reached)}"
    )


def test_reviewer_of_one_series_sees_no_other_series(app, runner, make_user):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    reviewer = make_user("reviewer@example.org", "none")
    result = runner.invoke(
        args=["users", "set-role", reviewer.email, "reviewer", "--series", EDITION_2021]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    _log_in(client, reviewer.email, PASSWORD)

    reached = _crawl(app, client)

    slugs = {m.group(1) for url in reached.values()
             if (m := re.match(r"/admin/series/([^/?]+)", url))}
    assert slugs == {EDITION_2021}
    assert client.get(f"/admin/series/{DEMO_SLUG}").status_code == 403
    assert "registrations_admin.registrations" not in reached
    cockpit = client.get(f"/admin/series/{EDITION_2021}").get_data(as_text=True)
    assert "Summaries</a>: 4 published, 0 awaiting review, 0 draft" in cockpit
    assert "Registrations" not in cockpit and "Invitations" not in cockpit


def test_cockpit_reads_each_stage_at_a_glance(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    _log_in(client, DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD)

    html = client.get(f"/admin/series/{EDITION_2021}").get_data(as_text=True)

    assert 'aria-label="Breadcrumb"' in html
    assert "Schedule</a>: 4 modules: 0 scheduled, 4 held, 0 cancelled, 0 draft" in html
    assert "Registrations</a>: 160 people, 0 waiting" in html
    assert "Attendance</a>: recorded for 4 modules" in html
    assert "Reader</a>: not built yet" in html
    upcoming = client.get(f"/admin/series/{DEMO_SLUG}").get_data(as_text=True)
    assert "Next module</a>: 1, " in upcoming


def test_organiser_home_shows_next_module_and_a_summary_awaiting_review(runner, client):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    _log_in(client, DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD)
    summary = f"/admin/series/{DEMO_SLUG}/modules/1/summary"
    client.post(f"{summary}/edit", data={"csrf_token": csrf_token(client, f"{summary}/edit"),
                                         "body_markdown": "Draft."})
    response = client.post(f"{summary}/submit", data={"csrf_token": csrf_token(client, summary)})
    assert response.status_code == 302

    html = client.get("/admin/").get_data(as_text=True)

    assert "Next: module 1, " in html
    assert f'<a href="{summary}">Summary of module 1 awaits review</a>' in html
