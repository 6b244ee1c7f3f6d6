"""One-line fields are one line, no control character gets in, no stored text breaks a calendar
(issue 9, item 5)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import icalendar
import pytest
import vobject
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import Form

import webinar_app
from tests.conftest import csrf_token
from tests.mailsink import calendar_parts, check_wire_format
from tests.registration_helpers import form_data, register, token_of
from webinar_app.core.forms import PlainForm, SiteForm
from webinar_app.core.text import clean_multiline, clean_one_line, has_control_chars
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    Campaign,
    Invitee,
    Module,
    OutboxMessage,
    Person,
    Registration,
    Series,
    Speaker,
)

LINE_BREAKS = ["Two\r\nlines", "Two\nlines", "Two\rlines", "Two\u2028lines", "Two\u2029lines",
               "Two\x85lines", "Two\x0blines"]
CONTROLS = ["Nul\x00byte", "Tab\there", "Esc\x1b[31mred", "Del\x7fete", "Bell\x07", "C1\x9b"]
TEXT_AREA_CONTROLS = ["Nul\x00byte", "Esc\x1b[31mred", "Bell\x07", "Del\x7fete", "C1\x9b"]
LINE_MESSAGE = "Use a single line, without line breaks."
CONTROL_MESSAGE = "Remove the invisible control character"


def field_error(html: str, field_id: str) -> str:
    """The error shown next to the field with this id ('' when none)."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def expected_message(value: str) -> str:
    return LINE_MESSAGE if any(c in value for c in "\r\n\u2028\u2029\x85\x0b") else (
        CONTROL_MESSAGE)


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def organiser(make_user, login):
    user = make_user()
    login(user)
    return user


SERIES_FORM = dict(slug="new-series", title="New series", short_description="Short",
                   description="Long", organiser="Secretariat", chair="Chair",
                   timezone="Africa/Khartoum", languages="en,fr",
                   sender_email="secretariat@example.org", sender_name="Secretariat")
MODULE_FORM = dict(number="1", title="Prevention", pillar="Prevention", thematic_focus="Focus",
                   description="", starts_at="2027-03-02T14:00", duration_minutes="120",
                   status="scheduled", capacity="", registration_opens_at="",
                   registration_closes_at="", join_url="https://zoom.example.org/j/1")


# --- the base classes -----------------------------------------------------------------------


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_every_form_of_the_app_checks_its_fields():
    for info in pkgutil.walk_packages(webinar_app.__path__, "webinar_app."):
        if info.name.endswith((".forms", ".routes")):
            importlib.import_module(info.name)
    ours = {c for c in _all_subclasses(Form) if c.__module__.startswith("webinar_app.")}
    assert len(ours) > 20
    for form_class in ours - {SiteForm, PlainForm}:
        assert issubclass(form_class, SiteForm | PlainForm), (
            f"{form_class.__module__}.{form_class.__name__} must inherit from "
            "webinar_app.core.forms.SiteForm (or PlainForm without CSRF)")
        if issubclass(form_class, FlaskForm):
            assert issubclass(form_class, SiteForm), form_class


@pytest.mark.parametrize(("text", "multiline", "refused"), [
    ("Plain text, with accents é and emoji 🎉 and RTL \u202bمرحبا\u202c", False, False),
    ("Two\r\nlines\tand a tab", True, False),
    ("Paragraph\u2028separator", True, False),
    ("Two\nlines", False, True),
    ("Tab\there", False, True),
    ("Nul\x00", True, True),
    ("Vertical\x0btab", True, True),
    ("C1 \x85 next line", True, True),
    ("Line\u2028separator", False, True),
])
def test_the_character_rule(text, multiline, refused):
    assert has_control_chars(text, multiline=multiline) is refused


def test_cleaning_for_outputs_leaves_no_control_character():
    messy = "A\r\nB\rC\x00D\u2028E\x85F\tG\x1b"
    assert clean_multiline(messy) == "A\nB\nCD\nE\nF\tG"
    assert clean_one_line(messy) == "A B CD E F G"
    assert not has_control_chars(clean_one_line(messy))


# --- organiser forms ------------------------------------------------------------------------


def _post(client, url: str, data: dict):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


ONE_LINE_SERIES_FIELDS = ["title", "title_fr", "short_description", "short_description_fr",
                          "organiser", "chair", "sender_name", "slug", "timezone",
                          "sender_email"]


def test_series_one_line_fields_refuse_line_breaks_and_controls(client, organiser):
    for name in ONE_LINE_SERIES_FIELDS:
        for value in LINE_BREAKS + CONTROLS:
            response = _post(client, "/admin/series/new", {**SERIES_FORM, name: value})
            assert response.status_code == 200, (name, value)
            message = field_error(response.get_data(as_text=True), name)
            assert expected_message(value) in message, (name, repr(value), message)
    assert count(Series) == 0


