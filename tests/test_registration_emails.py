"""Registration emails as received by a real SMTP server: MIME shape and the iMIP checklist."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject
from sqlalchemy import func, select

from tests.mailsink import calendar_parts, check_wire_format, mime_tree
from webinar_app.core.module_changes import CalendarFields, ModuleChange
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, Registration
from webinar_app.outbox.mailer import deliver_due
from webinar_app.registration import emails
from webinar_app.registration.notifications import (
    notify_module_cancelled,
    notify_module_changed,
)

BASE = "http://webinars.test"
TRICKY_TITLE = 'Prévention, protection; "rights" \\ remedies'


@pytest.fixture()
def setup(make_series, make_module, add_agenda, make_note, make_registration):
    series = make_series()
    m1 = make_module(series, number=1, title=TRICKY_TITLE)
    m2 = make_module(series, number=2, pillar="Protection", title="Victim support")
    m3 = make_module(series, number=3, pillar="Prosecution", title="Courts")
    add_agenda(m1)
    note = make_note(m1, title="Background note on prevention")
    return series, m1, m2, m3, note


def _send_and_receive(sink):
    db.session.commit()
    counts = deliver_due()
    assert counts.failed == 0 and counts.retrying == 0
    return sink.messages


def _calendar(received):
    """The inline calendar part's bytes and its parsed forms (icalendar and vobject)."""
    parts = calendar_parts(received.message)
    assert len(parts) == 1, "exactly one text/calendar part"
    raw = parts[0].get_payload(decode=True)
    cal = icalendar.Calendar.from_ical(raw)
    vcal = vobject.readOne(raw.decode("utf-8"), validate=True)
    return parts[0], raw, cal, vcal


def check_invitation(received, *, method, person, module, sequence):
    """The checklist of §5 for one iMIP email."""
    msg = received.message
    # MIME: mixed[ alternative[ plain, html, calendar ], application/ics ]
    assert mime_tree(msg) == [
        "multipart/mixed",
        [
            ["multipart/alternative", ["text/plain", "text/html", "text/calendar"]],
            "application/ics",
        ],
    ]
    alternative, attachment = list(msg.iter_parts())
    assert [p for p in msg.walk() if p["MIME-Version"]] == [msg]
    cal_part = list(alternative.iter_parts())[-1]
    assert cal_part.get_param("method") == method
    assert cal_part.get_content_charset() == "utf-8"
    assert cal_part["Content-Transfer-Encoding"] == "quoted-printable"
    assert cal_part.get_content_disposition() is None
    for part in alternative.iter_parts():
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    part, raw, cal, vcal = _calendar(received)
    assert attachment.get_payload(decode=True) == raw
    check_wire_format(raw)
    assert not cal.errors
    assert str(cal["METHOD"]) == method
    events = cal.events
    assert len(events) == 1
    event = events[0]
    assert event.errors == []
    assert event.uid == emails.ics.event_uid(module, BASE)
    assert event.sequence == sequence
    stamp = event.stamp
    assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=2)
    assert re.search(rb"\r\nDTSTART:\d{8}T\d{6}Z\r\n", raw)
    assert re.search(rb"\r\nDTEND:\d{8}T\d{6}Z\r\n", raw)
    assert event.start == module.starts_at
    assert event.end - event.start == timedelta(minutes=module.duration_minutes)
    assert str(event["ORGANIZER"]) == f"mailto:{module.series.sender_email}"
    attendees = event.attendees
    assert [a.email for a in attendees] == [person.email]
    params = attendees[0].params
    if method == "REQUEST":
        assert (params["ROLE"], params["PARTSTAT"], params["RSVP"]) == (
            "REQ-PARTICIPANT",
            "NEEDS-ACTION",
            "TRUE",
        )
    else:  # a CANCEL asks for no answer
        assert (params["ROLE"], params["RSVP"]) == ("REQ-PARTICIPANT", "FALSE")
        assert "PARTSTAT" not in params
    expected_status = "CONFIRMED" if method == "REQUEST" else "CANCELLED"
    assert str(event["STATUS"]) == expected_status
    assert vcal.vevent.uid.value == event.uid
    assert vcal.vevent.summary.value == str(event["SUMMARY"])
    assert module.title in str(event["SUMMARY"])
    # headers
    assert msg["To"].addresses[0].addr_spec == person.email
    assert msg["From"].addresses[0].addr_spec == module.series.sender_email
    assert msg["Message-ID"].endswith("@webinars.test>")
    assert msg["Date"] and msg["Subject"] and msg["Content-Language"] == person.language
    return event, msg


