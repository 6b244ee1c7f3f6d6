"""The personal page /me/TOKEN: see, cancel, update, calendar, export, delete."""

from __future__ import annotations

import json

from icalendar import Calendar
from sqlalchemy import select

from tests.registration_helpers import (
    csrf_token,
    outbox,
    person_by_email,
    register,
    registrations_of,
    text,
    token_of,
)
from webinar_app.core.tokens import find_person_by_token
from webinar_app.extensions import db
from webinar_app.models import Module, OutboxMessage, Person, Registration


def _registered(client, make_series, make_module, modules=("1", "2"), **overrides):
    series = make_series()
    make_module(series, capacity=overrides.pop("capacity", None))
    make_module(series)
    register(client, modules=list(modules), **overrides)
    person = person_by_email(overrides.get("email", "amina.diallo@example.org"))
    return person, token_of(person)


def test_unknown_token_is_404(client):
    assert client.get("/me/not-a-real-token").status_code == 404
    assert client.get("/me/not-a-real-token/calendar.ics").status_code == 404
    assert client.get("/me/not-a-real-token/export.json").status_code == 404


def test_page_lists_modules_in_both_time_zones_with_join_link(client, make_series, make_module):
    _person, token = _registered(client, make_series, make_module)
    response = client.get(f"/me/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = text(response)
    assert "Module 1" in page and "Module 2" in page
    assert "Brussels" in page and "Dakar" in page
    assert "https://zoom.example.org/j/123456" in page
    assert "Amina Diallo" in page


def test_waiting_place_shows_its_position(client, make_series, make_module):
    series = make_series()
    make_module(series, capacity=1)
    register(client, email="first@example.org")
    register(client, email="second@example.org")
    token = token_of(person_by_email("second@example.org"))
    page = text(client.get(f"/me/{token}"))
    assert "On the waiting list, position 1" in page
    assert "https://zoom.example.org" not in page


def test_one_token_shows_nothing_of_anyone_else(client, make_series, make_module):
    series = make_series()
    make_module(series)
    register(client, email="one@example.org", full_name="Person One", organisation="Org One")
    register(client, email="two@example.org", full_name="Person Two", organisation="Org Two")
    token = token_of(person_by_email("one@example.org"))
    for url in (f"/me/{token}", f"/me/{token}/export.json", f"/me/{token}/calendar.ics",
                f"/me/{token}/details"):
        body = client.get(url).get_data(as_text=True)
        assert "Person One" in body or "one@example.org" in body or url.endswith(".ics")
        assert "Person Two" not in body and "two@example.org" not in body
        assert "Org Two" not in body
    two = person_by_email("two@example.org")
    other = db.session.scalar(select(Registration).where(Registration.person_id == two.id))
    response = client.post(f"/me/{token}/modules/{other.module.number}/cancel",
                           data={"csrf_token": csrf_token(client, f"/me/{token}/modules/1/cancel"),
                                 "confirm": "Yes, cancel my place"})
    assert registrations_of(two) == {1: "registered"}
    assert registrations_of(person_by_email("one@example.org")) == {1: "cancelled"}
    assert response.status_code == 302


def test_cancel_needs_csrf(client, make_series, make_module):
    person, token = _registered(client, make_series, make_module)
    response = client.post(f"/me/{token}/modules/1/cancel",
                           data={"confirm": "Yes, cancel my place"})
    assert response.status_code == 400
    assert registrations_of(person)[1] == "registered"


def _cancel_page(client, token: str, number: int) -> tuple[str, str]:
    """The confirmation page's HTML and the CSRF token of its form."""
    url = f"/me/{token}/modules/{number}/cancel"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    return html, csrf_token(client, url) if "csrf_token" in html else ""


def test_personal_page_links_to_the_cancel_question_instead_of_cancelling(
    client, make_series, make_module
):
    person, token = _registered(client, make_series, make_module)
    html = client.get(f"/me/{token}").get_data(as_text=True)
    assert f'href="/me/{token}/modules/1/cancel"' in html
    assert 'method="post" action="/me/' not in html
    page, _csrf = _cancel_page(client, token, 1)
    assert "Cancel your place in module 1 — Module 1?" in page
    assert 'name="confirm" type="submit" value="Yes, cancel my place"' in page
    assert 'name="keep" type="submit" value="Keep my place"' in page
    assert registrations_of(person) == {1: "registered", 2: "registered"}
    assert outbox("cancelled_own", person) == []


def test_keep_my_place_changes_nothing(client, make_series, make_module):
    person, token = _registered(client, make_series, make_module)
    _page, csrf = _cancel_page(client, token, 1)
    response = client.post(f"/me/{token}/modules/1/cancel",
                           data={"csrf_token": csrf, "keep": "Keep my place"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/me/{token}")
    assert "is cancelled" not in text(client.get(response.headers["Location"]))
    assert registrations_of(person) == {1: "registered", 2: "registered"}
    assert outbox("cancelled_own", person) == []


def test_cancel_a_module_sends_a_cancel_and_keeps_the_other(client, make_series, make_module):
    person, token = _registered(client, make_series, make_module)
    _page, csrf = _cancel_page(client, token, 1)
    response = client.post(f"/me/{token}/modules/1/cancel",
                           data={"csrf_token": csrf, "confirm": "Yes, cancel my place"})
    assert response.status_code == 302
    assert "is cancelled" in text(client.get(response.headers["Location"]))
    assert registrations_of(person) == {1: "cancelled", 2: "registered"}
    db.session.expire_all()
    registration = db.session.scalar(
        select(Registration).join(Module).where(Registration.person_id == person.id,
                                                Module.number == 1))
    assert registration.cancelled_at is not None
    assert registration.sequence_offset == 1
    cancels = outbox("cancelled_own", person)
    assert len(cancels) == 1 and cancels[0].calendar_method == "CANCEL"
    page, _csrf = _cancel_page(client, token, 1)
    assert "You have no place in this module to cancel." in page
    again = client.post(f"/me/{token}/modules/1/cancel",
                        data={"csrf_token": csrf, "confirm": "Yes, cancel my place"})
    assert again.status_code == 302
    assert len(outbox("cancelled_own", person)) == 1


def test_waiting_place_asks_to_leave_the_waiting_list(client, make_series, make_module):
    series = make_series()
    make_module(series, capacity=1)
    register(client, email="first@example.org")
    register(client, email="second@example.org")
    second = person_by_email("second@example.org")
    page, csrf = _cancel_page(client, token_of(second), 1)
    assert "Leave the waiting list of module 1 — Module 1?" in page
    assert 'value="Stay on the waiting list"' in page
    client.post(f"/me/{token_of(second)}/modules/1/cancel",
                data={"csrf_token": csrf, "confirm": "Yes, leave the waiting list"})
    assert registrations_of(second) == {1: "cancelled"}


def test_update_details(client, make_series, make_module):
    person, token = _registered(client, make_series, make_module)
    url = f"/me/{token}/details"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "full_name": "Amina D. Diallo",
        "organisation": "ECOWAS", "organisation_type": "regional-body", "country": "NG",
        "job_title": "", "language": "fr", "timezone": "Africa/Lagos",
    })
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert (person.full_name, person.organisation, person.organisation_type, person.country,
            person.language, person.timezone) == (
        "Amina D. Diallo", "ECOWAS", "regional-body", "NG", "fr", "Africa/Lagos")
    assert person.email == "amina.diallo@example.org"


def test_update_details_rejects_bad_input_and_keeps_it(client, make_series, make_module):
    person, token = _registered(client, make_series, make_module)
    url = f"/me/{token}/details"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "full_name": "Line\nBreak",
        "organisation": "Org kept", "organisation_type": "ngo", "country": "NG",
        "language": "en", "timezone": "Nowhere/City",
    })
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="full_name-error"' in html and 'id="timezone-error"' in html
    assert 'value="Org kept"' in html
    db.session.expire_all()
    assert db.session.get(Person, person.id).full_name == "Amina Diallo"


