"""The public series and module pages, as a participant sees them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from markupsafe import escape

from webinar_app.calendar import ics
from webinar_app.extensions import db
from webinar_app.models import AgendaItem, ModuleStatus, Speaker

JOIN_URL = "https://zoom.example.org/j/123456"
WINTER_START = datetime(2030, 12, 18, 13, 0, tzinfo=UTC)  # 14:00 in Brussels (UTC+01:00)
SUMMER_START = datetime(2030, 6, 19, 12, 0, tzinfo=UTC)  # 14:00 in Brussels (UTC+02:00)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _series_with_two_modules(make_series, make_module, make_note):
    series = make_series()
    first = make_module(series, number=1, pillar="Prevention", title="Labour exploitation",
                        thematic_focus="Recruitment", starts_at=SUMMER_START)
    second = make_module(series, number=2, pillar="Protection", title="Victim support",
                         thematic_focus="Assistance", starts_at=WINTER_START)
    make_note(first, title="Note on prevention", file_size=412 * 1024)
    make_note(second, title="Linked study", external_url="https://example.org/study",
              file_name=None, file_size=None, file_sha256=None, file_pages=None, file_data=None)
    return series, first, second


def test_series_page_lists_modules_in_order_with_times_status_and_pre_reading(
    client, make_series, make_module, make_note
):
    _series_with_two_modules(make_series, make_module, make_note)

    html = _text(client.get("/series/test-series"))

    assert "<h1>Test series</h1>" in html
    assert "Test Secretariat" in html and "The Chair" in html
    assert html.index("Labour exploitation") < html.index("Victim support")
    assert "Prevention" in html and "Protection" in html
    assert "Recruitment" in html and "Assistance" in html
    assert "Wednesday 19 June 2030, 14:00" in html
    assert "(Brussels time, UTC+02:00)" in html
    assert "Wednesday 18 December 2030, 14:00" in html
    assert "(Brussels time, UTC+01:00)" in html
    assert '<time datetime="2030-12-18T14:00:00+01:00">' in html
    assert "Scheduled" in html
    assert "(PDF, 412 KB)" in html
    assert "(external link)" in html
    assert 'href="https://example.org/study"' in html
    assert 'href="/series/test-series/modules/1"' in html
    assert 'href="/series/test-series/register"' in html
    assert 'href="/series/test-series/calendar.ics"' in html
    assert "webcal://webinars.test/series/test-series/calendar.ics" in html


def test_public_pages_never_show_the_join_url(client, make_series, make_module, make_note):
    _series_with_two_modules(make_series, make_module, make_note)

    for url in ["/", "/series/", "/series/test-series", "/series/test-series/modules/1",
                "/series/test-series/modules/2"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert JOIN_URL not in _text(response), url
        assert "zoom.example.org" not in _text(response), url


def test_home_shows_the_only_current_series(client, make_series, make_module, make_note):
    _series_with_two_modules(make_series, make_module, make_note)

    html = _text(client.get("/"))

    assert "<h1>Test series</h1>" in html
    assert "Labour exploitation" in html


def test_home_lists_series_when_several_are_current(client, make_series, make_module):
    first = make_series(slug="first", title="First series", short_description="About the first")
    second = make_series(slug="second", title="Second series")
    make_module(first, number=1, starts_at=SUMMER_START)
    make_module(second, number=1, starts_at=WINTER_START)

    html = _text(client.get("/"))

    assert "<h1>Webinar series</h1>" in html
    assert 'href="/series/first"' in html and 'href="/series/second"' in html
    assert "About the first" in html
    assert "19 June 2030" in html and "18 December 2030" in html


def test_draft_modules_are_neither_listed_nor_shown(client, make_series, make_module):
    series = make_series()
    make_module(series, number=1, title="Announced module")
    make_module(series, number=2, title="Secret draft", status=ModuleStatus.DRAFT.value)

    assert "Secret draft" not in _text(client.get("/series/test-series"))
    assert client.get("/series/test-series/modules/2").status_code == 404
    assert client.get("/series/test-series/modules/1").status_code == 200


def test_unknown_series_or_module_is_a_404_page_in_the_site_look(client, make_series, make_module):
    make_module(make_series(), number=1)

    for url in ["/series/nope", "/series/test-series/modules/9", "/series/nope/modules/1"]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in _text(response)
        assert 'class="site-header"' in _text(response)


def test_cancelled_module_shows_its_status(client, make_series, make_module):
    make_module(make_series(), number=1, status=ModuleStatus.CANCELLED.value)

    assert "Cancelled" in _text(client.get("/series/test-series"))
    html = _text(client.get("/series/test-series/modules/1"))
    assert "Cancelled" in html
    assert "Register for this module" not in html
    assert "Add to Google Calendar" not in html


def test_module_page_shows_agenda_with_times_speakers_and_pre_reading(
    client, make_series, make_module, make_note
):
    module = make_module(make_series(), number=1, starts_at=WINTER_START,
                         description="What we will discuss.")
    item = AgendaItem(module=module, position=0, start_offset_minutes=15, kind="keynote",
                      title="Setting the scene")
    item.speakers.append(Speaker(name="Ada Example", role="Senior expert", organisation="ILO"))
    db.session.add(item)
    db.session.commit()
    make_note(module, title="Background note on labour", language="fr",
              abstract="A short abstract of the note.", file_size=2 * 1024 * 1024)

    html = _text(client.get("/series/test-series/modules/1"))

    assert "What we will discuss." in html
    assert '<time datetime="2030-12-18T14:15:00+01:00">14:15</time>' in html
    assert "Keynote" in html and "Setting the scene" in html
    assert "Ada Example, Senior expert, ILO" in html
    assert "Background note on labour" in html
    assert "A short abstract of the note." in html
    assert "(PDF, 2.0 MB)" in html
    assert "French" in html
    assert 'href="/series/test-series/register?module=1"' in html


def test_chatham_house_module_hides_speaker_names_but_shows_organisations(
    client, make_series, make_module
):
    module = make_module(make_series(), number=1, is_chatham_house=True)
    item = AgendaItem(module=module, position=0, kind="panel", title="Panel")
    item.speakers.append(Speaker(name="Ada Example", role="Minister", organisation="Ministry"))
    db.session.add(item)
    db.session.commit()

    html = _text(client.get("/series/test-series/modules/1"))

    assert "Ada Example" not in html
    assert "Minister, Ministry" in html


def test_module_page_offers_calendar_links(app, client, make_series, make_module):
    module = make_module(make_series(), number=1, starts_at=WINTER_START, title="Labour")

    html = _text(client.get("/series/test-series/modules/1"))
    with app.test_request_context():  # the page's links are the calendar module's, no other set
        for link in (ics.google_calendar_url(module),
                     ics.outlook_calendar_url(module),
                     ics.microsoft365_calendar_url(module)):
            assert str(escape(link)) in html

    assert 'href="/series/test-series/modules/1/calendar.ics"' in html
    assert "webcal://webinars.test/series/test-series/calendar.ics" in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "dates=20301218T130000Z%2F20301218T150000Z" in html
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in html
    assert "https://outlook.office.com/calendar/0/deeplink/compose?" in html
    assert "zoom" not in html  # the public page never shows the join link
    assert "startdt=2030-12-18T13%3A00%3A00Z" in html
    assert "enddt=2030-12-18T15%3A00%3A00Z" in html


def test_timezone_picker_shows_the_module_in_the_chosen_zone_and_remembers_it(
    client, make_series, make_module
):
    make_module(make_series(), number=1, starts_at=WINTER_START)

    html = _text(client.get("/series/test-series/modules/1"))
    assert '<form method="get"' in html
    assert '<label for="tz">' in html and '<select name="tz" id="tz"' in html
    assert "<option selected value=Europe/Brussels>Brussels (UTC+0" in html
    assert "data-detect-zone" in html and "/static/zone.js?v=" in html

    response = client.get("/series/test-series/modules/1?tz=Africa/Nairobi")
    html = _text(response)
    assert "tz=Africa/Nairobi" in response.headers["Set-Cookie"]
    assert "Wednesday 18 December 2030, 16:00" in html
    assert "(Nairobi time, UTC+03:00)" in html
    assert "<option selected value=Africa/Nairobi>Nairobi (UTC+03:00)<" in html
    assert "data-detect-zone" not in html, "a chosen zone is not replaced by the detected one"

    html = _text(client.get("/series/test-series/modules/1"))
    assert "(Nairobi time, UTC+03:00)" in html
    assert "(Nairobi time, UTC+03:00)" in _text(client.get("/series/test-series"))


def test_unknown_timezone_gets_a_message_next_to_the_field(client, make_series, make_module):
    make_module(make_series(), number=1, starts_at=WINTER_START)

    response = client.get("/series/test-series/modules/1?tz=Mars/Olympus_Mons")

    assert response.status_code == 200
    html = _text(response)
    assert 'id="tz-error"' in html and 'aria-describedby="tz-error"' in html
    assert "Mars/Olympus_Mons" in html and "is not a time zone we know" in html
    assert "Set-Cookie" not in response.headers
    assert "(Brussels time, UTC+01:00)" in html


def test_pages_are_small_and_have_no_javascript(client, make_series, make_module, make_note):
    series = make_series()
    for number in (1, 2, 3, 4):
        module = make_module(series, number=number)
        make_note(module, title=f"Note {number}")

    for url in ["/series/test-series", "/series/test-series/modules/1"]:
        response = client.get(url)
        assert len(response.data) < 30 * 1024, url
        scripts = re.findall(r"<script[^>]*>", _text(response))
        assert all(re.fullmatch(r'<script src="/static/zone\.js\?v=\w+" defer>', s)
                   for s in scripts), scripts
        assert re.search(r"<h1>", _text(response))


def test_pages_are_in_french_when_asked(client, make_series, make_module):
    make_module(make_series(), number=1, starts_at=WINTER_START)

    html = _text(client.get("/series/test-series/modules/1?lang=fr"))

    assert "mercredi 18 décembre 2030, 14:00" in html


def test_series_list_shows_every_series_with_dates(client, make_series, make_module):
    series = make_series(short_description="Four webinars.")
    make_module(series, number=1, starts_at=SUMMER_START)
    make_module(series, number=2, starts_at=SUMMER_START + timedelta(days=60))

    html = _text(client.get("/series/"))

    assert "Four webinars." in html
    assert "19 June 2030 – 18 August 2030" in html
    assert "2 modules" in html


def test_page_changes_show_at_once_despite_the_page_cache(
    client, make_series, make_module, make_note
):
    module = make_module(make_series(), number=1, title="Old title")
    note = make_note(module, title="Visible note")
    assert "Old title" in _text(client.get("/series/test-series"))
    assert "Visible note" in _text(client.get("/series/test-series/modules/1"))

    module.title = "New title"
    note.is_published = False
    db.session.commit()
    assert "New title" in _text(client.get("/series/test-series"))
    assert "Visible note" not in _text(client.get("/series/test-series/modules/1"))

    item = AgendaItem(module_id=module.id, position=0, kind="closing", title="Closing words")
    db.session.add(item)
    db.session.commit()
    assert "Closing words" in _text(client.get("/series/test-series/modules/1"))

    db.session.add(Speaker(agenda_item_id=item.id, role="Chair", organisation="Khartoum Process"))
    db.session.commit()
    assert "Chair, Khartoum Process" in _text(client.get("/series/test-series/modules/1"))

    db.session.delete(item)
    db.session.commit()
    assert "Closing words" not in _text(client.get("/series/test-series/modules/1"))


def test_unchanged_page_answers_304_to_its_etag(client, make_series, make_module):
    make_module(make_series(), number=1)
    first = client.get("/series/test-series")
    assert first.headers["ETag"]

    again = client.get("/series/test-series", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""


def test_logged_in_organiser_never_gets_the_anonymous_page(
    client, make_series, make_module, make_user, login
):
    make_module(make_series(), number=1)
    assert "Log out" not in _text(client.get("/series/test-series"))

    login(make_user())

    assert "Log out" in _text(client.get("/series/test-series"))


def test_notes_not_marked_as_pre_reading_appear_as_further_reading(
    client, make_series, make_module, make_note
):
    module = make_module(make_series(), number=1)
    make_note(module, title="Read before", is_prereading=True)
    make_note(module, title="Read later", is_prereading=False)

    html = _text(client.get("/series/test-series/modules/1"))
    assert html.index("Pre-reading") < html.index("Read before")
    assert html.index("Further reading") < html.index("Read later")
    series_html = _text(client.get("/series/test-series"))
    assert "Read before" in series_html and "Read later" not in series_html


def test_register_link_only_while_a_module_is_open(client, make_series, make_module):
    series = make_series()
    make_module(series, number=1, status=ModuleStatus.HELD.value,
                starts_at=datetime.now(UTC) - timedelta(days=30))
    assert 'href="/series/test-series/register"' not in _text(client.get("/series/test-series"))

    make_module(series, number=2)
    assert 'href="/series/test-series/register"' in _text(client.get("/series/test-series"))
