"""Privacy by role: reviewers review summaries and do not see participants' personal data
(registration lists, exports, reports, attendance, invitees, the outbox's addresses) unless an
admin allows it; organisers and admins keep every page."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from tests.registration_helpers import register
from tests.summary_helpers import IsolatedClient
from webinar_app.extensions import db
from webinar_app.invitations.services import _give_token
from webinar_app.models import Campaign, Invitee, Role, User

PERSON_NAME = "Zainab Privacymarker"
PERSON_EMAIL = "zainab.privacymarker@example.org"
INVITEE_EMAIL = "invitee.privacymarker@example.org"
SERIES = "/admin/series/test-series"

PERSONAL_PAGES = [
    f"{SERIES}/registrations",
    f"{SERIES}/registrations.csv",
    f"{SERIES}/invitations",
    f"{SERIES}/invitations/export.csv",
    f"{SERIES}/invitations/campaigns/{{campaign}}",
    f"{SERIES}/invitations/campaigns/{{campaign}}/preview",
    f"{SERIES}/attendance",
    f"{SERIES}/modules/1/attendance",
    f"{SERIES}/reports",
    f"{SERIES}/reports/modules.csv",
    f"{SERIES}/reports/countries.csv",
    f"{SERIES}/reports/organisation-types.csv",
    f"{SERIES}/reports/countries.svg",
    "/admin/outbox/",
]
REVIEWING_PAGES = [
    "/admin/",
    SERIES,
    f"{SERIES}/modules/1",
    f"{SERIES}/modules/1/summary",
]
FORBIDDEN_LINK = re.compile(r'href="[^"]*(/registrations|/invitations|/attendance|/reports'
                            r'|/admin/outbox)')


@pytest.fixture()
def world(app, client, make_series, make_module) -> dict[str, int]:
    """A series with one registered participant (and their email), one invitee, one campaign."""
    series = make_series()
    make_module(series)
    response = register(client, full_name=PERSON_NAME, email=PERSON_EMAIL)
    assert response.status_code == 302, response.get_data(as_text=True)
    invitee = Invitee(series=series, email=INVITEE_EMAIL, full_name="Invited Privacymarker")
    _give_token(invitee)
    campaign = Campaign(series=series, title="Invitation", module_numbers="1")
    db.session.add_all([invitee, campaign])
    db.session.commit()
    return {"campaign": campaign.id}


@pytest.fixture()
def as_role(app, make_user):
    """A logged-in client for a new account of the given role."""
    app.test_client_class = IsolatedClient

    def _client(role: str, email: str | None = None):
        user = make_user(email or f"{role}@example.org", role)
        client = app.test_client()
        token = csrf_token(client, "/auth/login")
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                    "csrf_token": token})
        assert response.status_code == 302
        return client

    return _client


def _url(page: str, world: dict[str, int]) -> str:
    return page.format(**world)


def test_a_reviewer_gets_403_with_the_reason_on_each_personal_data_page(world, as_role):
    reviewer = as_role("reviewer")
    for page in PERSONAL_PAGES:
        response = reviewer.get(_url(page, world))
        html = response.get_data(as_text=True)
        assert response.status_code == 403, page
        assert response.mimetype == "text/html", page
        assert "Not allowed" in html
        assert "reviewers do not see" in html and "ask an admin" in html, page
        assert PERSON_EMAIL not in html and INVITEE_EMAIL not in html, page
        assert PERSON_NAME not in html, page


@pytest.mark.parametrize("role", [Role.ORGANISER.value, Role.ADMIN.value])
def test_organisers_and_admins_open_each_personal_data_page(world, as_role, role):
    client = as_role(role)
    for page in PERSONAL_PAGES:
        assert client.get(_url(page, world)).status_code == 200, page


def test_organisers_keep_the_people_in_lists_exports_and_outbox(world, as_role):
    organiser = as_role("organiser")
    assert PERSON_NAME in organiser.get(f"{SERIES}/registrations").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(
        organiser.get(f"{SERIES}/registrations.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["email"] for row in rows] == [PERSON_EMAIL]
    assert INVITEE_EMAIL in organiser.get(f"{SERIES}/invitations").get_data(as_text=True)
    assert PERSON_EMAIL in organiser.get("/admin/outbox/").get_data(as_text=True)


@pytest.mark.parametrize("page", REVIEWING_PAGES)
def test_a_reviewer_keeps_the_pages_for_reviewing_summaries(world, as_role, page):
    response = as_role("reviewer").get(page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert PERSON_EMAIL not in html and PERSON_NAME not in html
    assert not FORBIDDEN_LINK.search(html), FORBIDDEN_LINK.search(html).group(0)


def test_organisers_see_the_links_reviewers_do_not(world, as_role):
    organiser = as_role("organiser")
    series_page = organiser.get(SERIES).get_data(as_text=True)
    for target in ("/registrations", "/invitations", "/attendance", "/reports"):
        assert f'href="{SERIES}{target}"' in series_page
    assert 'href="/admin/outbox/"' in organiser.get("/admin/").get_data(as_text=True)
    module_page = organiser.get(f"{SERIES}/modules/1").get_data(as_text=True)
    assert f'href="{SERIES}/modules/1/attendance"' in module_page


def _set_access(admin, reviewer: User, allowed: bool):
    data = {"csrf_token": csrf_token(admin, "/auth/accounts")}
    if allowed:
        data["can_see_personal_data"] = "y"
    return admin.post(f"/auth/accounts/{reviewer.id}/personal-data", data=data)


def test_an_admin_can_let_a_reviewer_see_personal_data_and_take_it_back(world, as_role):
    reviewer_client = as_role("reviewer")
    reviewer = db.session.scalar(select(User).where(User.email == "reviewer@example.org"))
    admin = as_role("admin")
    accounts = admin.get("/auth/accounts").get_data(as_text=True)
    assert "reviewer@example.org" in accounts and "May see personal data" in accounts
    assert 'href="/auth/accounts"' in admin.get("/admin/").get_data(as_text=True)

    response = _set_access(admin, reviewer, True)
    assert response.status_code == 302
    assert "reviewer@example.org may now see personal data." in admin.get(
        "/auth/accounts").get_data(as_text=True)
    assert reviewer_client.get(f"{SERIES}/registrations").status_code == 200
    assert f'href="{SERIES}/registrations"' in reviewer_client.get(SERIES).get_data(as_text=True)
    token = csrf_token(reviewer_client, f"{SERIES}/registrations")
    registration_id = re.search(r"/registrations/(\d+)/move",
                                admin.get(f"{SERIES}/registrations").get_data(as_text=True))
    assert registration_id
    move = reviewer_client.post(f"{SERIES}/registrations/{registration_id.group(1)}/move",
                                data={"csrf_token": token, "to": "waiting"})
    assert move.status_code == 403  # seeing is not changing

    _set_access(admin, reviewer, False)
    assert reviewer_client.get(f"{SERIES}/registrations").status_code == 403


def test_only_admins_manage_access(world, as_role):
    organiser = as_role("organiser")
    reviewer = as_role("reviewer")
    assert organiser.get("/auth/accounts").status_code == 403
    assert reviewer.get("/auth/accounts").status_code == 403
    target = db.session.scalar(select(User).where(User.email == "reviewer@example.org"))
    token = csrf_token(organiser, "/admin/")
    response = organiser.post(f"/auth/accounts/{target.id}/personal-data",
                              data={"csrf_token": token, "can_see_personal_data": "y"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not db.session.get(User, target.id).can_see_personal_data


def test_an_organiser_s_access_cannot_be_narrowed(world, as_role):
    admin = as_role("admin")
    as_role("organiser")
    organiser = db.session.scalar(select(User).where(User.email == "organiser@example.org"))
    response = _set_access(admin, organiser, False)
    assert response.status_code == 302
    page = admin.get("/auth/accounts").get_data(as_text=True)
    assert "organisers and admins always see personal data" in page


def test_the_cli_allows_and_denies_a_reviewer(world, as_role, runner):
    reviewer = as_role("reviewer")
    allowed = runner.invoke(args=["users", "personal-data", "reviewer@example.org"])
    assert allowed.exit_code == 0, allowed.output
    assert "reviewer@example.org may now see personal data." in allowed.output
    assert reviewer.get("/admin/outbox/").status_code == 200
    denied = runner.invoke(args=["users", "personal-data", "reviewer@example.org", "--deny"])
    assert denied.exit_code == 0 and "no longer sees personal data" in denied.output
    assert reviewer.get("/admin/outbox/").status_code == 403
    as_role("organiser")
    refused = runner.invoke(args=["users", "personal-data", "organiser@example.org"])
    assert refused.exit_code != 0 and "always see personal data" in refused.output
