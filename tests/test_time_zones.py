"""Times that read right: across midnight and the clock change, on the page, in the email
received and in the calendar file; the zone picker: canonical, by region, localised."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from tests.mailsink import calendar_parts
from tests.registration_helpers import person_by_email, register
from tests.summary_helpers import IsolatedClient, client_for, publish
from webinar_app.core.tokens import personal_token
from webinar_app.extensions import db
from webinar_app.outbox.mailer import deliver_due

LATE_START = datetime(2030, 12, 18, 22, 0, tzinfo=UTC)  # 23:00 in Brussels, 01:00 in Addis
AUTUMN_START = datetime(2030, 10, 26, 23, 30, tzinfo=UTC)  # 01:30 CEST, Sunday 27 October
# The last Sunday of October 2030 is the 27th: Brussels goes from UTC+02:00 to UTC+01:00 at
# 03:00, so a two-hour module from 01:30 ends at 02:30 by the clock.


def _page(client, url: str, language: str = "en") -> str:
    return client.get(url, headers={"Accept-Language": language}).get_data(as_text=True)


def _visible(html: str) -> str:
    """The text a reader sees, without tags (so attributes like datetime= do not count)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _received_invitation(client, smtp_sink, **form):
    register(client, **form)
    db.session.commit()
    assert deliver_due().failed == 0
    (received,) = smtp_sink.messages
    body = received.message.get_body(("plain",)).get_content()
    raw = calendar_parts(received.message)[0].get_payload(decode=True)
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    return body, event


def test_module_from_23_to_01_reads_next_day_on_page_email_and_calendar(
    client, make_series, make_module, add_agenda, smtp_sink
):
    add_agenda(make_module(make_series(), number=1, starts_at=LATE_START), count=3)

    page = _visible(_page(client, "/series/test-series/modules/1"))
    assert (
        "Wednesday 18 December 2030, 23:00 – 01:00 the next day (Brussels time, UTC+01:00)"
        in page
    )
    assert "23:30 Panel: Panel 2" in page and "00:00 the next day Panel: Panel 3" in page
    french = _visible(_page(client, "/series/test-series/modules/1", "fr"))
    assert "mercredi 18 décembre 2030, 23:00 – 01:00 le lendemain" in french

    body, event = _received_invitation(client, smtp_sink, timezone="Africa/Addis_Ababa")
    assert "Wednesday 18 December 2030, 23:00 – 01:00 the next day (Brussels, UTC+01:00)" in body
    assert "Thursday 19 December 2030, 01:00–03:00 (Addis Ababa, UTC+03:00)" in body
    assert event.decoded("dtstart") == LATE_START
    assert event.decoded("dtend") == LATE_START + timedelta(hours=2)
    assert "23:00 – 01:00 the next day Brussels time" in str(event["description"])


def test_module_across_the_october_clock_change_shows_both_offsets_and_two_hours(
    client, make_series, make_module, smtp_sink
):
    make_module(make_series(), number=1, starts_at=AUTUMN_START)

    page = _visible(_page(client, "/series/test-series/modules/1"))
    assert (
        "Sunday 27 October 2030, 01:30 (UTC+02:00) – 02:30 (UTC+01:00), 2 hours (Brussels time)"
        in page
    )
    assert "01:30–04:30" not in page and "03:30" not in page.split("Show the times")[0]
    french = _visible(_page(client, "/series/test-series/modules/1", "fr"))
    assert "dimanche 27 octobre 2030, 01:30 (UTC+02:00) – 02:30 (UTC+01:00), 2 heures" in french

    body, event = _received_invitation(client, smtp_sink, timezone="Europe/Brussels")
    assert (
        "Sunday 27 October 2030, 01:30 (UTC+02:00) – 02:30 (UTC+01:00), 2 hours (Brussels)"
        in body
    )
    assert event.decoded("dtstart") == AUTUMN_START
    assert event.decoded("dtend") == datetime(2030, 10, 27, 1, 30, tzinfo=UTC)


