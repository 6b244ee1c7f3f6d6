"""Calendar feeds and the JSON API come from the page cache, yet show every change at once."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from webinar_app.extensions import db

FIRST_START = datetime(2031, 3, 4, 13, 0, tzinfo=UTC)
SERIES_FEED = "/series/test-series/calendar.ics"
MODULE_FEED = "/series/test-series/modules/1/calendar.ics"


@pytest.fixture()
def module(make_series, make_module, make_note):
    module = make_module(make_series(), number=1, starts_at=FIRST_START)
    make_note(module, title="Read this first")
    return module


def _event(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    (event,) = icalendar.Calendar.from_ical(response.data).events
    return event, response.headers["ETag"]


@pytest.mark.parametrize("url", [SERIES_FEED, MODULE_FEED])
def test_feed_shows_the_new_time_and_sequence_right_after_a_reschedule(client, runner, module,
                                                                       url):
    before, etag = _event(client, url)
    assert before.start == FIRST_START and before.sequence == 0
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    result = runner.invoke(args=["modules", "reschedule", "test-series", "1",
                                 "--start", "2031-03-11T15:30"])
    assert result.exit_code == 0, result.output

    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    (after,) = icalendar.Calendar.from_ical(response.data).events
    assert after.start == datetime(2031, 3, 11, 14, 30, tzinfo=UTC)
    assert after.sequence == 1
    assert response.headers["ETag"] != etag


def test_feed_shows_a_cancellation_and_an_unpublished_note_at_once(client, runner, module):
    before, _etag = _event(client, MODULE_FEED)
    assert "Read this first" in str(before["DESCRIPTION"])

    assert runner.invoke(args=["modules", "cancel", "test-series", "1"]).exit_code == 0
    module = db.session.merge(module)
    module.notes[0].is_published = False
    db.session.commit()

    after, _etag = _event(client, MODULE_FEED)
    assert str(after["STATUS"]) == "CANCELLED" and after.sequence == 1
    assert "Read this first" not in str(after["DESCRIPTION"])


def test_feed_bytes_are_the_same_from_the_cache_and_freshly_rendered(app, client, module):
    cached = client.get(SERIES_FEED).data
    assert client.get(SERIES_FEED).data == cached

    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    assert client.get(SERIES_FEED).data == cached


def test_api_shows_a_reschedule_at_once_and_answers_304_when_unchanged(client, runner, module):
    url = "/api/v1/series/test-series/modules"
    first = client.get(url)
    assert first.json["modules"][0]["starts_at"] == "2031-03-04T14:00:00+01:00"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    result = runner.invoke(args=["modules", "reschedule", "test-series", "1",
                                 "--start", "2031-03-11T15:30"])
    assert result.exit_code == 0, result.output

    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.json["modules"][0]["starts_at"] == "2031-03-11T15:30:00+01:00"
