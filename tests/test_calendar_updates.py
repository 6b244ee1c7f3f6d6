"""Calendars follow every change people rely on (issue 9, item 2).

A new join link, title or time reaches every registrant as an iMIP REQUEST with the same UID
and a higher SEQUENCE, after the organiser has seen whom it will email; people on the waiting
list get plain emails, never a calendar; a CANCEL asks for no answer; a move takes the
registration closing along. Everything goes through HTTP, the CLI and a real SMTP server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from tests.conftest import csrf_token
from tests.mailsink import calendar_parts, mime_tree
from tests.registration_helpers import person_by_email, register
from tests.test_registration_emails import check_invitation
from webinar_app import timefmt
from webinar_app.core.tokens import personal_url
from webinar_app.extensions import db
from webinar_app.models import Module, OutboxMessage, Role
from webinar_app.outbox.mailer import deliver_due

BRUSSELS = ZoneInfo("Europe/Brussels")
OLD_LINK = "https://zoom.example.org/j/123456"
NEW_LINK = "https://teams.example.org/l/meetup-join/new-room"
EDIT_URL = "/admin/series/test-series/modules/1/edit"


# --- helpers ------------------------------------------------------------------------------


class _HiddenInputs(HTMLParser):
    """The hidden inputs of each form of a page, in order, as a browser would post them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form":
            self.forms.append([])
        elif tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.forms[-1].append((values["name"], values.get("value") or ""))


def hidden_fields(html: str) -> MultiDict:
    """The hidden fields of the page's confirmation form."""
    parser = _HiddenInputs()
    parser.feed(html)
    (fields,) = [form for form in parser.forms if any(k == "confirm" for k, _v in form)]
    return MultiDict(fields)


def page_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def local(at: datetime) -> str:
    return at.astimezone(BRUSSELS).strftime("%Y-%m-%dT%H:%M")


def module_form(module: Module, **changes) -> dict:
    """The edit form as the organiser's browser posts it, with some fields changed."""
    values = dict(
        number=str(module.number),
        title=module.title,
        pillar=module.pillar,
        thematic_focus=module.thematic_focus,
        description=module.description,
        title_fr=module.title_fr or "",
        pillar_fr=module.pillar_fr or "",
        thematic_focus_fr="",
        description_fr="",
        starts_at=local(module.starts_at),
        duration_minutes=str(module.duration_minutes),
        status=module.status,
        capacity="" if module.capacity is None else str(module.capacity),
        registration_opens_at=(
            local(module.registration_opens_at) if module.registration_opens_at else ""
        ),
        registration_closes_at=(
            local(module.registration_closes_at) if module.registration_closes_at else ""
        ),
        join_url=module.join_url,
    )
    values.update(changes)
    return values


def post_edit(client, data: dict):
    return client.post(EDIT_URL, data={**data, "csrf_token": csrf_token(client, EDIT_URL)})


def confirm(client, confirm_page_html: str):
    """Press the confirmation button: post back exactly the page's hidden fields."""
    return client.post(EDIT_URL, data=hidden_fields(confirm_page_html))


def deliver(sink, expected: int):
    before = len(sink.messages)
    counts = deliver_due()
    assert (counts.sent, counts.failed, counts.retrying) == (expected, 0, 0)
    return sink.messages[before:]


def outbox_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def parsed(received):
    """(icalendar event, vobject vevent, METHOD) of the one calendar part of an email."""
    (part,) = calendar_parts(received.message)
    raw = part.get_payload(decode=True)
    cal = icalendar.Calendar.from_ical(raw)
    vcal = vobject.readOne(raw.decode("utf-8"), validate=True)
    assert vcal.method.value == str(cal["METHOD"]) == part.get_param("method")
    (event,) = cal.events
    return event, vcal.vevent, str(cal["METHOD"])


def plain_text(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def fresh(module: Module) -> Module:
    db.session.expire_all()
    return db.session.get(Module, module.id)


@dataclass
class Scene:
    module: Module
    invitations: dict[str, icalendar.Event]


@pytest.fixture()
def organiser(make_user, login):
    user = make_user("organiser@example.org", Role.ORGANISER.value)
    login(user)
    return user


@pytest.fixture()
def scene(client, smtp_sink, make_series, make_module) -> Scene:
    """Module 1 (two seats, registration closing at the start, as in the demo): an English and
    a French registrant and one person on the waiting list, all through the registration form;
    their first emails already delivered."""
    series = make_series()
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=30)
    module = make_module(
        series, number=1, capacity=2, starts_at=start, registration_closes_at=start,
        title="Prevention first", title_fr="La prévention d'abord", join_url=OLD_LINK,
    )
    for email, name, language in (
        ("en@example.org", "Ada English", "en"),
        ("fr@example.org", "Fatou Diop", "fr"),
        ("wait@example.org", "Walter Waiting", "en"),
    ):
        response = register(client, email=email, full_name=name, language=language)
        assert response.status_code == 302
    first = deliver(smtp_sink, 3)
    invitations = {}
    for mail in first:
        if calendar_parts(mail.message):
            invitations[mail.rcpt_tos[0]] = parsed(mail)[0]
    assert sorted(invitations) == ["en@example.org", "fr@example.org"]
    return Scene(module=module, invitations=invitations)


