"""Organiser pages: who may see and change what, and bad input shown next to its field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import AgendaItem, Module, Role, Series


def field_error(html: str, field_id: str) -> str:
    """The error text shown next to the field with this id ('' when none)."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


def post_form(client, url: str, data: dict, token_url: str | None = None, **kwargs):
    token = csrf_token(client, token_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture()
def organiser(make_user, login):
    user = make_user("organiser@example.org", Role.ORGANISER.value)
    login(user)
    return user


@pytest.fixture()
def series(make_series):
    return make_series()


SERIES_FORM = dict(
    slug="new-series",
    title="New series",
    short_description="Short",
    description="Long",
    organiser="Secretariat",
    chair="Chair",
    timezone="Africa/Khartoum",
    languages="en,fr",
    sender_email="secretariat@example.org",
    sender_name="Secretariat",
)


def module_form(**overrides) -> dict:
    values = dict(
        number="1",
        title="Prevention",
        pillar="Prevention",
        thematic_focus="Focus",
        description="",
        starts_at="2027-03-02T14:00",
        duration_minutes="120",
        status="scheduled",
        capacity="",
        registration_opens_at="",
        registration_closes_at="",
        join_url="https://zoom.example.org/j/1",
    )
    values.update(overrides)
    return values


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/", "/admin/series/test-series", "/admin/series/new"])
def test_anonymous_visitors_are_sent_to_log_in(client, series, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_reviewer_reads_pages_without_edit_buttons(client, make_user, login, series, make_module):
    make_module(series, title="Prevention module")
    login(make_user("chair@example.org", Role.REVIEWER.value))
    html = client.get("/admin/series/test-series").get_data(as_text=True)
    assert "Prevention module" in html
    assert "Edit series" not in html and "New module" not in html
    module_html = client.get("/admin/series/test-series/modules/1").get_data(as_text=True)
    assert "Reschedule" not in module_html and "Cancel module" not in module_html


def test_reviewer_cannot_post_changes(client, make_user, login, series, make_module):
    make_module(series)
    login(make_user("chair@example.org", Role.REVIEWER.value))
    token = csrf_token(client, "/admin/")
    for url in (
        "/admin/series/new",
        "/admin/series/test-series/edit",
        "/admin/series/test-series/modules/1/cancel",
        "/admin/series/test-series/modules/1/reschedule",
    ):
        response = client.post(url, data={**SERIES_FORM, "csrf_token": token})
        assert response.status_code == 403, url
    assert client.get("/admin/series/test-series/edit").status_code == 403
    assert db.session.scalar(select(Module.status)) == "scheduled"


def test_post_without_csrf_token_is_refused(client, organiser):
    response = client.post("/admin/series/new", data=SERIES_FORM)
    assert response.status_code == 400
    assert db.session.scalar(select(Series)) is None


# --- series -------------------------------------------------------------------------------


def test_organiser_creates_a_series(client, organiser):
    response = post_form(client, "/admin/series/new", SERIES_FORM)
    assert response.status_code == 302
    series = db.session.scalar(select(Series).where(Series.slug == "new-series"))
    assert series.timezone == "Africa/Khartoum"
    assert series.languages == "en,fr"
    assert "New series" in client.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
        ({"slug": "ümlaut"}, "slug", "lower-case letters"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Unknown time zone"),
        ({"sender_email": "not-an-address"}, "sender_email", "not a valid email"),
    ],
)
def test_bad_series_input_is_shown_next_to_the_field(client, organiser, changes, field_id, message):
    response = post_form(client, "/admin/series/new", {**SERIES_FORM, **changes})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in field_error(html, field_id)
    assert 'value="Secretariat"' in html  # what was typed is kept
    assert db.session.scalar(select(Series)) is None


def test_nul_characters_are_refused_next_to_the_field_not_a_server_error(client, organiser):
    response = post_form(client, "/admin/series/new", {**SERIES_FORM, "title": "Null\x00title"})
    assert response.status_code == 200
    assert "U+0000" in field_error(response.get_data(as_text=True), "title")
    assert db.session.scalar(select(Series)) is None


def test_slug_already_used_by_another_series_is_refused(client, organiser, series):
    response = post_form(client, "/admin/series/new", {**SERIES_FORM, "slug": "test-series"})
    assert "already uses this slug" in field_error(response.get_data(as_text=True), "slug")


def test_organiser_edits_a_series(client, organiser, series):
    response = post_form(
        client, "/admin/series/test-series/edit", {**SERIES_FORM, "slug": "test-series",
                                                   "title": "Renamed"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Series.title)) == "Renamed"


# --- modules ------------------------------------------------------------------------------


def test_module_times_are_typed_in_the_series_zone(client, organiser, series):
    response = post_form(client, "/admin/series/test-series/modules/new", module_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    module = db.session.scalar(select(Module))
    assert module.starts_at == datetime(2027, 3, 2, 13, 0, tzinfo=UTC)  # 14:00 Brussels (CET)
    html = client.get("/admin/series/test-series/modules/1/edit").get_data(as_text=True)
    assert 'value="2027-03-02T14:00"' in html
    assert "Europe/Brussels" in html
    assert 'type="datetime-local"' in html


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"duration_minutes": "0"}, "duration_minutes", "between 1 minute and 12 hours"),
        ({"duration_minutes": "721"}, "duration_minutes", "between 1 minute and 12 hours"),
        ({"registration_closes_at": "2027-03-02T15:00"}, "registration_closes_at",
         "close at or before the start"),
        ({"registration_opens_at": "2027-03-01T12:00",
          "registration_closes_at": "2027-02-01T12:00"},
         "registration_opens_at", "open before it closes"),
        ({"join_url": "http://zoom.example.org/j/1"}, "join_url", "https://"),
        ({"starts_at": "next tuesday"}, "starts_at", "Not a valid datetime"),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at", "between the years 2000 and 2100"),
        ({"number": "100000000000"}, "number", "Give a smaller number"),  # beyond the database
        ({"number": "1000"}, "number", "between 1 and 999"),
        ({"number": "0"}, "number", "between 1 and 999"),
        ({"capacity": "-5"}, "capacity", "cannot be negative"),
        ({"status": "scheduled", "starts_at": ""}, "starts_at", "needs a start time"),
    ],
)
def test_bad_module_input_is_shown_next_to_the_field(client, organiser, series, changes, field_id,
                                                     message):
    response = post_form(
        client, "/admin/series/test-series/modules/new", module_form(title="Kept title", **changes)
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in field_error(html, field_id)
    assert 'value="Kept title"' in html
    assert re.search(rf'aria-describedby="[^"]*{field_id}-error"', html)
    assert '="None"' not in html
    assert db.session.scalar(select(Module)) is None


def test_module_number_already_used_is_refused(client, organiser, series, make_module):
    make_module(series, number=1)
    response = post_form(client, "/admin/series/test-series/modules/new", module_form(number="1"))
    html = response.get_data(as_text=True)
    assert "Module 1 already exists" in field_error(html, "number")


def test_editing_a_module_time_bumps_its_sequence(client, organiser, series, make_module):
    module = make_module(series, starts_at=datetime(2027, 3, 2, 13, 0, tzinfo=UTC))
    response = post_form(
        client, "/admin/series/test-series/modules/1/edit",
        module_form(starts_at="2027-03-09T14:00", title="Renamed"),
    )
    assert response.status_code == 302
    db.session.refresh(module)
    assert module.title == "Renamed"
    assert module.starts_at == datetime(2027, 3, 9, 13, 0, tzinfo=UTC)
    assert module.sequence == 1


def test_reschedule_changes_time_and_bumps_sequence(client, organiser, series, make_module):
    module = make_module(series, starts_at=datetime(2027, 3, 2, 13, 0, tzinfo=UTC))
    url = "/admin/series/test-series/modules/1/reschedule"
    response = post_form(client, url, {"starts_at": "2027-07-02T14:00", "duration_minutes": "90"})
    assert response.status_code == 302
    db.session.refresh(module)
    assert module.starts_at == datetime(2027, 7, 2, 12, 0, tzinfo=UTC)  # 14:00 CEST
    assert module.duration_minutes == 90
    assert module.sequence == 1


def test_reschedule_refuses_a_duration_over_twelve_hours(client, organiser, series, make_module):
    make_module(series)
    url = "/admin/series/test-series/modules/1/reschedule"
    response = post_form(client, url, {"starts_at": "2027-07-02T14:00", "duration_minutes": "900"})
    html = response.get_data(as_text=True)
    assert "12 hours" in field_error(html, "duration_minutes")
    assert 'value="2027-07-02T14:00"' in html


def test_cancel_asks_for_confirmation_then_bumps_sequence(client, organiser, series, make_module):
    module = make_module(series)
    url = "/admin/series/test-series/modules/1/cancel"
    assert "cannot be undone" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {}).status_code == 302
    db.session.refresh(module)
    assert module.status == "cancelled"
    assert module.sequence == 1