def test_registering_for_two_modules_delivers_two_imip_requests(
    setup, smtp_sink, make_registration
):
    series, m1, m2, m3, note = setup
    regs = [make_registration(m1), make_registration(m3)]
    for reg in regs:
        assert emails.queue_invitation(reg) is not None
    received = _send_and_receive(smtp_sink)
    assert len(received) == 2
    person = regs[0].person
    uids = set()
    for reg, mail in zip(regs, received, strict=True):
        assert mail.rcpt_tos == [person.email]
        event, msg = check_invitation(
            mail, method="REQUEST", person=person, module=reg.module, sequence=0
        )
        uids.add(event.uid)
        join = reg.module.join_url
        assert str(event["URL"]) == join and str(event["LOCATION"]) == join
        assert join in str(event["DESCRIPTION"])
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        assert join in html and join in text
        token_url = emails.personal_url(person)
        assert token_url in text and token_url in str(event["DESCRIPTION"])
    assert len(uids) == 2


def test_invitation_text_gives_both_zones_prereading_and_personal_link(
    setup, smtp_sink, make_registration
):
    series, m1, *_rest, note = setup
    reg = make_registration(m1)
    emails.queue_invitation(reg)
    (mail,) = _send_and_receive(smtp_sink)
    text = mail.message.get_body(("plain",)).get_content()
    assert "(Brussels, UTC+" in text
    assert "(Nairobi, UTC+03:00)" in text
    assert "PDF, 1 KB" in text or "PDF, " in text
    note_url = f"{BASE}/series/{series.slug}/modules/1/notes/{note.id}/background-note.pdf"
    assert note_url in text
    assert note.title in text
    assert "Panel 1" in text
    _part, _raw, cal, _vcal = _calendar(mail)
    description = str(cal.events[0]["DESCRIPTION"])
    assert note_url in description and "Panel 1" in description
    assert all(len(line) <= 998 for line in mail.raw.split(b"\r\n"))


def test_summary_and_description_round_trip_through_escaping(setup, smtp_sink, make_registration):
    series, m1, *_ = setup
    m1.thematic_focus = "Focus; with, commas \\ and\nnew lines"
    db.session.commit()
    emails.queue_invitation(make_registration(m1))
    (mail,) = _send_and_receive(smtp_sink)
    _part, _raw, cal, vcal = _calendar(mail)
    expected = f"Module 1 — Prevention: {TRICKY_TITLE}"
    assert str(cal.events[0]["SUMMARY"]) == expected
    assert vcal.vevent.summary.value == expected
    assert vcal.vevent.description.value.startswith(m1.thematic_focus)


def test_feed_and_email_share_uid_and_sequence(setup, smtp_sink, make_registration, client):
    series, m1, *_ = setup
    emails.queue_invitation(make_registration(m1))
    (mail,) = _send_and_receive(smtp_sink)
    _part, _raw, cal, _vcal = _calendar(mail)
    feed = icalendar.Calendar.from_ical(client.get(f"/series/{series.slug}/calendar.ics").data)
    by_uid = {e.uid: e for e in feed.events}
    assert cal.events[0].uid in by_uid
    assert by_uid[cal.events[0].uid].sequence == cal.events[0].sequence


