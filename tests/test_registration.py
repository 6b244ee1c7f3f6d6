"""Registration through the public form: modules, re-registration, consent, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.registration_helpers import (
    outbox,
    person_by_email,
    register,
    registrations_of,
    text,
)
from webinar_app import timefmt
from webinar_app.extensions import db
from webinar_app.models import Consent, ModuleStatus
from webinar_app.registration.services import CONSENT_WORDING_VERSION


def _series_with_modules(make_series, make_module, count=3, **module_overrides):
    series = make_series()
    for _ in range(count):
        make_module(series, **module_overrides)
    return series


def test_form_has_labelled_fields_and_checks_no_module(client, make_series, make_module):
    series = _series_with_modules(make_series, make_module)
    make_module(series, status=ModuleStatus.CANCELLED.value)
    html = client.get("/series/test-series/register").get_data(as_text=True)
    for name in ("full_name", "email", "organisation", "organisation_type", "country",
                 "job_title", "language", "timezone", "has_data_consent",
                 "has_marketing_consent"):
        assert f'<label for="{name}"' in html, name
    assert html.count('name="modules"') == 4
    assert html.count("checked") == 0
    assert "<option selected value=Europe/Brussels>Brussels (UTC+0" in html
    assert 'data-detect-zone' in html and '/static/zone.js?v=' in html
    assert '<option value="SN">Senegal</option>' in html
    assert "Member-state government" in html
    assert re.findall(r"<script[^>]*>", html) == [
        re.search(r'<script src="/static/zone\.js\?v=\w+" defer>', html).group(0)
    ], "only the zone detector, from the site's static folder"


def test_module_query_preselects_only_that_module(client, make_series, make_module):
    _series_with_modules(make_series, make_module)
    html = client.get("/series/test-series/register?module=2").get_data(as_text=True)
    assert html.count("checked") == 1
    assert 'checked id="modules-1" name="modules" type="checkbox" value="2"' in html


def _register_link(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return html.split('class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


def test_register_from_module_page_ticks_that_module_and_from_series_page_none(
    client, make_series, make_module
):
    _series_with_modules(make_series, make_module)
    from_module = client.get(_register_link(client, "/series/test-series/modules/2"))
    html = from_module.get_data(as_text=True)
    assert html.count("checked") == 1
    assert 'checked id="modules-1" name="modules" type="checkbox" value="2"' in html
    from_series = client.get(_register_link(client, "/series/test-series"))
    assert from_series.status_code == 200
    assert from_series.get_data(as_text=True).count("checked") == 0


def test_module_query_is_validated(client, make_series, make_module):
    series = make_series()
    make_module(series, registration_closes_at=datetime.now(UTC) - timedelta(hours=1))
    make_module(series)
    for query in ("1", "9", "0", "-1", "two", "2&module=1", ""):
        response = client.get(f"/series/test-series/register?module={query}")
        assert response.status_code == 200, query
        expected = 1 if query.startswith("2") else 0
        assert response.get_data(as_text=True).count("checked") == expected, query


def test_invite_query_is_ignored_gracefully(client, make_series, make_module):
    _series_with_modules(make_series, make_module)
    assert client.get("/series/test-series/register?invite=nonsense").status_code == 200


def test_unknown_series_is_404(client):
    assert client.get("/series/nope/register").status_code == 404


def test_register_for_modules_1_and_3_creates_two_registrations_and_invitations(
    client, make_series, make_module
):
    _series_with_modules(make_series, make_module)
    response = register(client, modules=["1", "3"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/series/test-series/register/done")

    person = person_by_email("amina.diallo@example.org")
    assert person is not None and person.email == "amina.diallo@example.org"
    assert registrations_of(person) == {1: "registered", 3: "registered"}
    invitations = outbox("invitation", person)
    assert len(invitations) == 2
    assert {m.calendar_method for m in invitations} == {"REQUEST"}
    assert {m.to_email for m in invitations} == {"amina.diallo@example.org"}

    page = text(client.get(response.headers["Location"]))
    assert "Module 1" in page and "Module 3" in page
    assert "We have sent an email to the address you gave" in page
    assert "amina" not in page.lower()
    assert outbox("registration_summary", person) == []  # the invitations say it all


def test_consent_is_stored_with_wording_version_and_time(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    before = datetime.now(UTC) - timedelta(seconds=1)
    register(client, has_marketing_consent="y")
    person = person_by_email("amina.diallo@example.org")
    consents = db.session.scalars(select(Consent).where(Consent.person_id == person.id)).all()
    assert {c.purpose for c in consents} == {"data-processing", "future-events"}
    data = next(c for c in consents if c.purpose == "data-processing")
    assert data.wording_version == CONSENT_WORDING_VERSION
    assert data.given_at >= before


def test_registering_again_adds_modules_and_emails_already_registered(
    client, make_series, make_module
):
    _series_with_modules(make_series, make_module)
    register(client, modules=["1"])
    response = register(client, modules=["1", "2"], email="AMINA.DIALLO@example.org")
    assert response.status_code == 302
    person = person_by_email("amina.diallo@example.org")
    assert registrations_of(person) == {1: "registered", 2: "registered"}
    assert len(outbox("invitation", person)) == 2
    page = text(client.get(response.headers["Location"]))
    assert "already registered" not in page
    [summary] = outbox("registration_summary", person)
    assert "You were already registered for this module." in summary.body_text
    assert "You are registered." in summary.body_text


def test_double_submit_is_harmless(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    first = register(client)
    second = register(client)
    assert first.status_code == second.status_code == 302
    person = person_by_email("amina.diallo@example.org")
    assert registrations_of(person) == {1: "registered"}
    assert len(outbox("invitation", person)) == 1


def test_cancelled_registration_is_reactivated_with_a_higher_sequence(
    client, make_series, make_module
):
    _series_with_modules(make_series, make_module, count=1)
    register(client)
    person = person_by_email("amina.diallo@example.org")
    registration = person.registrations[0]
    registration.status = "cancelled"
    registration.sequence_offset = 1
    db.session.commit()

    register(client)
    person = person_by_email("amina.diallo@example.org")
    assert registrations_of(person) == {1: "registered"}
    assert person.registrations[0].sequence_offset == 2
    assert len(person.registrations) == 1
    assert len(outbox("invitation", person)) == 2


def test_full_module_puts_registrant_on_waiting_list_with_position(
    client, make_series, make_module
):
    _series_with_modules(make_series, make_module, count=1, capacity=1)
    register(client, email="first@example.org")
    register(client, email="second@example.org")
    response = register(client, email="third@example.org")
    assert registrations_of(person_by_email("second@example.org")) == {1: "waiting"}
    page = text(client.get(response.headers["Location"]))
    assert "waiting list, in position" not in page
    third = person_by_email("third@example.org")
    notices = outbox("waiting_list", third)
    assert len(notices) == 1 and notices[0].calendar_method is None
    assert outbox("invitation", third) == []


def test_unlimited_capacity_registers_everyone(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1, capacity=None)
    for i in range(3):
        register(client, email=f"p{i}@example.org")
    assert all(
        registrations_of(person_by_email(f"p{i}@example.org")) == {1: "registered"}
        for i in range(3)
    )


def test_closed_registration_gets_a_clear_message_per_module(client, make_series, make_module):
    series = make_series()
    now = datetime.now(UTC)
    make_module(series, registration_opens_at=now + timedelta(days=2))
    make_module(series, registration_closes_at=now - timedelta(hours=1))
    make_module(series, status=ModuleStatus.CANCELLED.value)
    make_module(series)
    response = register(client, modules=["1", "2", "3", "4"])
    page = text(client.get(response.headers["Location"]))
    assert "Registration has not opened yet." in page
    assert "Registration has closed." in page
    assert "The module was cancelled." in page
    person = person_by_email("amina.diallo@example.org")
    assert registrations_of(person) == {4: "registered"}
    [summary] = outbox("registration_summary", person)
    assert "Registration has closed." in summary.body_text
    assert "You are registered." in summary.body_text


def test_form_shows_closed_modules_unchecked_with_their_reason(client, make_series, make_module):
    series = make_series()
    make_module(series, registration_closes_at=datetime.now(UTC) - timedelta(hours=1))
    make_module(series)
    html = client.get("/series/test-series/register").get_data(as_text=True)
    assert "Registration has closed." in html
    assert html.count("checked") == 0


def _assert_error_next_to_field(html: str, field: str, message: str) -> None:
    assert f'id="{field}-error"' in html, field
    error = html.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error


def test_bad_email_is_reported_next_to_the_field_and_input_kept(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    response = register(client, email="not-an-email", full_name="Kwame Mensah")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    _assert_error_next_to_field(html, "email", "Enter a valid email address")
    assert 'value="not-an-email"' in html
    assert 'value="Kwame Mensah"' in html
    assert re.search(r'aria-describedby="[^"]*email-error[^"]*"', html)
    assert person_by_email("not-an-email") is None


def test_missing_consent_is_reported_and_nothing_registered(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    data = {"has_data_consent": ""}
    response = register(client, **data)
    assert response.status_code == 200
    _assert_error_next_to_field(response.get_data(as_text=True), "has_data_consent",
                                "We need your agreement")
    assert person_by_email("amina.diallo@example.org") is None


def test_unknown_time_zone_is_reported(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    response = register(client, timezone="Mars/Olympus_Mons")
    assert response.status_code == 200
    _assert_error_next_to_field(response.get_data(as_text=True), "timezone",
                                "Choose a time zone from the list.")


def test_line_break_in_name_is_refused(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    response = register(client, full_name="Eve\r\nBcc: victim@example.org")
    assert response.status_code == 200
    _assert_error_next_to_field(response.get_data(as_text=True), "full_name",
                                "without line breaks")
    assert person_by_email("amina.diallo@example.org") is None


def test_no_module_chosen_is_reported(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    response = register(client, modules=[])
    assert response.status_code == 200
    _assert_error_next_to_field(response.get_data(as_text=True), "modules",
                                "Choose at least one module.")


def test_unknown_country_and_module_are_refused_without_error(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    response = register(client, country="QQ", modules=["9"])
    assert response.status_code == 200
    assert person_by_email("amina.diallo@example.org") is None


def test_registration_page_is_in_french(client, make_series, make_module):
    _series_with_modules(make_series, make_module, count=1)
    html = client.get("/series/test-series/register?lang=fr").get_data(as_text=True)
    assert '<option value="SN">Sénégal</option>' in html


def test_registration_window_closes_at_its_closing_instant_on_the_page_and_the_form(
    client, make_series, make_module, monkeypatch
):
    """closes_at is exclusive: one second before it the module page offers Register and the
    form accepts; at the instant itself the page offers nothing and the form refuses."""
    closes_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    series = make_series()
    make_module(series, number=1, registration_closes_at=closes_at)
    make_module(series, number=2, registration_closes_at=closes_at)
    offer = "Register for this module"

    monkeypatch.setattr(timefmt, "now_utc", lambda: closes_at - timedelta(seconds=1))
    assert offer in text(client.get("/series/test-series/modules/1"))
    register(client, modules=["1"], email="before@example.org")
    assert registrations_of(person_by_email("before@example.org")) == {1: "registered"}

    monkeypatch.setattr(timefmt, "now_utc", lambda: closes_at)
    assert offer not in text(client.get("/series/test-series/modules/2"))
    response = register(client, modules=["2"], email="at@example.org")
    assert "Registration has closed." in text(client.get(response.headers["Location"]))
    assert registrations_of(person_by_email("at@example.org")) == {}