def test_mark_held_only_after_the_end(client, organiser, series, make_module):
    future = make_module(series, number=1)
    running = make_module(series, number=2, starts_at=datetime.now(UTC) - timedelta(hours=1))
    past = make_module(series, number=3, starts_at=datetime.now(UTC) - timedelta(hours=3))
    for number in (1, 2):
        response = post_form(client, f"/admin/series/test-series/modules/{number}/held", {},
                             follow_redirects=True)
        assert f"Module {number} ends on" in response.get_data(as_text=True)
        assert "it can be marked as held after that" in response.get_data(as_text=True)
    post_form(client, "/admin/series/test-series/modules/3/held", {})
    for module in (future, running, past):
        db.session.refresh(module)
    assert (future.status, running.status, past.status) == ("scheduled", "scheduled", "held")


def test_unknown_module_is_404(client, organiser, series):
    assert client.get("/admin/series/test-series/modules/9").status_code == 404
    assert client.get("/admin/series/nope").status_code == 404


# --- agenda -------------------------------------------------------------------------------


def test_organiser_adds_agenda_item_with_speakers(client, organiser, series, make_module):
    make_module(series)
    response = post_form(
        client, "/admin/series/test-series/modules/1/agenda/new",
        {"title": "Opening", "kind": "opening", "start_offset_minutes": "0",
         "speakers": "Jane Doe | Chair | IOM\n | Expert | UNODC\n"},
    )
    assert response.status_code == 302
    item = db.session.scalar(select(AgendaItem))
    assert [(s.name, s.role, s.organisation) for s in item.speakers] == [
        ("Jane Doe", "Chair", "IOM"), ("", "Expert", "UNODC")]
    html = client.get("/admin/series/test-series/modules/1").get_data(as_text=True)
    assert "Jane Doe" in html and "UNODC" in html


