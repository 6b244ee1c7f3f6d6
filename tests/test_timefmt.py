"""One way to write dates and times: public pages, emails and the helpers agree, in en and fr."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage
from webinar_app.registration import emails

WINTER_START = datetime(2030, 12, 18, 13, 0, tzinfo=UTC)  # 14:00 in Brussels, 16:00 in Nairobi


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Wednesday 18 December 2030, 14:00"), ("fr", "mercredi 18 décembre 2030, 14:00")],
)
def test_helpers_write_weekday_day_month_year_in_the_locale(app, locale, expected):
    with app.app_context():
        assert timefmt.fmt_datetime(WINTER_START, "Europe/Brussels", locale) == expected
        short = timefmt.fmt_short_date(WINTER_START, "Europe/Brussels", locale)
        assert expected.startswith(timefmt.fmt_date(WINTER_START, "Europe/Brussels", locale))
        assert expected.split(", ")[0].endswith(" " + short) and short.startswith("18 ")


def _email_text(module, make_registration, **person) -> str:
    emails.queue_invitation(make_registration(module, **person))
    db.session.commit()
    return db.session.scalars(select(OutboxMessage)).one().body_text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Wednesday 18 December 2030, 14:00–16:00 (Brussels, UTC+01:00)"),
        ("fr", "mercredi 18 décembre 2030, 14:00–16:00 (Bruxelles, UTC+01:00)"),
    ],
)
def test_email_and_public_page_write_the_date_the_same_way(
    client, make_series, make_module, make_registration, language, expected
):
    module = make_module(make_series(), number=1, starts_at=WINTER_START)
    text = _email_text(module, make_registration, language=language)
    assert expected in text

    page = client.get("/series/test-series/modules/1", headers={"Accept-Language": language})
    assert expected.split(",")[0] + ", 14:00" in page.get_data(as_text=True)


def test_time_pair_states_the_series_time_then_the_viewers(app):
    with app.test_request_context():
        pair = timefmt.fmt_time_pair(WINTER_START, "Europe/Brussels", "Africa/Nairobi")
        same = timefmt.fmt_time_pair(WINTER_START, "Europe/Brussels", "Europe/Brussels")
        unknown = timefmt.fmt_time_pair(WINTER_START, "Europe/Brussels", "Mars/Base")
    assert pair == "14:00 Brussels time (16:00 in Nairobi, your time zone)"
    assert same == unknown == "14:00 Brussels time"


def test_time_pair_gives_the_viewers_date_when_it_is_another_day(app):
    late = datetime(2030, 12, 18, 22, 30, tzinfo=UTC)
    with app.test_request_context():
        pair = timefmt.fmt_time_pair(late, "Europe/Brussels", "Asia/Tokyo")
        utc = timefmt.fmt_time_pair(late, "UTC", "Europe/Brussels")
    assert pair == (
        "23:30 Brussels time (Thursday 19 December 2030, 07:30 in Tokyo, your time zone)"
    )
    assert utc == "22:30 UTC (23:30 in Brussels, your time zone)"


LATE = datetime(2030, 12, 18, 22, 0, tzinfo=UTC)  # 23:00 in Brussels
AUTUMN = datetime(2030, 10, 26, 23, 30, tzinfo=UTC)  # 01:30 CEST on the last Sunday of October


@pytest.mark.parametrize(
    ("locale", "start", "hours", "expected"),
    [
        ("en", LATE, 2, "Wednesday 18 December 2030, 23:00 – 01:00 the next day"
                        " (Brussels, UTC+01:00)"),
        ("fr", LATE, 2, "mercredi 18 décembre 2030, 23:00 – 01:00 le lendemain"
                        " (Bruxelles, UTC+01:00)"),
        ("en", LATE, 26, "Wednesday 18 December 2030, 23:00 – Friday 20 December 2030, 01:00"
                         " (Brussels, UTC+01:00)"),
        ("en", AUTUMN, 2, "Sunday 27 October 2030, 01:30 (UTC+02:00) – 02:30 (UTC+01:00),"
                          " 2 hours (Brussels)"),
        ("fr", AUTUMN, 1.5, "dimanche 27 octobre 2030, 01:30 (UTC+02:00) – 02:00 (UTC+01:00),"
                            " 1 heure 30 minutes (Bruxelles)"),
    ],
)
def test_span_marks_the_next_day_and_each_offset_across_a_clock_change(
    app, locale, start, hours, expected
):
    end = start + timedelta(hours=hours)
    with app.test_request_context(headers={"Accept-Language": locale}):
        assert timefmt.fmt_span(start, end, "Europe/Brussels") == expected


def test_time_pair_of_a_span_reads_right_in_both_zones(app):
    with app.test_request_context():
        late = timefmt.fmt_time_pair(LATE, "Europe/Brussels", "Africa/Addis_Ababa",
                                     ends_at=LATE + timedelta(hours=2))
        autumn = timefmt.fmt_time_pair(AUTUMN, "Europe/Brussels", "Asia/Calcutta",
                                       ends_at=AUTUMN + timedelta(hours=2))
    assert late == ("23:00 – 01:00 the next day Brussels time (Thursday 19 December 2030,"
                    " 01:00–03:00 in Addis Ababa, your time zone)")
    assert autumn == ("01:30 (UTC+02:00) – 02:30 (UTC+01:00), 2 hours Brussels time"
                      " (05:00–07:00 in Kolkata, your time zone)")


def test_legacy_zone_names_map_to_their_canonical_zone(app):
    assert timefmt.canonical_zone("Asia/Calcutta") == "Asia/Kolkata"
    assert timefmt.canonical_zone("America/Buenos_Aires") == "America/Argentina/Buenos_Aires"
    assert timefmt.canonical_zone("Africa/Addis_Ababa") == "Africa/Addis_Ababa"
    assert timefmt.canonical_zone("Mars/Olympus_Mons") is None
    assert "Asia/Calcutta" not in timefmt.all_timezones()
    assert "Africa/Addis_Ababa" in timefmt.all_timezones()