def test_series_description_keeps_lines_and_tabs_but_refuses_other_controls(client, organiser):
    for value in TEXT_AREA_CONTROLS:
        response = _post(client, "/admin/series/new", {**SERIES_FORM, "description": value})
        assert CONTROL_MESSAGE in field_error(response.get_data(as_text=True), "description")
    assert count(Series) == 0
    response = _post(client, "/admin/series/new",
                     {**SERIES_FORM, "description": "First line\r\n\tSecond line"})
    assert response.status_code == 302
    assert db.session.scalar(select(Series.description)) == "First line\r\n\tSecond line"


def test_the_message_names_the_character(client, organiser):
    response = _post(client, "/admin/series/new", {**SERIES_FORM, "chair": "A\x00B"})
    html = response.get_data(as_text=True)
    assert "U+0000 (NULL)" in field_error(html, "chair")
    assert 'aria-invalid="true"' in html and 'href="#chair"' in html  # summary links to it


def test_module_one_line_fields_refuse_line_breaks_and_controls(
    client, organiser, make_series
):
    make_series()
    url = "/admin/series/test-series/modules/new"
    for name in ["title", "title_fr", "pillar", "pillar_fr", "thematic_focus", "join_url"]:
        for value in ["Two\r\nlines", "Two\nlines", "Sep\u2028", "Nul\x00", "Tab\t"]:
            response = _post(client, url, {**MODULE_FORM, name: value})
            assert response.status_code == 200, (name, value)
            message = field_error(response.get_data(as_text=True), name)
            assert expected_message(value) in message, (name, repr(value), message)
    assert count(Module) == 0


def test_agenda_and_note_forms_refuse_controls(client, organiser, make_series, make_module):
    make_module(make_series())
    base = "/admin/series/test-series/modules/1"
    response = _post(client, f"{base}/agenda/new",
                     {"title": "Opening\r\nX-EVIL:1", "kind": "opening",
                      "start_offset_minutes": "0", "speakers": "A\x00B"})
    html = response.get_data(as_text=True)
    assert LINE_MESSAGE in field_error(html, "title")
    assert CONTROL_MESSAGE in field_error(html, "speakers")
    assert count(AgendaItem) == 0
    response = _post(client, f"{base}/notes/new",
                     {"title": "Note\x00", "language": "en", "abstract": "ok",
                      "external_url": "https://example.org/\r\nnote"})
    html = response.get_data(as_text=True)
    assert CONTROL_MESSAGE in field_error(html, "title")
    assert LINE_MESSAGE in field_error(html, "external_url")


def test_invitee_and_campaign_forms_refuse_controls(client, organiser, make_series):
    make_series()
    url = "/admin/series/test-series/invitations/add"
    response = _post(client, url, {"full_name": "A\x00B", "email": "ada@example.org",
                                   "organisation": "IOM\u2028Kenya", "country": "Kenya",
                                   "language": "en"})
    html = response.get_data(as_text=True)
    assert CONTROL_MESSAGE in field_error(html, "full_name")
    assert LINE_MESSAGE in field_error(html, "organisation")
    assert count(Invitee) == 0
    url = "/admin/series/test-series/invitations/campaigns/new"
    response = _post(client, url, {"subject_en": "Join\r\nBcc: evil@example.org",
                                   "body_en": "Hello\x00", "subject_fr": "Bienvenue"})
    html = response.get_data(as_text=True)
    assert LINE_MESSAGE in field_error(html, "subject_en")
    assert CONTROL_MESSAGE in field_error(html, "body_en")
    assert count(Campaign) == 0


def test_numbers_beyond_the_database_are_a_message_not_a_server_error(
    client, organiser, make_series
):
    make_series()
    url = "/admin/series/test-series/modules/new"
    for name in ["number", "duration_minutes", "capacity"]:
        response = _post(client, url, {**MODULE_FORM, name: "99999999999999999999999"})
        assert response.status_code == 200
        assert "Give a smaller number (at most 2,147,483,647)." in field_error(
            response.get_data(as_text=True), name)
        response = _post(client, url, {**MODULE_FORM, name: "-99999999999"})
        assert "Give a larger number" in field_error(response.get_data(as_text=True), name)
    assert count(Module) == 0


# --- participants ---------------------------------------------------------------------------


def test_registration_refuses_a_nul_in_the_name_and_stores_nothing(
    client, make_series, make_module
):
    make_module(make_series())
    response = register(client, full_name="A\x00B")
    assert response.status_code == 200
    assert CONTROL_MESSAGE in field_error(response.get_data(as_text=True), "full_name")
    for field, value in [("organisation", "Gov\r\nBcc: x@example.org"),
                         ("job_title", "Legal\u2029adviser"), ("email", "ana@example.org\x00")]:
        response = register(client, **{field: value})
        assert expected_message(value) in field_error(response.get_data(as_text=True), field)
    assert count(Person) == 0 and count(Registration) == 0 and count(OutboxMessage) == 0