def test_calendar_has_registered_modules_with_join_links(client, make_series, make_module):
    series = make_series()
    make_module(series, capacity=1)
    make_module(series)
    register(client, email="other@example.org", modules=["1"])
    register(client, modules=["1", "2"])
    token = token_of(person_by_email("amina.diallo@example.org"))
    response = client.get(f"/me/{token}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1  # module 1 is only a waiting-list place
    assert "zoom.example.org" in str(events[0].get("location")) + str(events[0].get("url"))
    etag = response.headers["ETag"]
    assert client.get(f"/me/{token}/calendar.ics",
                      headers={"If-None-Match": etag}).status_code == 304


def test_export_is_a_json_download_with_registrations_and_consents(
    client, make_series, make_module
):
    _person, token = _registered(client, make_series, make_module, has_marketing_consent="y")
    response = client.get(f"/me/{token}/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["person"]["email"] == "amina.diallo@example.org"
    assert data["person"]["full_name"] == "Amina Diallo"
    assert [r["module_number"] for r in data["registrations"]] == [1, 2]
    assert {r["status"] for r in data["registrations"]} == {"registered"}
    purposes = {c["purpose"]: c for c in data["consents"]}
    assert purposes["data-processing"]["wording_version"] == "2026-11-v1"
    assert purposes["data-processing"]["given_at"]
    assert "future-events" in purposes
    assert "token_hash" not in response.get_data(as_text=True)


def test_delete_erases_data_revokes_token_and_frees_the_seat(client, make_series, make_module):
    series = make_series()
    make_module(series, capacity=1)
    register(client, email="amina.diallo@example.org")
    register(client, email="next@example.org", full_name="Next Person")
    person = person_by_email("amina.diallo@example.org")
    person_id = person.id
    token = token_of(person)
    url = f"/me/{token}/delete"

    refused = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert refused.status_code == 200 and 'id="is_confirmed-error"' in refused.get_data(
        as_text=True)

    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "is_confirmed": "y"})
    assert response.status_code == 200
    assert "Your data was deleted" in text(response)

    db.session.expire_all()
    erased = db.session.get(Person, person_id)
    assert erased.erased_at is not None
    assert erased.email is None and erased.full_name == "" and erased.organisation == ""
    assert erased.token_hash is None
    assert find_person_by_token(token) is None
    assert client.get(f"/me/{token}").status_code == 404
    assert registrations_of(erased) == {1: "cancelled"}
    assert registrations_of(person_by_email("next@example.org")) == {1: "registered"}
    left = db.session.scalars(select(OutboxMessage).where(OutboxMessage.person_id == person_id))
    assert all(m.status == "sent" and m.to_email == "" for m in left)
    assert "amina" not in " ".join(m.to_email + m.body_text for m in outbox()).lower()