def test_badly_written_speaker_line_is_shown_next_to_the_field(client, organiser, series,
                                                               make_module):
    make_module(series)
    response = post_form(
        client, "/admin/series/test-series/modules/1/agenda/new",
        {"title": "Panel", "kind": "panel", "start_offset_minutes": "10",
         "speakers": "Jane Doe | Chair | IOM\nJust a name"},
    )
    html = response.get_data(as_text=True)
    assert "Line 2" in field_error(html, "speakers")
    assert "Jane Doe | Chair | IOM" in html
    assert db.session.scalar(select(AgendaItem)) is None


def test_agenda_items_can_be_moved_edited_and_deleted(client, organiser, series, make_module,
                                                      add_agenda):
    module = make_module(series)
    add_agenda(module, 3)
    first, second, _third = module.agenda_items
    base = "/admin/series/test-series/modules/1/agenda"
    post_form(client, f"{base}/{second.id}/up", {}, token_url="/admin/")
    db.session.expire_all()
    assert [i.title for i in module.agenda_items] == ["Panel 2", "Panel 1", "Panel 3"]
    post_form(client, f"{base}/{first.id}/edit",
              {"title": "Renamed", "kind": "closing", "start_offset_minutes": "30", "speakers": ""})
    post_form(client, f"{base}/{second.id}/delete", {}, token_url="/admin/")
    db.session.expire_all()
    assert [(i.title, i.position) for i in module.agenda_items] == [("Renamed", 0), ("Panel 3", 1)]
