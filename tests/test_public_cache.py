"""The public cache's one list of models: it covers every table the public documents read, and a
change to any model in it shows on the next request although the documents are cached."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.conftest import MINIMAL_PDF
from webinar_app.core.public_cache import PUBLIC_MODELS, public_tables
from webinar_app.extensions import db
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    GoodPractice,
    Module,
    ReaderBuild,
    Series,
    Speaker,
    Summary,
    SummaryState,
    User,
    utcnow,
)
from webinar_app.reader.services import unpublish_builds
from webinar_app.summaries.services import reopen

SLUG = "test-series"
CACHED_DOCUMENTS = [
    "/", "/series/", f"/series/{SLUG}", f"/series/{SLUG}/modules/1",
    f"/series/{SLUG}/calendar.ics", f"/series/{SLUG}/modules/1/calendar.ics",
    "/api/v1/series", f"/api/v1/series/{SLUG}", f"/api/v1/series/{SLUG}/modules",
]
TABLE_IN_SQL = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


@pytest.fixture()
def published(make_series, make_module, add_agenda, make_note):
    """A series whose module has agenda, speakers, a note, a published summary with a good
    practice, and a published Reader."""
    series = make_series()
    module = make_module(series, number=1, title="Prevention first")
    add_agenda(module, count=1)
    make_note(module, title="Visible note")
    summary = Summary(module=module, state=SummaryState.PUBLISHED.value, published_at=utcnow(),
                      body_markdown="What was said.")
    summary.good_practices.append(GoodPractice(title="Hotline for survivors"))
    db.session.add(summary)
    db.session.add(ReaderBuild(series=series, number=1, pdf=MINIMAL_PDF, size=len(MINIMAL_PDF),
                               page_count=1, is_published=True, published_at=utcnow()))
    db.session.commit()
    return series


@contextmanager
def _tables_read():
    tables: set[str] = set()

    def _record(_conn, _cursor, statement, _params, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            tables.update(name.lower() for name in TABLE_IN_SQL.findall(statement))

    event.listen(db.engine, "before_cursor_execute", _record)
    try:
        yield tables
    finally:
        event.remove(db.engine, "before_cursor_execute", _record)


def test_the_list_covers_every_table_the_cached_public_documents_read(client, published):
    db.session.expunge_all()
    with _tables_read() as tables:
        for url in CACHED_DOCUMENTS:
            assert client.get(url).status_code == 200, url

    assert tables == public_tables(), (tables - public_tables(), public_tables() - tables)


def test_each_listed_model_has_a_way_up_to_its_series():
    for model, way_up in PUBLIC_MODELS.items():
        parents = []
        while way_up is not None:
            parents.append(way_up[2])
            way_up = PUBLIC_MODELS[way_up[2]]
        assert model is Series or parents[-1] is Series, model


def _text(client, url: str) -> str:
    """The page, or the calendar file with its folded lines joined (RFC 5545 §3.1)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return re.sub(r"\r\n[ \t]", "", response.get_data(as_text=True))


def _series() -> Series:
    return db.session.scalar(db.select(Series).where(Series.slug == SLUG))


def _rename_series(series: Series) -> None:
    series.title = "Renamed series"


def _rename_module(series: Series) -> None:
    series.modules[0].title = "Protection instead"


def _rename_agenda_item(series: Series) -> None:
    series.modules[0].agenda_items[0].title = "Opening round"


def _rename_speaker(series: Series) -> None:
    series.modules[0].agenda_items[0].speakers[0].organisation = "Khartoum Process"


def _unpublish_note(series: Series) -> None:
    series.modules[0].notes[0].is_published = False


def _reopen_summary(series: Series) -> None:
    reopen(series.modules[0].summary, db.session.scalar(db.select(User)))


def _rename_good_practice(series: Series) -> None:
    series.modules[0].summary.good_practices[0].title = "Shelter network"


def _unpublish_reader(series: Series) -> None:
    unpublish_builds(series)


# (model, URL, the text before, the change, the text after; None: the text is gone)
CHANGES = [
    (Series, f"/series/{SLUG}", "Test series", _rename_series, "Renamed series"),
    (Series, f"/api/v1/series/{SLUG}", "Test series", _rename_series, "Renamed series"),
    (Module, f"/series/{SLUG}", "Prevention first", _rename_module, "Protection instead"),
    (Module, f"/series/{SLUG}/calendar.ics", "Prevention first", _rename_module,
     "Protection instead"),
    (Module, f"/api/v1/series/{SLUG}/modules", "Prevention first", _rename_module,
     "Protection instead"),
    (AgendaItem, f"/series/{SLUG}/modules/1", "Panel 1", _rename_agenda_item,
     "Opening round"),
    (Speaker, f"/series/{SLUG}/modules/1", "UNODC", _rename_speaker, "Khartoum Process"),
    (BackgroundNote, f"/series/{SLUG}/modules/1", "Visible note", _unpublish_note, None),
    (BackgroundNote, f"/series/{SLUG}/modules/1/calendar.ics", "Visible note",
     _unpublish_note, None),
    (Summary, f"/series/{SLUG}/modules/1", "What was said.", _reopen_summary, None),
    (GoodPractice, f"/series/{SLUG}/modules/1", "Hotline for survivors", _rename_good_practice,
     "Shelter network"),
    (ReaderBuild, f"/series/{SLUG}", "Download the Reader", _unpublish_reader, None),
]


@pytest.mark.parametrize(("model", "url", "before", "change", "after"), CHANGES,
                         ids=[f"{c[3].__name__}-{c[1]}" for c in CHANGES])
def test_a_change_to_a_listed_model_shows_on_the_next_request(
    client, make_user, published, model, url, before, change, after
):
    make_user()
    assert before in _text(client, url)
    assert before in _text(client, url)  # now from the cache

    change(_series())
    db.session.commit()

    fresh = _text(client, url)
    assert before not in fresh
    if after:
        assert after in fresh


def test_the_changes_cover_every_listed_model():
    assert {model for model, *_rest in CHANGES} == set(PUBLIC_MODELS)


def test_public_page_cache_seconds_comes_from_the_configuration(app):
    assert app.config["PUBLIC_PAGE_CACHE_SECONDS"] == 30


def test_no_context_processor_queries_the_database(app, published):
    statements: list[str] = []

    def _record(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    db.session.expunge_all()
    with app.test_request_context(f"/series/{SLUG}"):
        event.listen(db.engine, "before_cursor_execute", _record)
        try:
            for processors in app.template_context_processors.values():
                for processor in processors:
                    processor()
        finally:
            event.remove(db.engine, "before_cursor_execute", _record)

    assert statements == []
