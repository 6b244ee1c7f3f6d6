"""The issue's check, end to end: HTTP registration, real SMTP, reschedule CLI, personal cancel."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar

from tests.conftest import csrf_token
from tests.mailsink import calendar_parts
from tests.registration_helpers import person_by_email, register
from tests.test_registration_emails import check_invitation
from webinar_app.core.tokens import personal_url
from webinar_app.extensions import db
from webinar_app.models import Module
from webinar_app.outbox.mailer import deliver_due


def _calendar(received) -> icalendar.Calendar:
    (part,) = calendar_parts(received.message)
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def _deliver(sink, expected: int):
    before = len(sink.messages)
    counts = deliver_due()
    assert (counts.sent, counts.failed, counts.retrying) == (expected, 0, 0)
    return sink.messages[before:]


def test_register_reschedule_and_cancel_keep_the_calendar_right(
    client, runner, smtp_sink, make_series, make_module
):
    series = make_series()
    for _ in range(3):
        make_module(series)
    assert register(client, modules=["1", "3"]).status_code == 302
    person = person_by_email("amina.diallo@example.org")

    invitations = _deliver(smtp_sink, 2)
    feed = icalendar.Calendar.from_ical(client.get("/series/test-series/calendar.ics").data)
    feed_events = {e.uid: e for e in feed.events}
    uid_by_number = {}
    for mail in invitations:
        number = int(mail.message["Subject"].split("Module ")[1].split(" ")[0])
        module = db.session.get(Module, series.modules[number - 1].id)
        event, _msg = check_invitation(
            mail, method="REQUEST", person=person, module=module, sequence=0
        )
        assert feed_events[event.uid].sequence == event.sequence
        uid_by_number[number] = event.uid
    assert sorted(uid_by_number) == [1, 3]

    module3 = series.modules[2]
    new_start = (module3.starts_at + timedelta(days=2)).astimezone(ZoneInfo("Europe/Brussels"))
    result = runner.invoke(
        args=[
            "modules",
            "reschedule",
            "test-series",
            "3",
            "--start",
            new_start.strftime("%Y-%m-%dT%H:%M"),
        ]
    )
    assert result.exit_code == 0, result.output
    (update,) = _deliver(smtp_sink, 1)
    update_event = _calendar(update).events[0]
    assert update_event.uid == uid_by_number[3]
    assert update_event.sequence == 1
    assert str(_calendar(update)["METHOD"]) == "REQUEST"

    db.session.expire_all()
    me = personal_url(person).removeprefix("http://webinars.test")
    question = client.get(f"{me}/modules/1/cancel")
    assert "Yes, cancel my place" in question.get_data(as_text=True)
    assert _deliver(smtp_sink, 0) == []
    token = csrf_token(client, f"{me}/modules/1/cancel")
    response = client.post(f"{me}/modules/1/cancel",
                           data={"csrf_token": token, "confirm": "Yes, cancel my place"})
    assert response.status_code == 302
    (cancel,) = _deliver(smtp_sink, 1)
    cancel_cal = _calendar(cancel)
    assert str(cancel_cal["METHOD"]) == "CANCEL"
    cancel_event = cancel_cal.events[0]
    assert cancel_event.uid == uid_by_number[1]
    assert cancel_event.sequence == 1
    assert str(cancel_event["STATUS"]) == "CANCELLED"
    assert [a.email for a in cancel_event.attendees] == ["amina.diallo@example.org"]