def test_zone_picker_is_canonical_grouped_localised_with_the_series_zone_first(
    client, make_series, make_module
):
    make_module(make_series(timezone="Africa/Khartoum"), number=1)

    html = _page(client, "/series/test-series/register", "fr")
    select = re.search(r'<select[^>]*name="timezone".*?</select>', html, re.S).group(0)
    assert "required" not in select.split(">")[0], "preselected, so no placeholder needed"
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups[:3] == ["Suggestions", "Afrique", "Amériques"] and "Europe" in groups
    values = re.findall(r"<option(?: selected)? value=([\w/+-]+)>", select)
    assert values[0] == "Africa/Khartoum" and values.count("Africa/Khartoum") == 1
    assert "Asia/Kolkata" in values and "America/Argentina/Buenos_Aires" in values
    assert not {"Asia/Calcutta", "America/Buenos_Aires", "US/Eastern"} & set(values)
    assert "<option value=Africa/Addis_Ababa>Addis-Abeba (UTC+03:00)<" in select
    assert re.search(r"<option value=Europe/Brussels>Bruxelles \(UTC\+0[12]:00\)<", select)

    module_page = _page(client, "/series/test-series/modules/1?tz=Africa/Addis_Ababa", "fr")
    zones = re.findall(r"<option(?: selected)? value=([\w/+-]+)>", module_page)
    assert zones[:2] == ["Africa/Khartoum", "Africa/Addis_Ababa"]
    assert "<option selected value=Africa/Addis_Ababa>Addis-Abeba (UTC+03:00)" in module_page


def test_a_legacy_zone_name_is_accepted_and_stored_as_its_canonical_zone(
    client, make_series, make_module
):
    make_module(make_series(), number=1)

    response = register(client, timezone="Asia/Calcutta")

    assert response.status_code == 302
    assert person_by_email("amina.diallo@example.org").timezone == "Asia/Kolkata"
    page = _page(client, "/series/test-series/modules/1?tz=America/Buenos_Aires")
    assert "Buenos Aires time, UTC-03:00" in _visible(page)


def test_zone_detection_is_offered_only_while_no_zone_is_chosen(
    client, make_series, make_module
):
    make_module(make_series(), number=1)

    assert "data-detect-zone" in _page(client, "/series/test-series/register")
    client.get("/series/test-series/modules/1?tz=Africa/Nairobi")  # remembered in a cookie
    html = _page(client, "/series/test-series/register")
    assert "data-detect-zone" not in html and "zone.js" not in html
    assert "<option selected value=Africa/Nairobi>" in html
    with client.get("/static/zone.js") as script:
        assert script.status_code == 200
        assert b"Intl.DateTimeFormat().resolvedOptions().timeZone" in script.data


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _without_machine_values(html: str) -> str:
    """The page's visible text: no tags, so no datetime=, href= or value= attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return _visible(html)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_iso_date_is_visible_on_the_main_pages(
    app, client, make_series, make_module, make_note, add_agenda, make_user, language
):
    series = make_series()
    module = make_module(series, number=1, starts_at=LATE_START)
    add_agenda(module)
    make_note(module)
    make_module(series, number=2, starts_at=AUTUMN_START)
    past = make_module(series, number=3, starts_at=datetime(2025, 3, 4, 13, 0, tzinfo=UTC))
    register(client, modules=["1", "2"])
    app.test_client_class = IsolatedClient
    writer = client_for(app, make_user("organiser@example.org", "organiser"))
    publish(writer, client_for(app, make_user("reviewer@example.org", "reviewer")), past,
            "What was said.")
    token = personal_token(person_by_email("amina.diallo@example.org"))
    urls = ["/", "/series/", "/series/test-series", "/series/test-series/modules/1",
            "/series/test-series/modules/2", "/series/test-series/register",
            "/series/test-series/summaries", "/series/test-series/modules/3",
            f"/me/{token}", f"/me/{token}/details"]
    for url in urls:
        response = client.get(url, headers={"Accept-Language": language})
        assert response.status_code == 200, url
        text = _without_machine_values(response.get_data(as_text=True))
        assert not ISO_DATE.search(text), (url, ISO_DATE.findall(text))
        if url.endswith("summaries"):
            assert "What was said." in text
