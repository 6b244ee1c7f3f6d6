"""`flask seed-demo`: the 4Ps demo series, its notes and the demo organiser."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webinar_app.demo.data import DEMO_ORGANISER_EMAIL, DEMO_ORGANISER_PASSWORD, DEMO_SLUG
from webinar_app.demo.seed import module_start_times
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Module,
    Series,
    Speaker,
    User,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
COUNTED = (Series, Module, AgendaItem, Speaker, BackgroundNote, User)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in COUNTED
    }


def _seed(runner, *args: str):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def _demo_series() -> Series:
    return db.session.scalar(select(Series).where(Series.slug == DEMO_SLUG))


def test_seed_demo_loads_the_4ps_series_with_four_modules_in_order(runner):
    result = _seed(runner)

    assert "Loaded demo series thb-4ps-revisited: 4 modules" in result.output
    assert len(result.output.strip().splitlines()) == 1
    series = _demo_series()
    assert series.title == "Trafficking in Human Beings: The 4Ps Revisited"
    assert series.organiser == "Khartoum Process Secretariat"
    assert series.chair == "The Netherlands (Chair of the Khartoum Process)"
    assert series.timezone == "Europe/Brussels"
    assert series.language_codes == ["en", "fr"]
    assert series.sender_email and series.sender_name
    assert [m.pillar for m in series.modules] == [
        "Prevention", "Protection", "Prosecution", "Partnership",
    ]
    assert [m.number for m in series.modules] == [1, 2, 3, 4]
    for module in series.modules:
        assert module.status == "scheduled"
        assert module.title and module.thematic_focus and module.description
        assert module.capacity and module.capacity >= 100
        assert module.join_url.startswith("https://zoom.example.org/j/")


def test_demo_modules_are_in_the_future_at_14_00_brussels_for_two_hours(runner):
    _seed(runner)
    now = datetime.now(UTC)

    modules = _demo_series().modules
    first_days_ahead = (modules[0].starts_at - now).days
    assert 20 <= first_days_ahead <= 28
    for earlier, later in zip(modules, modules[1:], strict=False):
        assert timedelta(days=27) <= later.starts_at - earlier.starts_at <= timedelta(days=35)
    for module in modules:
        local_start = module.starts_at.astimezone(BRUSSELS)
        assert (local_start.hour, local_start.minute) == (14, 0)
        assert module.ends_at - module.starts_at == timedelta(hours=2)
        assert module.registration_opens_at <= now < module.registration_closes_at
        assert module.registration_closes_at <= module.starts_at


def test_demo_start_times_stay_at_14_00_across_a_daylight_saving_change():
    starts = module_start_times(date(2027, 2, 15))

    assert len({s.astimezone(BRUSSELS).utcoffset() for s in starts}) == 2
    assert all(s.tzinfo == UTC for s in starts)
    assert all(s.astimezone(BRUSSELS).hour == 14 for s in starts)


def test_demo_agenda_names_speakers_by_role_and_organisation_only(runner):
    _seed(runner)

    for module in _demo_series().modules:
        kinds = [item.kind for item in module.agenda_items]
        assert kinds[0] == "opening" and kinds[-1] == "closing"
        assert {"keynote", "panel", "discussion"} <= set(kinds)
        offsets = [item.start_offset_minutes for item in module.agenda_items]
        assert offsets == sorted(offsets) and offsets[-1] < module.duration_minutes
        speakers = [s for item in module.agenda_items for s in item.speakers]
        assert speakers
        assert all(s.name == "" and s.role and s.organisation for s in speakers)


def test_each_demo_module_has_a_published_demo_note_that_is_a_real_pdf(runner):
    _seed(runner)

    for module in _demo_series().modules:
        [note] = module.notes
        assert note.is_published and note.is_prereading
        assert "demo text" in note.title.lower()
        assert note.abstract.startswith("Demo text.") and len(note.abstract) <= 1000
        assert note.file_size == len(note.file_data)
        reader = PdfReader(BytesIO(note.file_data))
        assert len(reader.pages) == note.file_pages >= 1
        assert "Demo text" in reader.pages[0].extract_text()
        assert note.file_name.endswith(".pdf")


def test_running_seed_demo_twice_changes_nothing(runner):
    _seed(runner)
    before = _counts()
    starts_before = [m.starts_at for m in _demo_series().modules]

    result = _seed(runner)

    assert "nothing changed" in result.output
    assert _counts() == before
    assert [m.starts_at for m in _demo_series().modules] == starts_before
    # the 4Ps demo and the held 2021 edition (webinar_app/demo/edition_2021.py)
    assert before["Series"] == 2 and before["Module"] == 8 and before["BackgroundNote"] == 8


def test_seed_demo_if_empty_leaves_a_database_with_a_series_alone(runner, make_series):
    make_series(slug="another-series")

    result = _seed(runner, "--if-empty")

    assert "already holds a series" in result.output
    assert _demo_series() is None
    assert db.session.scalar(select(User).where(User.email == DEMO_ORGANISER_EMAIL))


def test_demo_organiser_can_log_in(runner, client):
    _seed(runner)

    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login",
        data={"email": DEMO_ORGANISER_EMAIL, "password": DEMO_ORGANISER_PASSWORD,
              "csrf_token": token},
    )

    assert response.status_code == 302
    assert "/auth/login" not in response.headers["Location"]


def test_each_demo_module_page_links_a_note_that_downloads_as_a_pdf(runner, client):
    _seed(runner)

    for number in range(1, 5):
        html = client.get(f"/series/{DEMO_SLUG}/modules/{number}").get_data(as_text=True)
        links = re.findall(r'href="([^"]+\.pdf)"', html)
        assert links, f"module {number} links no PDF"
        response = client.get(links[0])
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert "Demo text" in PdfReader(BytesIO(response.data)).pages[0].extract_text()


def test_demo_api_lists_the_four_pillars_in_order_without_join_urls(runner, client):
    _seed(runner)

    response = client.get(f"/api/v1/series/{DEMO_SLUG}/modules")

    assert response.status_code == 200
    modules = response.json["modules"]
    assert [m["pillar"] for m in modules] == [
        "Prevention", "Protection", "Prosecution", "Partnership",
    ]
    assert all(datetime.fromisoformat(m["starts_at"]) > datetime.now(UTC) for m in modules)
    assert "zoom.example.org" not in response.get_data(as_text=True)