# --- a new join link ----------------------------------------------------------------------


def test_new_join_link_reaches_every_registrant_after_the_organiser_confirms(
    client, organiser, scene, smtp_sink
):
    module = scene.module
    queued = outbox_count()
    response = post_edit(client, module_form(module, join_url=NEW_LINK))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(html)
    assert "Saving will email an updated invitation to 2 registrants." in text
    assert "en@example.org" in text and "fr@example.org" in text
    assert "wait@example.org" not in text
    assert OLD_LINK in text and NEW_LINK in text
    assert fresh(module).join_url == OLD_LINK and outbox_count() == queued

    response = confirm(client, html)
    assert response.status_code == 302
    saved = page_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "2 people are emailed about the change." in saved
    module = fresh(module)
    assert (module.join_url, module.sequence) == (NEW_LINK, 1)

    updates = deliver(smtp_sink, 2)
    assert sorted(m.rcpt_tos[0] for m in updates) == ["en@example.org", "fr@example.org"]
    for mail in updates:
        email = mail.rcpt_tos[0]
        person = person_by_email(email)
        event, vevent, method = parsed(mail)
        if person.language == "en":  # the checklist compares SUMMARY with the English title
            check_invitation(mail, method="REQUEST", person=person, module=module, sequence=1)
        first = scene.invitations[email]
        assert event.uid == first.uid == vevent.uid.value
        assert event.sequence == first.sequence + 1 == int(vevent.sequence.value)
        assert str(event["URL"]) == NEW_LINK == vevent.url.value
        assert str(event["LOCATION"]) == NEW_LINK == vevent.location.value
        assert NEW_LINK in vevent.description.value and OLD_LINK not in vevent.description.value
        body = plain_text(mail)
        assert NEW_LINK in body and OLD_LINK not in body
        assert NEW_LINK in mail.message.get_body(("html",)).get_content()
    english = next(m for m in updates if m.rcpt_tos == ["en@example.org"])
    assert english.message["Subject"].startswith("New join link:")
    assert "New join link (the previous one no longer works)" in plain_text(english)
    french = next(m for m in updates if m.rcpt_tos == ["fr@example.org"])
    assert french.message["Content-Language"] == "fr"
    assert "La prévention d'abord" in parsed(french)[1].summary.value
    assert smtp_sink.to("wait@example.org")[1:] == []


def test_each_change_is_a_new_update_with_a_higher_sequence(client, organiser, scene, smtp_sink):
    module = scene.module
    for sequence, link in enumerate((NEW_LINK, NEW_LINK + "-2"), start=1):
        response = post_edit(client, module_form(fresh(module), join_url=link))
        assert confirm(client, response.get_data(as_text=True)).status_code == 302
        for mail in deliver(smtp_sink, 2):
            event, _vevent, _method = parsed(mail)
            assert (event.sequence, str(event["URL"])) == (sequence, link)


def test_go_back_keeps_what_was_typed_and_saves_nothing(client, organiser, scene):
    module = scene.module
    response = post_edit(client, module_form(module, join_url=NEW_LINK, title="Retitled"))
    fields = hidden_fields(response.get_data(as_text=True))
    del fields["confirm"]
    fields["edit_again"] = "1"
    back = client.post(EDIT_URL, data=fields)
    assert back.status_code == 200
    html = back.get_data(as_text=True)
    assert f'value="{NEW_LINK}"' in html and 'value="Retitled"' in html
    assert fresh(module).join_url == OLD_LINK and fresh(module).sequence == 0


