"""Personal links are not an oracle: the registration and "lost your link?" forms answer a
known and an unknown address with the same page, and only the address's owner (by email) learns
what happened and gets the link."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.registration_helpers import form_data, outbox, person_by_email, register
from tests.summary_helpers import IsolatedClient
from webinar_app.core.tokens import find_person_by_token
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, utcnow
from webinar_app.outbox.mailer import deliver_due
from webinar_app.registration.emails import LINK_EMAIL_WINDOW_SECONDS

KNOWN = "known.person@example.org"
UNKNOWN = "never.seen@example.org"
PERSONAL_LINK = re.compile(r"http://webinars\.test/me/([A-Za-z0-9_-]{20,})")


@pytest.fixture()
def series(make_series, make_module):
    """Two modules; module 1 has one seat, which the known person holds."""
    series = make_series()
    make_module(series, capacity=1)
    make_module(series)
    return series


@pytest.fixture()
def known_person(app, series):
    owner = _stranger(app)
    assert register(owner, email=KNOWN, full_name="Known Person", modules=["1"]).status_code == 302
    person = person_by_email(KNOWN)
    assert person is not None
    return person


def _stranger(app) -> IsolatedClient:
    """A new browser: no cookies, no session of anyone else."""
    return IsolatedClient(app, app.response_class, use_cookies=True)


def _without_csrf(html: str) -> str:
    return re.sub(r"<input[^>]*csrf_token[^>]*>", "", html)


def _answer(client, response) -> tuple[int, str, str]:
    """(status, Location, HTML of the page it leads to, CSRF tokens removed)."""
    location = response.headers.get("Location", "")
    page = client.get(location) if location else response
    return response.status_code, location, _without_csrf(page.get_data(as_text=True))


def _all_text(response) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + response.get_data(as_text=True)


def _delivered(smtp_sink):
    db.session.commit()
    counts = deliver_due()
    assert counts.failed == 0 and counts.retrying == 0
    return smtp_sink.messages


def _plain(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def test_register_answers_the_same_page_for_a_known_and_an_unknown_address(
    app, series, known_person, smtp_sink
):
    answers, responses = [], []
    for address in (KNOWN, UNKNOWN):
        stranger = _stranger(app)
        response = register(stranger, email=address, full_name="Someone Else", modules=["1"])
        answers.append(_answer(stranger, response))
        responses.append(response)
    assert answers[0] == answers[1]
    status, location, html = answers[0]
    assert status == 302 and location.endswith("/series/test-series/register/done")
    assert "We have sent an email to the address you gave" in html
    assert "already" not in html.lower() and "waiting list, in position" not in html

    token = re.search(r"/me/([A-Za-z0-9_-]+)", "".join(_plain(m) for m in _delivered(smtp_sink)
                                                         if KNOWN in m.rcpt_tos))
    assert token and find_person_by_token(token.group(1)).email == KNOWN
    for response in responses:
        assert token.group(1) not in _all_text(response)
        assert "/me/" not in _all_text(response)
    assert "/me/" not in html

    # the known person keeps their details; the stranger learned nothing and changed nothing
    assert person_by_email(KNOWN).full_name == "Known Person"


def test_known_address_gets_an_email_saying_what_happened_with_the_link(
    app, series, known_person, smtp_sink
):
    _delivered(smtp_sink)
    smtp_sink.messages.clear()
    stranger = _stranger(app)
    register(stranger, email=KNOWN.upper(), full_name="Someone Else", modules=["1"])

    [received] = _delivered(smtp_sink)
    assert received.rcpt_tos == [KNOWN]
    text = _plain(received)
    assert "You were already registered for this module." in text
    assert str(received.message["Subject"]).startswith("Your registration:")
    link = PERSONAL_LINK.search(text)
    assert link and find_person_by_token(link.group(1)).id == known_person.id
    html = received.message.get_body(preferencelist=("html",)).get_content()
    assert link.group(0) in html

    owner_page = _stranger(app).get(f"/me/{link.group(1)}")
    assert owner_page.status_code == 200


def test_unknown_address_gets_its_own_registration_emails(app, series, known_person, smtp_sink):
    _delivered(smtp_sink)
    smtp_sink.messages.clear()
    register(_stranger(app), email=UNKNOWN, full_name="New Person", modules=["1", "2"])
    received = _delivered(smtp_sink)
    assert {m.rcpt_tos[0] for m in received} == {UNKNOWN}
    kinds = {m.message["Subject"].split(":")[0] for m in received}
    assert kinds == {"Waiting list (position 1)", "Registration confirmed"}
    assert all(PERSONAL_LINK.search(_plain(m)) for m in received)


def test_already_registered_email_is_sent_once_per_ten_minutes(app, series, known_person):
    for _ in range(4):
        register(_stranger(app), email=KNOWN, modules=["1"])
    assert len(outbox("registration_summary", known_person)) == 1

    # as if that email had gone out eleven minutes ago, in an earlier window
    earlier = utcnow() - timedelta(minutes=11)
    window = int(earlier.timestamp()) // LINK_EMAIL_WINDOW_SECONDS
    db.session.execute(update(OutboxMessage).where(
        OutboxMessage.kind == "registration_summary").values(
        created_at=earlier, purpose_key=f"personal-link:{known_person.id}:{window}"))
    db.session.commit()
    register(_stranger(app), email=KNOWN, modules=["1"])
    assert len(outbox("registration_summary", known_person)) == 2


def _lost_link(client, address: str):
    url = "/series/test-series/lost-link"
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    return client.post(url, data={"email": address, "csrf_token": token.group(1)})


def test_lost_link_form_answers_the_same_and_emails_only_the_owner(
    app, series, known_person, smtp_sink
):
    _delivered(smtp_sink)
    smtp_sink.messages.clear()
    answers, responses = [], []
    for address in (KNOWN, UNKNOWN):
        stranger = _stranger(app)
        response = _lost_link(stranger, address)
        responses.append(response)
        answers.append(_answer(stranger, response))
    assert answers[0] == answers[1]
    status, location, html = answers[0]
    assert status == 302 and location.endswith("/series/test-series/lost-link/sent")
    assert "we have sent it an email with your personal link" in html

    [received] = _delivered(smtp_sink)
    assert received.rcpt_tos == [KNOWN]
    text = _plain(received)
    assert str(received.message["Subject"]).startswith("Your personal link:")
    assert "Module 1: Module 1" in text and "You are registered." in text
    link = PERSONAL_LINK.search(text)
    assert link and find_person_by_token(link.group(1)).id == known_person.id
    for response in responses:
        assert link.group(1) not in _all_text(response)


def test_lost_link_form_has_csrf_a_label_and_checks_the_address(app, series):
    client = _stranger(app)
    html = client.get("/series/test-series/lost-link").get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert '<label for="email"' in html
    response = client.post("/series/test-series/lost-link", data={"email": KNOWN})
    assert response.status_code == 400  # no CSRF token
    response = _lost_link(client, "not an address")
    assert response.status_code == 200
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert client.get("/series/nope/lost-link").status_code == 404


def test_lost_link_sends_at_most_one_email_per_ten_minutes(app, series, known_person):
    for _ in range(3):
        assert _lost_link(_stranger(app), KNOWN).status_code == 302
    assert len(outbox("personal_link", known_person)) == 1


def test_lost_link_is_rate_limited_per_address_and_per_client(app, series, known_person):
    app.config["LOST_LINK_ADDRESS_RATE_LIMIT"] = "2 per hour"
    app.config["LOST_LINK_IP_RATE_LIMIT"] = "4 per hour"
    assert [_lost_link(_stranger(app), KNOWN).status_code for _ in range(3)] == [302, 302, 429]
    statuses = [_lost_link(_stranger(app), f"other{i}@example.org").status_code for i in range(3)]
    assert statuses == [302, 302, 429]


def test_lost_link_is_offered_on_the_series_registration_and_broken_link_pages(
    app, client, series
):
    for url in ("/series/test-series", "/series/test-series/register"):
        html = client.get(url).get_data(as_text=True)
        assert 'href="/series/test-series/lost-link"' in html, url
    response = client.get("/me/not-a-real-token-at-all-0123456789")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "This personal link does not work" in html
    assert 'href="/series/test-series/lost-link"' in html


def test_registration_done_page_has_no_token_even_for_a_new_person(app, series):
    client = _stranger(app)
    response = register(client, **{**form_data(), "email": UNKNOWN, "modules": ["2"]})
    done = client.get(response.headers["Location"])
    person = person_by_email(UNKNOWN)
    assert person is not None and person.token_hash
    db.session.expire_all()
    assert "/me/" not in _all_text(done) and "/me/" not in _all_text(response)
    assert db.session.scalar(select(OutboxMessage.to_email)) == UNKNOWN
