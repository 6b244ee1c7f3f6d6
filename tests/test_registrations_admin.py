"""Organiser registration lists: filters, counts, CSV export, moves, resend, personal links."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from tests.registration_helpers import (
    csrf_token,
    outbox,
    person_by_email,
    register,
    registrations_of,
    text,
)
from webinar_app.core.tokens import find_person_by_token, personal_token
from webinar_app.extensions import db
from webinar_app.models import Registration

URL = "/admin/series/test-series/registrations"


def _people(client, make_series, make_module):
    series = make_series()
    make_module(series, capacity=2)
    make_module(series)
    register(client, email="ana@example.org", full_name="Ana Lima", organisation="Gov BR",
             country="BR", organisation_type="government", modules=["1", "2"])
    register(client, email="ben@example.org", full_name="Ben Okafor", organisation="NGO Hope",
             country="NG", organisation_type="ngo", modules=["1"])
    register(client, email="cal@example.org", full_name="=HYPERLINK(\"http://x\")",
             organisation="+Evil", country="NG", organisation_type="ngo", modules=["1"])
    return series


def _login(make_user, login, role="organiser"):
    user = make_user(email=f"{role}@example.org", role=role)
    login(user)
    return user


def test_strangers_are_sent_to_log_in(client, make_series):
    make_series()
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get(URL.replace("registrations", "registrations.csv")).status_code == 302


def test_list_filters_by_module_status_country_type_and_search(
    client, make_series, make_module, make_user, login
):
    _people(client, make_series, make_module)
    _login(make_user, login)
    everyone = text(client.get(URL))
    assert "Ana Lima" in everyone and "Ben Okafor" in everyone
    assert "position 1" in everyone

    assert "Ben Okafor" not in text(client.get(URL + "?module=2"))
    waiting = text(client.get(URL + "?module=1&status=waiting"))
    assert "HYPERLINK" in waiting and "Ana Lima" not in waiting
    nigeria = text(client.get(URL + "?country=NG&module=1"))
    assert "Ben Okafor" in nigeria and "Ana Lima" not in nigeria
    government = text(client.get(URL + "?organisation_type=government"))
    assert "Ana Lima" in government and "Ben Okafor" not in government
    search = text(client.get(URL + "?q=hope"))
    assert "Ben Okafor" in search and "Ana Lima" not in search
    assert client.get(URL + "?q=%25_&page=abc&module=x&status=nonsense").status_code == 200


def test_counts_per_country_and_organisation_type(
    client, make_series, make_module, make_user, login
):
    _people(client, make_series, make_module)
    _login(make_user, login)
    page = text(client.get(URL + "?module=1"))
    assert "Nigeria 2" in page and "Brazil 1" in page
    assert "NGO or civil society 2" in page and "Member-state government 1" in page
    assert "3 registrations match." in page


def test_pagination(client, make_series, make_module, make_user, login, monkeypatch):
    from webinar_app.registrations_admin import services

    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    monkeypatch.setattr("webinar_app.registrations_admin.routes.PAGE_SIZE", 2)
    _people(client, make_series, make_module)
    _login(make_user, login)
    first = text(client.get(URL + "?module=1"))
    second = text(client.get(URL + "?module=1&page=2"))
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert ("Ana Lima" in first) != ("Ana Lima" in second)


def test_csv_opens_in_excel_and_neutralises_formulas(
    client, make_series, make_module, make_user, login
):
    _people(client, make_series, make_module)
    _login(make_user, login)
    response = client.get(URL.replace("registrations", "registrations.csv") + "?module=1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 3
    evil = next(r for r in rows if "HYPERLINK" in r["full_name"])
    assert evil["full_name"] == "'=HYPERLINK(\"http://x\")"
    assert evil["organisation"] == "'+Evil"
    assert evil["status"] == "waiting" and evil["waiting_position"] == "1"
    assert {r["email"] for r in rows} == {"ana@example.org", "ben@example.org", "cal@example.org"}


def test_reviewer_may_look_but_not_change(client, make_series, make_module, make_user, login):
    _people(client, make_series, make_module)
    reviewer = _login(make_user, login, role="reviewer")
    assert client.get(URL).status_code == 403  # personal data, until an admin allows it
    reviewer.can_see_personal_data = True
    db.session.commit()
    html = client.get(URL).get_data(as_text=True)
    assert "Ana Lima" in html and "Move to registered" not in html
    registration = db.session.scalar(select(Registration))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post(f"{URL}/{registration.id}/move", data={"csrf_token": token,
                                                                  "to": "waiting"})
    assert response.status_code == 403


def test_organiser_moves_people_between_lists(
    client, make_series, make_module, make_user, login
):
    _people(client, make_series, make_module)
    _login(make_user, login)
    cal = person_by_email("cal@example.org")
    registration = db.session.scalar(select(Registration).where(Registration.person_id == cal.id))
    response = client.post(f"{URL}/{registration.id}/move", data={
        "csrf_token": csrf_token(client, URL), "to": "registered", "next": URL + "?module=1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("?module=1")
    assert registrations_of(cal) == {1: "registered"}
    assert len(outbox("invitation", cal)) == 1

    ben = person_by_email("ben@example.org")
    registration = db.session.scalar(select(Registration).where(Registration.person_id == ben.id))
    client.post(f"{URL}/{registration.id}/move", data={
        "csrf_token": csrf_token(client, URL), "to": "waiting"})
    assert registrations_of(ben) == {1: "waiting"}
    assert len(outbox("waiting_list", ben)) == 1
    assert len(outbox("cancelled_own", ben)) == 1


def test_resend_invitation_queues_a_new_copy(client, make_series, make_module, make_user, login):
    _people(client, make_series, make_module)
    _login(make_user, login)
    ana = person_by_email("ana@example.org")
    registration = db.session.scalar(select(Registration).where(Registration.person_id == ana.id))
    before = len(outbox("invitation", ana))
    response = client.post(f"{URL}/{registration.id}/resend",
                           data={"csrf_token": csrf_token(client, URL)})
    assert response.status_code == 302
    assert len(outbox("invitation", ana)) == before + 1
    assert "will be sent again" in text(client.get(URL))


def test_revoke_and_reissue_the_personal_link(
    client, make_series, make_module, make_user, login
):
    _people(client, make_series, make_module)
    _login(make_user, login)
    ana = person_by_email("ana@example.org")
    old = personal_token(ana)
    db.session.commit()
    response = client.post(f"/admin/series/test-series/people/{ana.id}/token/revoke",
                           data={"csrf_token": csrf_token(client, URL)})
    assert response.status_code == 302
    assert client.get(f"/me/{old}").status_code == 404

    response = client.post(f"/admin/series/test-series/people/{ana.id}/token/reissue",
                           data={"csrf_token": csrf_token(client, URL)})
    assert response.status_code == 200
    new = re.search(r"/me/([A-Za-z0-9_-]+)", response.get_data(as_text=True)).group(1)
    assert new != old
    assert find_person_by_token(new).email == "ana@example.org"
    assert client.get(f"/me/{new}").status_code == 200
    assert len(outbox("personal_link")) == 0


def test_other_series_registrations_are_not_reachable(
    client, make_series, make_module, make_user, login
):
    _people(client, make_series, make_module)
    other = make_series(slug="other-series", title="Other")
    make_module(other)
    _login(make_user, login)
    registration = db.session.scalar(select(Registration))
    response = client.post(f"/admin/series/other-series/registrations/{registration.id}/move",
                           data={"csrf_token": csrf_token(client, URL), "to": "waiting"})
    assert response.status_code == 404
    assert "Ana Lima" not in text(client.get("/admin/series/other-series/registrations"))


def test_moving_back_to_registered_sends_a_request_above_the_cancel(
    client, make_series, make_module, make_user, login
):
    from icalendar import Calendar

    _people(client, make_series, make_module)
    _login(make_user, login)
    ben = person_by_email("ben@example.org")
    registration = db.session.scalar(select(Registration).where(Registration.person_id == ben.id))
    for to in ("waiting", "registered"):
        client.post(f"{URL}/{registration.id}/move",
                    data={"csrf_token": csrf_token(client, URL), "to": to})

    def sequence(message) -> int:
        return int(next(iter(Calendar.from_ical(message.calendar_ics).walk("VEVENT")))["SEQUENCE"])

    cancel = outbox("cancelled_own", ben)[-1]
    latest = outbox("invitation", ben)[-1]
    assert sequence(latest) > sequence(cancel) > sequence(outbox("invitation", ben)[0])