def test_reschedule_cli_sends_update_with_same_uid_and_higher_sequence(
    setup, smtp_sink, make_registration, runner
):
    series, _m1, _m2, m3, _note = setup
    reg = make_registration(m3)
    emails.queue_invitation(reg)
    (first,) = _send_and_receive(smtp_sink)
    _p, _r, first_cal, _v = _calendar(first)
    old_start = m3.starts_at
    new_local = (old_start + timedelta(days=1)).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Brussels")
    )
    result = runner.invoke(
        args=[
            "modules",
            "reschedule",
            series.slug,
            "3",
            "--start",
            new_local.strftime("%Y-%m-%dT%H:%M"),
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    counts = deliver_due()
    assert counts.sent == 1
    update = smtp_sink.messages[1]
    module = db.session.get(type(m3), m3.id)
    event, msg = check_invitation(
        update, method="REQUEST", person=reg.person, module=module, sequence=1
    )
    assert event.uid == first_cal.events[0].uid
    assert event.sequence > first_cal.events[0].sequence
    assert event.start == old_start + timedelta(days=1)
    text = msg.get_body(("plain",)).get_content()
    assert "What changed" in text and " -> " in text
    assert "(Nairobi, UTC+03:00)" in text


def test_own_cancellation_is_a_cancel_with_higher_sequence(setup, smtp_sink, make_registration):
    _series, m1, *_ = setup
    reg = make_registration(m1)
    emails.queue_invitation(reg)
    reg.status = "cancelled"
    reg.sequence_offset += 1
    emails.queue_own_cancellation(reg)
    invite, cancel = _send_and_receive(smtp_sink)
    _p, _r, invite_cal, _v = _calendar(invite)
    event, msg = check_invitation(cancel, method="CANCEL", person=reg.person, module=m1, sequence=1)
    assert event.uid == invite_cal.events[0].uid
    assert "URL" in event and m1.join_url not in str(event["URL"])
    assert m1.join_url not in msg.get_body(("plain",)).get_content()
    assert "LOCATION" not in event


def test_cancelled_module_sends_cancel_to_registered_and_plain_email_to_waiting(
    setup, smtp_sink, make_registration, runner
):
    series, _m1, m2, *_ = setup
    registered = make_registration(m2, email="reg@example.org")
    waiting = make_registration(m2, email="wait@example.org", status="waiting")
    make_registration(m2, email="gone@example.org", status="cancelled")
    result = runner.invoke(args=["modules", "cancel", series.slug, "2"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    received = _send_and_receive(smtp_sink)
    assert sorted(m.rcpt_tos[0] for m in received) == ["reg@example.org", "wait@example.org"]
    module = db.session.get(type(m2), m2.id)
    (mail,) = smtp_sink.to(registered.person.email)
    check_invitation(mail, method="CANCEL", person=registered.person, module=module, sequence=1)
    (plain,) = smtp_sink.to(waiting.person.email)
    assert mime_tree(plain.message) == ["multipart/alternative", ["text/plain", "text/html"]]
    assert calendar_parts(plain.message) == []
    assert "waiting list is therefore cancelled" in plain.message.get_body(("plain",)).get_content()


def test_waiting_list_notice_has_no_calendar_and_tells_the_position(
    setup, smtp_sink, make_registration
):
    _series, m1, *_ = setup
    reg = make_registration(m1, status="waiting")
    emails.queue_waiting_list_notice(reg, position=3)
    (mail,) = _send_and_receive(smtp_sink)
    assert mime_tree(mail.message) == ["multipart/alternative", ["text/plain", "text/html"]]
    text = mail.message.get_body(("plain",)).get_content()
    assert "position 3" in text
    assert m1.join_url not in text
    assert emails.personal_url(reg.person) in text


def test_promotion_sends_invitation_saying_a_place_freed(setup, smtp_sink, make_registration):
    _series, m1, *_ = setup
    reg = make_registration(m1)
    emails.queue_invitation(reg, promoted=True)
    (mail,) = _send_and_receive(smtp_sink)
    assert "A place is free for you" in mail.message["Subject"]
    check_invitation(mail, method="REQUEST", person=reg.person, module=m1, sequence=0)


def test_the_same_email_cannot_be_queued_twice(setup, make_registration):
    _series, m1, *_ = setup
    reg = make_registration(m1)
    assert emails.queue_invitation(reg) is not None
    assert emails.queue_invitation(reg) is None
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    reg.sequence_offset += 2  # cancelled and registered again: a new invitation is legitimate
    assert emails.queue_invitation(reg) is not None
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_duplicate_purpose_key_keeps_the_callers_transaction(setup, make_registration):
    _series, m1, m2, *_ = setup
    reg = make_registration(m1)
    emails.queue_invitation(reg)
    db.session.commit()
    other = Registration(person=reg.person, module=m2, status="registered")
    db.session.add(other)
    from webinar_app.outbox.services import queue_email

    again = queue_email(
        kind="invitation",
        purpose_key=f"invitation:{reg.person_id}:{m1.id}:seq0",
        to_email="ada@example.org",
        to_name="Ada",
        language="en",
        subject="x",
        body_text="x",
        body_html="",
    )
    assert again is None
    db.session.commit()
    assert db.session.get(Registration, other.id) is not None


def test_notifications_skip_erased_people(setup, make_registration):
    _series, m1, *_ = setup
    reg = make_registration(m1)
    make_registration(m1, email="bob@example.org", full_name="Bob")
    reg.person.erased_at = datetime.now(UTC)
    reg.person.email = None
    previous = CalendarFields.of(m1)
    m1.starts_at += timedelta(hours=1)
    m1.sequence += 1
    change = notify_module_changed(m1, ModuleChange(previous, CalendarFields.of(m1)))
    assert change.registered_emailed == 1
    assert notify_module_cancelled(m1) == 1
    assert emails.queue_invitation(reg) is None


def test_a_name_with_crlf_never_adds_a_header(setup, smtp_sink, make_registration):
    _series, m1, *_ = setup
    reg = make_registration(m1, full_name="Eve\r\nBcc: evil@example.com\r\nX-Evil: 1")
    emails.queue_invitation(reg)
    (mail,) = _send_and_receive(smtp_sink)
    assert mail.rcpt_tos == ["ada@example.org"]
    assert mail.message["Bcc"] is None and mail.message["X-Evil"] is None
    header_block = mail.raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in header_block and b"\r\nX-Evil" not in header_block
    _p, raw, cal, _v = _calendar(mail)
    assert b"\r\nBcc" not in raw
    assert len(cal.events[0].attendees) == 1


def test_participant_language_sets_content_language(setup, smtp_sink, make_registration):
    _series, m1, *_ = setup
    reg = make_registration(m1, language="fr")
    emails.queue_invitation(reg)
    (mail,) = _send_and_receive(smtp_sink)
    assert mail.message["Content-Language"] == "fr"
    html = mail.message.get_body(("html",)).get_content()
    assert '<html lang="fr">' in html