def test_a_confirmation_made_stale_by_a_cancellation_asks_again(
    client, organiser, scene, smtp_sink
):
    module = scene.module
    response = post_edit(client, module_form(module, join_url=NEW_LINK))
    stale_page = response.get_data(as_text=True)
    french = person_by_email("fr@example.org")
    me = personal_url(french).removeprefix("http://webinars.test")
    question = f"{me}/modules/1/cancel"
    assert client.post(question, data={"csrf_token": csrf_token(client, question),
                                       "confirm": "Yes, cancel my place"}).status_code == 302
    deliver(smtp_sink, 2)  # the CANCEL, and the invitation of the promoted person
    again = confirm(client, stale_page)
    assert again.status_code == 200
    text = page_text(again.get_data(as_text=True))
    assert "changed since you looked" in text
    assert "fr@example.org" not in text and "wait@example.org" in text
    assert fresh(module).join_url == OLD_LINK
    assert confirm(client, again.get_data(as_text=True)).status_code == 302
    assert sorted(m.rcpt_tos[0] for m in deliver(smtp_sink, 2)) == [
        "en@example.org", "wait@example.org"
    ]


# --- titles ------------------------------------------------------------------------------


def test_a_french_title_change_updates_only_the_french_readers(
    client, organiser, scene, smtp_sink
):
    module = scene.module
    response = post_edit(client, module_form(module, title_fr="Prévenir avant tout"))
    text = page_text(response.get_data(as_text=True))
    assert "Saving will email an updated invitation to 1 registrant." in text
    assert "fr@example.org" in text and "en@example.org" not in text
    assert confirm(client, response.get_data(as_text=True)).status_code == 302
    (mail,) = deliver(smtp_sink, 1)
    assert mail.rcpt_tos == ["fr@example.org"]
    event, vevent, method = parsed(mail)
    assert method == "REQUEST" and event.sequence == 1
    assert event.uid == scene.invitations["fr@example.org"].uid
    assert "Prévenir avant tout" in vevent.summary.value
    body = plain_text(mail)
    assert "La prévention d'abord" in body and "Prévenir avant tout" in body


def test_an_english_title_change_says_old_and_new_title(client, organiser, scene, smtp_sink):
    response = post_edit(client, module_form(scene.module, title="Prevention, revisited"))
    assert confirm(client, response.get_data(as_text=True)).status_code == 302
    (mail,) = deliver(smtp_sink, 1)  # the French reader sees the French title, unchanged
    assert mail.rcpt_tos == ["en@example.org"]
    assert mail.message["Subject"].startswith("Updated:")
    body = plain_text(mail)
    assert "Title: Module 1 — Prevention: Prevention first -> " in body
    assert "Prevention, revisited" in parsed(mail)[1].summary.value


# --- fields calendars do not show ----------------------------------------------------------


def test_capacity_description_and_focus_edits_send_nothing(
    client, organiser, smtp_sink, make_series, make_module, make_registration
):
    module = make_module(make_series(), capacity=10)
    make_registration(module, email="one@example.org")
    make_registration(module, email="two@example.org")
    queued = outbox_count()
    response = post_edit(client, module_form(
        module, capacity="20", description="A new description", thematic_focus="A new focus"
    ))
    assert response.status_code == 302
    saved = page_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Module saved." in saved and "emailed" not in saved
    module = fresh(module)
    assert (module.capacity, module.sequence) == (20, 0)
    assert outbox_count() == queued
    assert deliver_due().sent == 0


def test_the_edit_form_says_how_many_registrants_a_calendar_change_emails(
    client, organiser, scene
):
    text = page_text(client.get(EDIT_URL).get_data(as_text=True))
    assert "emails an updated calendar invitation to the 2 people registered" in text


# --- moves and the registration closing ---------------------------------------------------


def test_cli_reschedule_earlier_moves_the_closing_and_tells_the_waiting_list(
    runner, scene, smtp_sink
):
    module = scene.module
    old_start = module.starts_at
    new_start = old_start - timedelta(days=3, hours=2)
    result = runner.invoke(args=["modules", "reschedule", "test-series", "1",
                                 "--start", local(new_start)])
    assert result.exit_code == 0, result.output
    module = fresh(module)
    assert module.starts_at == new_start
    assert module.registration_closes_at == new_start
    closing = timefmt.fmt_short(new_start, "Europe/Brussels", "en")
    assert new_start.astimezone(BRUSSELS).strftime("%H:%M") in closing
    assert f"Registration now closes at {closing} Europe/Brussels." in result.output
    assert "2 registrant(s) get an updated invitation, 1 on the waiting list" in result.output

    mails = deliver(smtp_sink, 3)
    for email in ("en@example.org", "fr@example.org"):
        (mail,) = [m for m in mails if m.rcpt_tos == [email]]
        event, vevent, method = parsed(mail)
        assert method == "REQUEST"
        assert event.uid == scene.invitations[email].uid
        assert event.sequence == scene.invitations[email].sequence + 1
        assert event.start == new_start == vevent.dtstart.value
    (waiting,) = [m for m in mails if m.rcpt_tos == ["wait@example.org"]]
    assert calendar_parts(waiting.message) == []
    assert mime_tree(waiting.message) == ["multipart/alternative", ["text/plain", "text/html"]]
    assert waiting.message["Subject"].startswith("New time:")
    body = plain_text(waiting)
    assert "still on its waiting list" in body and "What changed" in body
    assert new_start.astimezone(BRUSSELS).strftime("%H:%M") in body
    assert OLD_LINK not in body


