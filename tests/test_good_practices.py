"""The good-practice catalogue: filters, and CSV and JSON exports that list the same rows."""

from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.summary_helpers import IsolatedClient, client_for, post_action, publish, save_draft
from webinar_app.extensions import db

PRACTICES_1 = [
    {"title": "Community alert network", "presenter_organisation": "IOM", "country": "ET",
     "pillar": "Prevention", "description": "Village focal points.", "covid": True},
    {"title": "=HYPERLINK(\"http://evil\")", "presenter_organisation": "+Formula Org",
     "country": "SD", "pillar": "Prevention", "description": "@risky -cell"},
]
PRACTICES_2 = [
    {"title": "Joint investigation team", "presenter_organisation": "UNODC", "country": "IT",
     "pillar": "Prosecution", "description": "Cross-border cases."},
    {"title": "Online hearings", "presenter_organisation": "iom", "country": "ET",
     "pillar": "Prosecution", "description": "Courts went online.", "covid": True},
]


@pytest.fixture(autouse=True)
def _isolated_clients(app):
    app.test_client_class = IsolatedClient


@pytest.fixture()
def series(app, make_user, make_series, make_module):
    organiser = make_user("organiser@example.org", "organiser")
    reviewer = make_user("reviewer@example.org", "reviewer")
    series = make_series()
    first = make_module(series, status="held", pillar="Prevention")
    second = make_module(series, status="held", pillar="Prosecution")
    third = make_module(series, status="held", pillar="Protection")
    writer, checker = client_for(app, organiser), client_for(app, reviewer)
    publish(writer, checker, first, "One.", practices=PRACTICES_1)
    publish(writer, checker, second, "Two.", practices=PRACTICES_2)
    save_draft(writer, third, "Draft.", practices=[{"title": "Unpublished practice"}])
    post_action(writer, third, "submit")
    return series


def _html_titles(client, query: str) -> list[str]:
    html = client.get(f"/series/test-series/good-practices{query}").get_data(as_text=True)
    return [re.sub(r"&#3[49];", '"', t) for t in re.findall(r"<h2>(.*?)</h2>", html)]


def _csv_rows(client, query: str) -> list[dict]:
    response = client.get(f"/series/test-series/good-practices.csv{query}")
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def _json_rows(client, query: str) -> list[dict]:
    data = client.get(f"/series/test-series/good-practices.json{query}").get_json()
    assert data["count"] == len(data["good_practices"])
    return data["good_practices"]


FILTER_CASES = [
    ("", ["Community alert network", '=HYPERLINK("http://evil")',
          "Joint investigation team", "Online hearings"]),
    ("?pillar=Prosecution", ["Joint investigation team", "Online hearings"]),
    ("?country=ET", ["Community alert network", "Online hearings"]),
    ("?organisation=IOM", ["Community alert network", "Online hearings"]),
    ("?covid=yes", ["Community alert network", "Online hearings"]),
    ("?covid=no&pillar=Prevention", ['=HYPERLINK("http://evil")']),
    ("?pillar=Prosecution&country=ET&covid=yes&organisation=IOM", ["Online hearings"]),
    ("?pillar=Partnership", []),
]


def test_filters_and_exports_list_the_same_published_practices(client, series):
    for query, expected in FILTER_CASES:
        assert _html_titles(client, query) == expected, query
        csv_titles = [r["title"].removeprefix("'") for r in _csv_rows(client, query)]
        assert csv_titles == expected, query
        assert [r["title"] for r in _json_rows(client, query)] == expected, query


def test_catalogue_agrees_with_the_published_summaries(client, series):
    rows = _json_rows(client, "")
    by_title = {r["title"]: r for r in rows}
    first = by_title["Community alert network"]
    assert first == {
        "module": 1, "module_title": "Module 1", "title": "Community alert network",
        "presenting_organisation": "IOM", "presenter": "", "country": "ET",
        "country_name": "Ethiopia", "pillar": "Prevention", "covid19_adaptation": True,
        "description": "Village focal points.",
        "module_url": "http://localhost/series/test-series/modules/1"
        if first["module_url"].startswith("http://localhost") else first["module_url"],
    }
    assert "Unpublished practice" not in {r["title"] for r in rows}


def test_csv_neutralises_formula_cells(client, series):
    row = _csv_rows(client, "?country=SD")[0]
    assert row["title"] == "'=HYPERLINK(\"http://evil\")"
    assert row["presenting_organisation"] == "'+Formula Org"
    assert row["description"] == "'@risky -cell"


def test_filter_form_works_without_javascript_and_labels_every_field(client, series):
    html = client.get("/series/test-series/good-practices?pillar=Prosecution").get_data(
        as_text=True)
    assert '<form method="get"' in html and "<script" not in html
    for name in ("pillar", "country", "organisation", "covid"):
        assert f'<label for="{name}">' in html
    assert '<option selected value="Prosecution">' in html or (
        'value="Prosecution" selected' in html
    )
    assert 'href="/series/test-series/good-practices.csv?pillar=Prosecution"' in html
    assert 'href="/series/test-series/good-practices.json?pillar=Prosecution"' in html


def test_unknown_filter_values_give_an_empty_list_not_an_error(client, series):
    response = client.get("/series/test-series/good-practices?country=%3Cx%3E&covid=maybe")
    assert response.status_code == 200
    assert "No good practice matches these filters." in response.get_data(as_text=True)
    assert client.get("/series/test-series/good-practices.json?country=ZZ").get_json()[
        "count"] == 0


def test_unknown_series_is_a_404(client):
    assert client.get("/series/nope/good-practices").status_code == 404
    assert client.get("/series/nope/good-practices.csv").status_code == 404
    assert client.get("/series/nope/summaries").status_code == 404


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


def test_public_pages_use_a_constant_number_of_queries(app, client, series, make_module,
                                                         make_user):
    from webinar_app.models import User

    writer = client_for(app, db.session.query(User).filter_by(role="organiser").one())
    checker = client_for(app, db.session.query(User).filter_by(role="reviewer").one())
    urls = ["/series/test-series/good-practices", "/series/test-series/good-practices.csv",
            "/series/test-series/summaries", "/series/test-series/modules/1"]
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 0
    before = {}
    for url in urls:
        with _count_queries() as statements:
            assert client.get(url).status_code == 200
        before[url] = len(statements)
    from webinar_app.models import Series

    series_obj = db.session.query(Series).one()
    for _ in range(3):
        module = make_module(series_obj, status="held")
        publish(writer, checker, module, "More.",
                practices=[{"title": f"Extra {module.number}", "country": "FR"}] * 3)
    for url in urls:
        with _count_queries() as statements:
            assert client.get(url).status_code == 200
        assert len(statements) == before[url], url
