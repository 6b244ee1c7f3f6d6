"""Public and personal calendar feeds: PUBLISH, no attendees, stable bytes, ETag and 304."""

from __future__ import annotations

from urllib.parse import quote_plus

import icalendar
import pytest
import vobject

from tests.mailsink import check_wire_format
from webinar_app.calendar import ics
from webinar_app.extensions import db
from webinar_app.feeds.responses import personal_calendar

BASE = "http://webinars.test"


@pytest.fixture()
def series(make_series, make_module, add_agenda, make_note):
    series = make_series()
    m1 = make_module(series, number=1, title="Prevention; first, of all")
    make_module(series, number=2, title="Protection")
    make_module(series, number=3, title="Still a draft", status="draft")
    add_agenda(m1)
    make_note(m1)
    return series


def _parse(data: bytes):
    check_wire_format(data)
    cal = icalendar.Calendar.from_ical(data)
    vobject.readOne(data.decode("utf-8"), validate=True)
    assert not cal.errors and all(not e.errors for e in cal.events)
    return cal


def test_series_feed_is_publish_without_attendees_or_join_links(client, series):
    response = client.get(f"/series/{series.slug}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=" in response.headers["Cache-Control"]
    data = response.data
    cal = _parse(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert b"ATTENDEE" not in data
    assert b"zoom.example.org" not in data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT6H\r\n" in data
    assert [str(e["SUMMARY"]) for e in cal.events] == [
        "Module 1 — Prevention: Prevention; first, of all",
        "Module 2 — Prevention: Protection",
    ]
    for event, module in zip(cal.events, series.modules, strict=False):
        assert event.uid == ics.event_uid(module, BASE)
        assert event.sequence == module.sequence
        assert str(event["ORGANIZER"]) == "mailto:secretariat@example.org"
        assert event.end - event.start == module.ends_at - module.starts_at
        assert str(event["STATUS"]) == "CONFIRMED"
    assert b"Still a draft" not in data


def test_feed_bytes_are_deterministic_with_etag_and_304(client, series):
    url = f"/series/{series.slug}/calendar.ics"
    first, second = client.get(url), client.get(url)
    assert first.data == second.data
    etag = first.headers["ETag"]
    assert etag and etag == second.headers["ETag"]
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""


def test_a_change_gives_new_bytes_and_a_new_etag(client, series):
    url = f"/series/{series.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]
    module = series.modules[1]
    module.title = "Protection, renamed"
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and b"renamed" in response.data


def test_cancelled_module_stays_in_the_feed_as_cancelled(client, series, runner):
    result = runner.invoke(args=["modules", "cancel", series.slug, "2"])
    assert result.exit_code == 0, result.output
    cal = _parse(client.get(f"/series/{series.slug}/calendar.ics").data)
    event = cal.events[1]
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.sequence == 1


def test_module_feed_has_the_one_module(client, series):
    response = client.get(f"/series/{series.slug}/modules/1/calendar.ics")
    assert response.status_code == 200
    cal = _parse(response.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert [e.uid for e in cal.events] == [ics.event_uid(series.modules[0], BASE)]
    assert b"ATTENDEE" not in response.data and b"zoom.example.org" not in response.data
    assert "Panel 1" in str(cal.events[0]["DESCRIPTION"])
    etag = response.headers["ETag"]
    again = client.get(
        f"/series/{series.slug}/modules/1/calendar.ics", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "url",
    [
        "/series/nope/calendar.ics",
        "/series/test-series/modules/3/calendar.ics",  # draft
        "/series/test-series/modules/9/calendar.ics",
    ],
)
def test_unknown_series_module_or_draft_is_404(client, series, url):
    assert client.get(url).status_code == 404


def test_personal_feed_has_join_links_and_the_persons_sequence(app, series, make_registration):
    m1, m2 = series.modules[0], series.modules[1]
    reg1 = make_registration(m1)
    reg2 = make_registration(m2, status="waiting")
    reg1.sequence_offset = 2
    db.session.commit()
    with app.test_request_context("/me/x/calendar.ics"):
        response = personal_calendar(reg1.person, [reg1, reg2])
    assert "private" in response.headers["Cache-Control"]
    data = response.get_data()
    cal = _parse(data)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert b"ATTENDEE" not in data
    (event,) = cal.events  # the waiting-list place is not in the calendar
    assert event.uid == ics.event_uid(m1, BASE)
    assert event.sequence == 2
    assert str(event["URL"]) == m1.join_url and str(event["LOCATION"]) == m1.join_url
    assert m1.join_url in str(event["DESCRIPTION"])


def test_subscription_and_add_to_calendar_links(app, series):
    module = series.modules[0]
    feed = f"{BASE}/series/{series.slug}/calendar.ics"
    assert ics.webcal_url(feed) == "webcal://webinars.test/series/test-series/calendar.ics"
    google = ics.google_calendar_url(module)
    start = module.starts_at.strftime("%Y%m%dT%H%M%SZ")
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert f"dates={start}%2F" in google
    outlook = ics.outlook_calendar_url(module)
    assert outlook.startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    assert "startdt=" + module.starts_at.strftime("%Y-%m-%dT%H%%3A%M%%3A%SZ") in outlook
    office = ics.microsoft365_calendar_url(module)
    assert office.startswith("https://outlook.office.com/calendar/0/deeplink/compose?")
    assert office.split("?", 1)[1] == outlook.split("?", 1)[1]
    assert "zoom" not in google + outlook + office
    joined = ics.calendar_links(module, module.join_url)
    for link in (joined.google, joined.outlook, joined.microsoft365):
        assert "location=" + quote_plus(module.join_url) in link
