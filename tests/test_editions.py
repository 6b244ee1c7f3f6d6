"""A new edition from the last: `flask series copy` and the organiser's "New edition" page."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webinar_app.demo.edition_2021 import SLUG_2021
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    AttendanceUpload,
    BackgroundNote,
    Campaign,
    Invitee,
    Module,
    ModuleStatus,
    OutboxMessage,
    Person,
    ReaderBuild,
    Registration,
    Role,
    Series,
    Speaker,
    Summary,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
NEW_SLUG = "thb-4ps-revisited-2027"
NEW_DATES = [date(2027, 3, 3), date(2027, 3, 31), date(2027, 4, 28), date(2027, 6, 2)]


def _seed(runner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()


def _copy(runner, *extra: str, slug: str = NEW_SLUG):
    return runner.invoke(
        args=["series", "copy", SLUG_2021, slug, "--first-start", "2027-03-03T14:00", *extra]
    )


def _series(slug: str) -> Series:
    db.session.expire_all()
    return db.session.scalar(select(Series).where(Series.slug == slug))


def _local(at: datetime) -> datetime:
    return at.astimezone(BRUSSELS)


def _wall(at: datetime) -> datetime:
    return _local(at).replace(tzinfo=None)


def _agenda(series: Series) -> list:
    return [
        [
            (item.position, item.kind, item.start_offset_minutes, item.title, item.title_fr,
             [(s.name, s.role, s.organisation) for s in item.speakers])
            for item in module.agenda_items
        ]
        for module in series.modules
    ]


def _feed_starts(client, slug: str) -> dict[int, datetime]:
    """Module number -> start of the event in the public series feed (icalendar)."""
    response = client.get(f"/series/{slug}/calendar.ics")
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.data)
    starts = {}
    for event in calendar.walk("VEVENT"):
        number = int(re.search(r"/modules/(\d+)", str(event["URL"])).group(1))
        starts[number] = event.decoded("DTSTART")
    return starts


def test_cli_copies_the_2021_edition_to_new_dates_with_the_same_spacing(runner, client):
    _seed(runner)
    result = _copy(runner, "--title", "The 4Ps Revisited (2027)")

    assert result.exit_code == 0, result.output
    assert "Copied thb-4ps-revisited-2021 to thb-4ps-revisited-2027" in result.output
    assert "3 Mar 2027, 14:00 Europe/Brussels" in result.output
    assert "join links are left empty" in result.output
    assert result.output.strip().splitlines()[-1] == (
        "Copied 4 module(s), 25 agenda item(s), 39 speaker(s) and 0 note(s) into "
        "thb-4ps-revisited-2027."
    )
    source, copy = _series(SLUG_2021), _series(NEW_SLUG)
    assert copy.title == "The 4Ps Revisited (2027)"
    source_days = [_local(m.starts_at).date() for m in source.modules]
    copy_days = [_local(m.starts_at).date() for m in copy.modules]
    assert copy_days == NEW_DATES
    assert [b - a for a, b in zip(copy_days, copy_days[1:], strict=False)] == [
        b - a for a, b in zip(source_days, source_days[1:], strict=False)
    ] == [timedelta(days=28), timedelta(days=28), timedelta(days=35)]
    # 3 March is winter time, the others summer time: 14:00 in Brussels all the same
    assert [_local(m.starts_at).time() for m in copy.modules] == [time(14, 0)] * 4
    assert [m.starts_at.utcoffset() for m in copy.modules] == [timedelta(0)] * 4
    assert [m.starts_at.hour for m in copy.modules] == [13, 12, 12, 12]
    assert {m.status for m in source.modules} == {ModuleStatus.HELD.value}
    assert [m.status for m in copy.modules] == [ModuleStatus.SCHEDULED.value] * 4


def test_public_page_and_feeds_of_the_copy_show_the_new_dates(runner, client):
    _seed(runner)
    assert _copy(runner).exit_code == 0

    page = client.get(f"/series/{NEW_SLUG}").get_data(as_text=True)
    assert "3 March 2027" in page and "2 June 2027" in page

    starts = _feed_starts(client, NEW_SLUG)
    assert sorted(starts) == [1, 2, 3, 4]
    assert [starts[n].astimezone(BRUSSELS).date() for n in (1, 2, 3, 4)] == NEW_DATES
    assert {starts[n].astimezone(BRUSSELS).time() for n in starts} == {time(14, 0)}

    for number, day in enumerate(NEW_DATES, start=1):
        feed = client.get(f"/series/{NEW_SLUG}/modules/{number}/calendar.ics")
        event = vobject.readOne(feed.get_data(as_text=True)).vevent
        start = event.dtstart.value.astimezone(BRUSSELS)
        assert (start.date(), start.time()) == (day, time(14, 0))
        assert event.dtend.value - event.dtstart.value == timedelta(hours=2)
        assert event.sequence.value == "0"

    api = client.get(f"/api/v1/series/{NEW_SLUG}/modules").get_json()
    assert [m["starts_at"][:16] for m in api["modules"]] == [
        "2027-03-03T14:00", "2027-03-31T14:00", "2027-04-28T14:00", "2027-06-02T14:00"
    ]


def test_copy_keeps_agenda_speakers_settings_and_windows_with_new_uids(runner):
    _seed(runner)
    assert _copy(runner).exit_code == 0
    source, copy = _series(SLUG_2021), _series(NEW_SLUG)

    assert _agenda(copy) == _agenda(source)
    assert sum(len(item.speakers) for m in copy.modules for item in m.agenda_items) == 39
    for name in ("timezone", "languages", "sender_email", "sender_name", "organiser", "chair",
                 "short_description", "description", "title_fr", "description_fr",
                 "reminder_offsets", "retention_days"):
        assert getattr(copy, name) == getattr(source, name), name
    assert copy.personal_data_erased_at is None
    for old, new in zip(source.modules, copy.modules, strict=True):
        for name in ("number", "title", "pillar", "thematic_focus", "description", "title_fr",
                     "pillar_fr", "thematic_focus_fr", "duration_minutes", "capacity",
                     "is_chatham_house"):
            assert getattr(new, name) == getattr(old, name), name
        assert new.join_url == "" and new.recording_url == "" and new.slides_url == ""
        assert new.sequence == 0
        assert new.calendar_uid != old.calendar_uid
        # the window keeps its offsets before the start in Brussels wall-clock time
        for window in ("registration_opens_at", "registration_closes_at"):
            assert _wall(new.starts_at) - _wall(getattr(new, window)) == (
                _wall(old.starts_at) - _wall(getattr(old, window))), window
        assert new.registration_closes_at == new.starts_at
    # source: opened 30 days (in UTC) before 14:00 summer time, i.e. at 13:00 winter time
    assert _wall(copy.modules[0].registration_opens_at) == datetime(2027, 2, 1, 13, 0)
    source_uids = {m.calendar_uid for m in source.modules}
    assert not source_uids & {m.calendar_uid for m in copy.modules}


def test_copy_carries_no_personal_data_of_the_source(runner, client, make_user, login):
    _seed(runner)
    assert _copy(runner, "--with-notes").exit_code == 0
    source, copy = _series(SLUG_2021), _series(NEW_SLUG)
    module_ids = [m.id for m in copy.modules]

    def count(model, column, values) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(column.in_(values)))

    assert count(Person, Person.series_id, [copy.id]) == 0
    assert count(Invitee, Invitee.series_id, [copy.id]) == 0
    assert count(Campaign, Campaign.series_id, [copy.id]) == 0
    assert count(ReaderBuild, ReaderBuild.series_id, [copy.id]) == 0
    assert count(OutboxMessage, OutboxMessage.series_id, [copy.id]) == 0
    assert count(Registration, Registration.module_id, module_ids) == 0
    assert count(AttendanceUpload, AttendanceUpload.module_id, module_ids) == 0
    assert count(Summary, Summary.module_id, module_ids) == 0
    emails = set(db.session.scalars(select(Person.email).where(Person.series_id == source.id)))
    assert len(emails) == 160

    login(make_user("editor@example.org", Role.ORGANISER.value))
    urls = [
        f"/series/{NEW_SLUG}", f"/series/{NEW_SLUG}/calendar.ics",
        f"/api/v1/series/{NEW_SLUG}", f"/api/v1/series/{NEW_SLUG}/modules",
        f"/admin/series/{NEW_SLUG}", f"/admin/series/{NEW_SLUG}/registrations",
    ]
    for number in (1, 2, 3, 4):
        urls += [f"/series/{NEW_SLUG}/modules/{number}",
                 f"/series/{NEW_SLUG}/modules/{number}/calendar.ics",
                 f"/admin/series/{NEW_SLUG}/modules/{number}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True).lower()
        assert "participant0" not in body, url
        assert not [email for email in emails if email.lower() in body], url


def test_notes_are_copied_only_with_with_notes(runner, client):
    _seed(runner)
    assert _copy(runner).exit_code == 0
    assert _copy(runner, "--with-notes", slug="thb-with-notes").exit_code == 0
    source = _series(SLUG_2021)
    without, with_notes = _series(NEW_SLUG), _series("thb-with-notes")

    assert [len(m.notes) for m in without.modules] == [0, 0, 0, 0]
    assert [len(m.notes) for m in with_notes.modules] == [len(m.notes) for m in source.modules]
    for old_module, new_module in zip(source.modules, with_notes.modules, strict=True):
        for old, new in zip(old_module.notes, new_module.notes, strict=True):
            assert new.id != old.id
            assert (new.title, new.abstract, new.file_name, new.is_published) == (
                old.title, old.abstract, old.file_name, old.is_published)
            assert new.file_data == old.file_data
            assert hashlib.sha256(new.file_data).hexdigest() == new.file_sha256
    note = with_notes.modules[0].notes[0]
    download = client.get(
        f"/series/thb-with-notes/modules/1/notes/{note.id}/{note.file_name}"
    )
    assert download.status_code == 200
    assert download.data == note.file_data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-series", "x-2027", "--first-start", "2027-03-03T14:00"],
         "No series with the slug 'no-such-series'"),
        ([SLUG_2021, SLUG_2021, "--first-start", "2027-03-03T14:00"],
         "Another series already uses this slug"),
        ([SLUG_2021, "Bad Slug!", "--first-start", "2027-03-03T14:00"],
         "Use only lower-case letters"),
        ([SLUG_2021, "new", "--first-start", "2027-03-03T14:00"], "reserved"),
        ([SLUG_2021, "x-2027", "--first-start", "2027-13-03T14:00"], "Cannot read the first start"),
        ([SLUG_2021, "x-2027", "--first-start", "3 March"], "YYYY-MM-DDTHH:MM"),
        ([SLUG_2021, "x-2027", "--first-start", "1999-03-03T14:00"], "between the years"),
        ([SLUG_2021, "x-2027", "--first-start", "2027-03-03T14:00", "--title", " "],
         "Give the series a title"),
    ],
)
def test_bad_copy_inputs_give_a_clean_error_and_change_nothing(runner, args, message):
    _seed(runner)
    before = db.session.scalar(select(func.count()).select_from(Series))

    result = runner.invoke(args=["series", "copy", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    assert db.session.scalar(select(func.count()).select_from(Series)) == before


def test_missing_first_start_is_a_usage_error(runner):
    _seed(runner)
    result = runner.invoke(args=["series", "copy", SLUG_2021, "x-2027"])
    assert result.exit_code == 2
    assert "--first-start" in result.output


# --- the organiser's page --------------------------------------------------------------------


def _form_url(slug: str = SLUG_2021) -> str:
    return f"/admin/series/{slug}/new-edition"


def _field_value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def test_series_page_offers_new_edition_to_editors(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))

    page = client.get(f"/admin/series/{SLUG_2021}").get_data(as_text=True)

    assert f'href="{_form_url()}"' in page
    form = client.get(_form_url()).get_data(as_text=True)
    for label in ("Title of the new edition", "Slug (web address)", "Start of the first module",
                  "Copy the pre-reading notes", "Module 1: Preventing trafficking",
                  "Module 4: Partnerships against trafficking"):
        assert label in form
    for name in ("title", "slug", "first_starts_at", "with_notes", "module_1", "module_4"):
        assert re.search(rf'<label for="{name}"', form), name
    # the suggestion: a year of 52 weeks later, on the same weekday, in the future
    first = datetime.strptime(_field_value(form, "first_starts_at"), "%Y-%m-%dT%H:%M")
    assert first.weekday() == date(2021, 3, 31).weekday() and first.time() == time(14, 0)
    assert first > datetime.now()
    assert _field_value(form, "slug") == f"thb-4ps-revisited-{first.year}"
    assert _field_value(form, "module_2") == (first + timedelta(days=28)).strftime(
        "%Y-%m-%dT%H:%M")


def test_organiser_creates_an_edition_with_one_date_set_by_hand(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))
    html = client.get(_form_url()).get_data(as_text=True)
    data = {name: _field_value(html, name) for name in
            ("csrf_token", "planned_from", "module_1", "module_2", "module_3", "module_4")}
    # a new first start; module 3 moved by hand; the others left as suggested follow the start
    data.update(title="The 4Ps Revisited (2027)", title_fr="", slug="thb-2027",
                first_starts_at="2027-03-03T14:00", module_3="2027-05-05T10:30",
                with_notes="y", submit="Create the new edition")

    response = client.post(_form_url(), data=data)

    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/admin/series/thb-2027")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "New edition created" in page and "4 modules" in page and "4 pre-reading notes" in page
    assert "Join links are empty" in page
    copy = _series("thb-2027")
    assert [_local(m.starts_at).replace(tzinfo=None) for m in copy.modules] == [
        datetime(2027, 3, 3, 14, 0), datetime(2027, 3, 31, 14, 0),
        datetime(2027, 5, 5, 10, 30), datetime(2027, 6, 2, 14, 0),
    ]
    assert [len(m.notes) for m in copy.modules] == [1, 1, 1, 1]
    assert copy.title == "The 4Ps Revisited (2027)" and copy.title_fr is None
    starts = _feed_starts(client, "thb-2027")
    assert starts[3].astimezone(BRUSSELS).replace(tzinfo=None) == datetime(2027, 5, 5, 10, 30)


def test_compute_fills_the_module_dates_from_the_first_start(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))
    token = csrf_token(client, _form_url())

    response = client.post(_form_url(), data={
        "csrf_token": token, "title": "Copy", "slug": "copy-2028",
        "first_starts_at": "2028-01-05T09:00", "module_2": "2030-01-01T10:00",
        "compute": "Compute the dates from the first start",
    })

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # no date computed before: every field follows the first start, except the one typed
    assert [_field_value(html, f"module_{n}") for n in (1, 2, 3, 4)] == [
        "2028-01-05T09:00", "2030-01-01T10:00", "2028-03-01T09:00", "2028-04-05T09:00",
    ]
    assert _field_value(html, "planned_from") == "2028-01-05T09:00"
    assert _series("copy-2028") is None

    # computing again from another first start: the computed dates follow, the typed one stays
    fields = {f"module_{n}": _field_value(html, f"module_{n}") for n in (1, 2, 3, 4)}
    response = client.post(_form_url(), data={
        "csrf_token": token, "title": "Copy", "slug": "copy-2028", "planned_from":
        "2028-01-05T09:00", **fields, "module_4": "", "first_starts_at": "2028-01-12T11:00",
        "compute": "Compute the dates from the first start",
    })
    html = response.get_data(as_text=True)
    assert [_field_value(html, f"module_{n}") for n in (1, 2, 3, 4)] == [
        "2028-01-12T11:00", "2030-01-01T10:00", "2028-03-08T11:00", "2028-04-12T11:00",
    ]


def test_slug_taken_is_shown_next_to_the_field(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))
    token = csrf_token(client, _form_url())
    before = db.session.scalar(select(func.count()).select_from(Series))

    response = client.post(_form_url(), data={
        "csrf_token": token, "title": "Copy", "slug": "thb-4ps-revisited",
        "first_starts_at": "2027-03-03T14:00", "submit": "Create the new edition",
    })

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="slug-error">([^<]*)</p>', html)
    assert error and "Another series already uses this slug" in error.group(1)
    assert 'aria-describedby="slug-hint slug-error"' in html
    assert db.session.scalar(select(func.count()).select_from(Series)) == before


def test_bad_dates_on_the_form_are_shown_next_to_their_fields(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))
    token = csrf_token(client, _form_url())

    response = client.post(_form_url(), data={
        "csrf_token": token, "title": "Copy", "slug": "copy-x",
        "first_starts_at": "", "module_1": "", "module_2": "1999-01-01T10:00",
        "submit": "Create the new edition",
    })

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'id="module_2-error">[^<]*between the years 2000 and 2100', html)
    response = client.post(_form_url(), data={
        "csrf_token": token, "title": "Copy", "slug": "copy-x",
        "first_starts_at": "", "submit": "Create the new edition",
    })
    html = response.get_data(as_text=True)
    assert re.search(r'id="first_starts_at-error">[^<]*Give the start of the first module', html)
    assert _series("copy-x") is None


def test_form_refuses_a_post_without_csrf(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))

    response = client.post(_form_url(), data={
        "title": "Copy", "slug": "copy-x", "first_starts_at": "2027-03-03T14:00",
        "submit": "Create the new edition",
    })

    assert response.status_code in (200, 400)
    assert _series("copy-x") is None


def test_reviewer_gets_403_and_the_button_is_hidden(runner, client, make_user, login):
    _seed(runner)
    login(make_user("reviewer@example.org", Role.REVIEWER.value))

    assert client.get(_form_url()).status_code == 403
    assert client.post(_form_url(), data={"slug": "x"}).status_code in (400, 403)
    page = client.get(f"/admin/series/{SLUG_2021}").get_data(as_text=True)
    assert _form_url() not in page


def test_unknown_source_is_404(runner, client, make_user, login):
    _seed(runner)
    login(make_user("editor@example.org", Role.ORGANISER.value))
    assert client.get(_form_url("no-such-series")).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(_form_url())
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# Every column of the copied tables, as copied (or deliberately not) by a new edition. A column
# added to these models fails this test until editions/services.py decides what to do with it.
KNOWN_COLUMNS = {
    Series: {"id", "slug", "title", "short_description", "description", "title_fr",
             "short_description_fr", "description_fr", "organiser", "chair", "timezone",
             "languages", "sender_email", "sender_name", "reminder_offsets", "retention_days",
             "personal_data_erased_at", "created_at", "updated_at"},
    Module: {"id", "series_id", "number", "pillar", "title", "thematic_focus", "description",
             "title_fr", "thematic_focus_fr", "description_fr", "pillar_fr", "starts_at",
             "duration_minutes", "status", "capacity", "registration_opens_at",
             "registration_closes_at", "join_url", "is_chatham_house", "calendar_uid",
             "sequence", "recording_url", "slides_url", "reminders_off", "created_at",
             "updated_at"},
    AgendaItem: {"id", "module_id", "position", "start_offset_minutes", "kind", "title",
                 "title_fr"},
    Speaker: {"id", "agenda_item_id", "position", "name", "role", "organisation"},
    BackgroundNote: {"id", "module_id", "position", "title", "language", "abstract", "title_fr",
                     "abstract_fr", "external_url", "is_published", "is_prereading",
                     "file_name", "file_size", "file_sha256", "file_pages", "file_data",
                     "created_at", "updated_at"},
}


@pytest.mark.parametrize("model", list(KNOWN_COLUMNS), ids=lambda model: model.__name__)
def test_every_column_of_a_copied_table_is_decided_on(model):
    new = {column.key for column in model.__table__.columns} - KNOWN_COLUMNS[model]
    assert not new, (
        f"{model.__name__} has new columns {sorted(new)}: decide whether a new edition copies "
        "them (webinar_app/editions/services.py) and add them to KNOWN_COLUMNS"
    )


def test_organiser_of_one_series_keeps_the_edition_they_create(runner, client, make_user, login):
    """An account whose only role is organiser of the source becomes organiser of the copy."""
    from webinar_app.auth.services import set_series_role

    _seed(runner)
    editor = make_user("one-series@example.org", Role.NONE.value)
    set_series_role(editor, _series(SLUG_2021), Role.ORGANISER.value)
    db.session.commit()
    login(editor)
    html = client.get(_form_url()).get_data(as_text=True)
    data = {name: _field_value(html, name) for name in
            ("csrf_token", "planned_from", "module_1", "module_2", "module_3", "module_4")}
    data.update(title="The 4Ps Revisited (2027)", title_fr="", slug="thb-2027",
                first_starts_at="2027-03-03T14:00", submit="Create the new edition")

    response = client.post(_form_url(), data=data)

    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/admin/series/thb-2027").status_code == 200
    assert "thb-2027" in client.get("/admin/").get_data(as_text=True)
    audit = client.get("/admin/series/thb-2027/audit").get_data(as_text=True)
    assert "New edition thb-2027 copied from thb-4ps-revisited-2021" in audit