def test_registration_with_a_clean_name_still_works(client, make_series, make_module):
    make_module(make_series())
    response = register(client, full_name="Amina Diallo — محمد 🎉")
    assert response.status_code == 302
    assert db.session.scalar(select(Person.full_name)) == "Amina Diallo — محمد 🎉"


def test_personal_details_refuse_controls(client, make_series, make_module):
    make_module(make_series())
    register(client)
    token = token_of(db.session.scalar(select(Person)))
    url = f"/me/{token}/details"
    details = {k: v for k, v in form_data(full_name="A\x00B").items()
               if k not in ("email", "modules", "has_data_consent")}
    response = client.post(url, data={**details, "csrf_token": csrf_token(client, url)})
    assert CONTROL_MESSAGE in field_error(response.get_data(as_text=True), "full_name")
    assert db.session.scalar(select(Person.full_name)) == "Amina Diallo"


# --- calendars and emails from stored values ------------------------------------------------

INJECTED = "Intro\r\nX-EVIL:1\r\nATTENDEE:mailto:evil@example.org\r\nEND:VEVENT"


@pytest.fixture()
def hostile_series(make_series, make_module):
    """Values written straight into the database, as if a form or import had let them in."""
    series = make_series(short_description=INJECTED, short_description_fr=INJECTED,
                         title="Series\r\nX-EVIL:2", sender_name="Sec\r\nX-EVIL:3")
    module = make_module(series, title="Title\x07\r\nX-EVIL:5", pillar="Pillar\nX-EVIL:6",
                         thematic_focus="Focus\x0b\x1b[31m\u2028X-EVIL:7",
                         join_url="https://zoom.example.org/j/1\r\nX-EVIL:8")
    item = AgendaItem(module=module, position=0, start_offset_minutes=0, kind="panel",
                      title="Panel\r\nX-EVIL:9")
    item.speakers.append(Speaker(position=0, role="Expert\r\nX-EVIL:10", organisation="UNODC"))
    db.session.add(item)
    db.session.commit()
    return series


def parse_calendar(data: bytes) -> icalendar.Calendar:
    """Both parsers read it, no property was added, no control character is left."""
    check_wire_format(data)
    cal = icalendar.Calendar.from_ical(data)
    assert not cal.errors and all(not e.errors for e in cal.events)
    parsed = vobject.readOne(data.decode("utf-8"), validate=True)
    assert len(list(parsed.vevent_list)) == len(cal.events) == 1
    for component in cal.walk():
        assert not [name for name in component if name.startswith("X-EVIL")]
        assert "X-EVIL" not in [line.split(":")[0] for line in data.decode().split("\r\n")]
    assert not has_control_chars(data.decode().replace("\r\n", ""))
    return cal


def test_crlf_in_stored_values_breaks_no_feed_and_adds_no_property(client, hostile_series):
    hostile_series.sender_email = "sec@example.org\r\nX-EVIL:4"
    db.session.commit()
    for url in ["/series/test-series/calendar.ics",
                "/series/test-series/modules/1/calendar.ics"]:
        response = client.get(url)
        assert response.status_code == 200, url
        cal = parse_calendar(response.data)
        assert "ATTENDEE" not in cal.events[0]
        assert str(cal["X-WR-CALDESC"]).startswith("Intro X-EVIL:1 ATTENDEE:")
        event = cal.events[0]
        assert str(event["SUMMARY"]) == "Module 1 — Pillar X-EVIL:6: Title X-EVIL:5"
        assert str(event["ORGANIZER"]) == "mailto:sec@example.orgX-EVIL:4"
        assert "Panel X-EVIL:9 (Expert X-EVIL:10, UNODC)" in str(event["DESCRIPTION"])


def test_personal_feed_and_invitation_email_survive_stored_line_breaks(
    client, runner, smtp_sink, hostile_series
):
    register(client)
    person = db.session.scalar(select(Person))
    response = client.get(f"/me/{token_of(person)}/calendar.ics")
    assert response.status_code == 200
    event = parse_calendar(response.data).events[0]
    assert "ATTENDEE" not in event
    assert str(event["LOCATION"]) == "https://zoom.example.org/j/1 X-EVIL:8"
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    parts = [part for received in smtp_sink.messages
             for part in calendar_parts(received.message)]
    assert parts
    for part in parts:
        cal = parse_calendar(part.get_payload(decode=True))
        assert str(cal.events[0]["ATTENDEE"]) == "mailto:amina.diallo@example.org"