def test_personal_link_lookups_are_rate_limited(app, client, make_series, make_module):
    app.config["TOKEN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.get("/me/guess-one").status_code == 404
    assert client.get("/me/guess-two").status_code == 429


def test_future_events_consent_can_be_withdrawn_and_given_again(
    client, make_series, make_module
):
    _person, token = _registered(client, make_series, make_module, has_marketing_consent="y")
    url = f"/me/{token}/details"
    assert 'id="has_marketing_consent" name="has_marketing_consent" type="checkbox" value="y"' \
        in client.get(url).get_data(as_text=True).replace("checked ", "")
    details = {"full_name": "Amina Diallo", "organisation": "Ministry of Justice",
               "organisation_type": "government", "country": "SN", "language": "en",
               "timezone": "Africa/Dakar"}
    client.post(url, data={"csrf_token": csrf_token(client, url), **details})
    consents = json.loads(client.get(f"/me/{token}/export.json").data)["consents"]
    marketing = [c for c in consents if c["purpose"] == "future-events"]
    assert len(marketing) == 1 and marketing[0]["withdrawn_at"]

    client.post(url, data={"csrf_token": csrf_token(client, url), "has_marketing_consent": "y",
                           **details})
    consents = json.loads(client.get(f"/me/{token}/export.json").data)["consents"]
    marketing = [c for c in consents if c["purpose"] == "future-events"]
    assert len(marketing) == 2 and marketing[-1]["withdrawn_at"] is None
