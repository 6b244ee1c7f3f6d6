"""The series page, the module page and the API use as many queries for 40 modules as for 4."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from tests.conftest import MINIMAL_PDF
from webinar_app.extensions import db
from webinar_app.models import AgendaItem, BackgroundNote, Module, Series, Speaker

FIRST_START = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)


def _build_series(slug: str, module_count: int) -> None:
    """A series of module_count modules, each with two notes and three agenda items."""
    series = Series(slug=slug, title=f"Series {slug}", timezone="Europe/Brussels")
    for number in range(1, module_count + 1):
        module = Module(number=number, title=f"Module {number}", pillar="Prevention",
                        starts_at=FIRST_START + timedelta(days=7 * number), status="scheduled",
                        join_url="https://zoom.example.org/j/1")
        for position in range(3):
            item = AgendaItem(position=position, start_offset_minutes=30 * position,
                              kind="panel", title=f"Panel {position}")
            item.speakers.extend(
                Speaker(position=i, role="Expert", organisation="UNODC") for i in range(2)
            )
            module.agenda_items.append(item)
        module.notes.append(BackgroundNote(
            position=0, title="Uploaded", is_published=True, file_name="n.pdf",
            file_size=len(MINIMAL_PDF), file_sha256=hashlib.sha256(MINIMAL_PDF).hexdigest(),
            file_data=MINIMAL_PDF,
        ))
        module.notes.append(BackgroundNote(
            position=1, title="Linked", is_published=True, external_url="https://example.org/x",
        ))
        series.modules.append(module)
    db.session.add(series)
    db.session.commit()
    db.session.expunge_all()


@contextmanager
def _count_queries():
    statements: list[str] = []

    def _record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", _record)


def _queries_for(client, url: str) -> list[str]:
    client.application.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0  # count the full work
    client.get(url)  # warm-up: first-request work (e.g. static file hashing) is not counted
    db.session.remove()
    with _count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


@pytest.mark.parametrize(
    "path",
    ["/series/{slug}", "/series/{slug}/modules/2", "/api/v1/series/{slug}/modules",
     "/api/v1/series/{slug}"],
)
def test_query_count_does_not_grow_with_modules_notes_or_agenda(app, client, path):
    _build_series("small", 4)
    _build_series("large", 40)

    small = _queries_for(client, path.format(slug="small"))
    large = _queries_for(client, path.format(slug="large"))

    assert len(small) == len(large), (small, large)
    assert len(small) <= 6, small


def test_pages_never_load_the_note_files(app, client):
    _build_series("small", 4)

    for path in ["/series/small", "/series/small/modules/1", "/api/v1/series/small/modules", "/"]:
        with _count_queries() as statements:
            client.get(path)
        assert not any("file_data" in s for s in statements), path


def test_cached_page_costs_one_query(app, client):
    _build_series("small", 4)
    client.get("/series/small/modules/1")

    with _count_queries() as statements:
        response = client.get("/series/small/modules/1")

    assert response.status_code == 200
    assert len(statements) == 1, statements


@pytest.mark.parametrize(
    "path", ["/", "/series/small", "/series/small/modules/1", "/series/small/calendar.ics",
             "/api/v1/series/small"],
)
def test_revalidation_costs_one_query(app, client, path):
    _build_series("small", 4)
    etag = client.get(path).headers["ETag"]

    with _count_queries() as statements:
        response = client.get(path, headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert len(statements) == 1, statements
