"""JSON API v1: public schedule data with ISO 8601 offsets, no join URL, no personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from webinar_app.extensions import db
from webinar_app.models import AgendaItem, ModuleStatus, Speaker

WINTER_START = datetime(2030, 12, 18, 13, 0, tzinfo=UTC)
SUMMER_START = datetime(2030, 6, 19, 12, 0, tzinfo=UTC)
PILLARS = ["Prevention", "Protection", "Prosecution", "Partnership"]


def _four_module_series(make_series, make_module, make_note):
    series = make_series()
    starts = [SUMMER_START, SUMMER_START, WINTER_START, WINTER_START]
    modules = []
    for number, (pillar, start) in enumerate(zip(PILLARS, starts, strict=True), start=1):
        modules.append(make_module(series, number=number, pillar=pillar, starts_at=start))
    make_note(modules[0], title="Prevention note", abstract="Short abstract.")
    make_note(modules[1], title="Study", external_url="https://example.org/study",
              file_name=None, file_size=None, file_sha256=None, file_pages=None, file_data=None)
    make_note(modules[2], title="Hidden", is_published=False)
    item = AgendaItem(module=modules[0], position=0, start_offset_minutes=30, kind="keynote",
                      title="Keynote")
    item.speakers.append(Speaker(name="Ada Example", role="Expert", organisation="ILO"))
    db.session.add(item)
    db.session.commit()
    return series


def test_modules_endpoint_lists_modules_in_order_with_offsets(
    client, make_series, make_module, make_note
):
    _four_module_series(make_series, make_module, make_note)

    response = client.get("/api/v1/series/test-series/modules")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    modules = response.json["modules"]
    assert [m["pillar"] for m in modules] == PILLARS
    assert [m["number"] for m in modules] == [1, 2, 3, 4]
    first, third = modules[0], modules[2]
    assert first["starts_at"] == "2030-06-19T14:00:00+02:00"
    assert first["ends_at"] == "2030-06-19T16:00:00+02:00"
    assert third["starts_at"] == "2030-12-18T14:00:00+01:00"
    assert datetime.fromisoformat(third["starts_at"]) == WINTER_START
    assert first["timezone"] == "Europe/Brussels"
    assert first["duration_minutes"] == 120
    assert first["status"] == "scheduled"
    assert first["title"] == "Module 1" and first["thematic_focus"] == "Focus"
    assert first["url"] == "http://webinars.test/series/test-series/modules/1"
    assert first["calendar_url"] == "http://webinars.test/series/test-series/modules/1/calendar.ics"
    assert first["registration_url"] == "http://webinars.test/series/test-series/register?module=1"
    assert first["agenda"][0]["starts_at"] == "2030-06-19T14:30:00+02:00"


def test_modules_carry_their_published_notes_with_type_and_size(
    client, make_series, make_module, make_note
):
    _four_module_series(make_series, make_module, make_note)

    modules = client.get("/api/v1/series/test-series/modules").json["modules"]

    [pdf] = modules[0]["notes"]
    assert pdf["title"] == "Prevention note" and pdf["abstract"] == "Short abstract."
    assert pdf["type"] == "pdf" and pdf["size"] > 0 and pdf["language"] == "en"
    assert pdf["url"].startswith("http://webinars.test/series/test-series/modules/1/notes/")
    download = client.get(pdf["url"].removeprefix("http://webinars.test"))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    [link] = modules[1]["notes"]
    assert link == {"title": "Study", "language": "en", "abstract": "What the note says.",
                    "url": "https://example.org/study", "type": "link", "size": None,
                    "pages": None}
    assert modules[2]["notes"] == []


def test_api_never_contains_join_url_or_personal_data(client, make_series, make_module, make_note):
    _four_module_series(make_series, make_module, make_note)

    for url in ["/api/v1/series", "/api/v1/series/test-series",
                "/api/v1/series/test-series/modules"]:
        body = client.get(url).get_data(as_text=True)
        assert "zoom.example.org" not in body, url
        assert "join_url" not in body, url
        assert "Ada Example" not in body, url
        assert "secretariat@example.org" not in body, url


def test_series_endpoints_list_and_detail(client, make_series, make_module, make_note):
    _four_module_series(make_series, make_module, make_note)
    make_module(make_series(slug="later", title="Later series"), number=1,
                status=ModuleStatus.DRAFT.value)

    listing = client.get("/api/v1/series").json["series"]
    assert {s["slug"] for s in listing} == {"test-series", "later"}
    ours = next(s for s in listing if s["slug"] == "test-series")
    assert ours["first_module_starts_at"] == "2030-06-19T14:00:00+02:00"
    assert ours["url"] == "http://webinars.test/series/test-series"
    assert next(s for s in listing if s["slug"] == "later")["first_module_starts_at"] is None

    detail = client.get("/api/v1/series/test-series").json
    assert detail["title"] == "Test series"
    assert detail["timezone"] == "Europe/Brussels"
    assert [m["pillar"] for m in detail["modules"]] == PILLARS
    assert client.get("/api/v1/series/later").json["modules"] == []


def test_unknown_series_is_a_json_404(client):
    for url in ["/api/v1/series/nope", "/api/v1/series/nope/modules"]:
        response = client.get(url)
        assert response.status_code == 404
        assert response.mimetype == "application/json"
        assert json.loads(response.data)["status"] == 404