def test_edit_form_move_earlier_says_the_closing_moved(client, organiser, scene, smtp_sink):
    module = scene.module
    new_start = module.starts_at - timedelta(days=2)
    response = post_edit(client, module_form(module, starts_at=local(new_start)))
    html = response.get_data(as_text=True)
    text = page_text(html)
    assert "Saving moves the registration closing to" in text
    assert "1 person on the waiting list gets an email with the new time" in text
    saved = client.get(confirm(client, html).headers["Location"]).get_data(as_text=True)
    assert "Registration now closes at" in page_text(saved)
    assert fresh(module).registration_closes_at == new_start
    assert len(deliver(smtp_sink, 3)) == 3


def test_reschedule_page_moves_the_closing_and_counts_the_people(
    client, organiser, scene, smtp_sink
):
    url = "/admin/series/test-series/modules/1/reschedule"
    text = page_text(client.get(url).get_data(as_text=True))
    assert "The 2 people registered get an updated calendar invitation" in text
    assert "The 1 person on the waiting list gets an email with the new time" in text
    new_start = scene.module.starts_at - timedelta(days=1)
    response = client.post(url, data={"starts_at": local(new_start), "duration_minutes": "90",
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    saved = page_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Module rescheduled. 3 people are emailed about the change." in saved
    assert "Registration now closes at" in saved
    mails = deliver(smtp_sink, 3)
    (english,) = [m for m in mails if m.rcpt_tos == ["en@example.org"]]
    event, _vevent, _method = parsed(english)
    assert event.end - event.start == timedelta(minutes=90)


# --- cancellations ----------------------------------------------------------------------


def _assert_cancel_attendee(event, vevent, email: str) -> None:
    (attendee,) = event.attendees
    assert attendee.email == email
    assert attendee.params["RSVP"] == "FALSE"
    assert "PARTSTAT" not in attendee.params
    vparams = vevent.attendee.params
    assert vparams["RSVP"] == ["FALSE"] and "PARTSTAT" not in vparams
    assert vevent.attendee.value == f"mailto:{email}"


def test_cancelling_the_module_sends_cancel_to_registrants_and_plain_email_to_the_waiting(
    client, organiser, scene, smtp_sink
):
    url = "/admin/series/test-series/modules/1/cancel"
    text = page_text(client.get(url).get_data(as_text=True))
    assert "The 2 people registered get a cancellation" in text
    assert "The 1 person on the waiting list is told by email." in text
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    mails = deliver(smtp_sink, 3)
    for email in ("en@example.org", "fr@example.org"):
        (mail,) = [m for m in mails if m.rcpt_tos == [email]]
        event, vevent, method = parsed(mail)
        assert method == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
        assert event.uid == scene.invitations[email].uid
        assert event.sequence == scene.invitations[email].sequence + 1
        _assert_cancel_attendee(event, vevent, email)
    (waiting,) = [m for m in mails if m.rcpt_tos == ["wait@example.org"]]
    assert calendar_parts(waiting.message) == []
    assert "application/ics" not in str(mime_tree(waiting.message))
    assert "waiting list is therefore cancelled" in plain_text(waiting)


def test_own_cancellation_asks_for_no_answer(client, scene, smtp_sink):
    person = person_by_email("en@example.org")
    me = personal_url(person).removeprefix("http://webinars.test")
    question = f"{me}/modules/1/cancel"
    response = client.post(question, data={"csrf_token": csrf_token(client, question),
                                           "confirm": "Yes, cancel my place"})
    assert response.status_code == 302
    mails = deliver(smtp_sink, 2)  # the CANCEL, and the promoted person's invitation
    (cancel,) = [m for m in mails if m.rcpt_tos == ["en@example.org"]]
    event, vevent, method = parsed(cancel)
    assert method == "CANCEL"
    _assert_cancel_attendee(event, vevent, "en@example.org")
    (promoted,) = [m for m in mails if m.rcpt_tos == ["wait@example.org"]]
    invite, _vevent, method = parsed(promoted)
    assert method == "REQUEST"
    assert invite.attendees[0].params["PARTSTAT"] == "NEEDS-ACTION"
    assert invite.attendees[0].params["RSVP"] == "TRUE"
