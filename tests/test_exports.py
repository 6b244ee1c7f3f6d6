"""Every download (CSV and JSON exports) arrives whole, to its last row, for every role.

The requests run in an empty context, as in production: the test fixture's application context
is not there to keep a streamed generator alive after the view has returned.
"""

from __future__ import annotations

import contextvars
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from itertools import product
from string import ascii_uppercase

import pytest

from tests.registration_helpers import token_of
from tests.summary_helpers import client_for
from webinar_app.extensions import db
from webinar_app.models import (
    GoodPractice,
    Person,
    Registration,
    Role,
    Summary,
    SummaryState,
)

ROWS = 250


def _download(client, url: str):
    """GET url and read the whole body outside any application context (like a real server)."""

    def run():
        response = client.get(url)
        body = response.get_data()
        response.close()
        return response, body

    return contextvars.Context().run(run)


def _csv(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def _codes(count: int) -> list[str]:
    return ["".join(pair) for pair in product(ascii_uppercase, repeat=2)][:count]


@pytest.fixture()
def staff_client(app, make_user):
    """A logged-in client for a role ('organiser' or 'admin')."""

    def _make(role: str):
        return client_for(app, make_user(email=f"{role}@example.org", role=role))

    return _make


@pytest.fixture()
def big_series(make_series, make_module):
    """A series with two modules and ROWS people registered for module 1 (last: a formula)."""
    series = make_series()
    first, _second = make_module(series), make_module(series)
    people = []
    for i, code in enumerate(_codes(ROWS)):
        name = f"Person {i:03d}" if i < ROWS - 1 else "=HYPERLINK(\"http://evil\")"
        person = Person(series=series, email=f"p{i:03d}@example.org", full_name=name,
                        organisation=f"Org {i:03d}", organisation_type="ngo", country=code)
        people.append(person)
        db.session.add(person)
        db.session.add(Registration(person=person, module=first,
                                    queued_at=datetime.now(UTC) + timedelta(seconds=i)))
    db.session.commit()
    return series


@pytest.mark.parametrize("role", [Role.ORGANISER.value, Role.ADMIN.value])
def test_registrations_csv_has_every_row_to_the_last(big_series, staff_client, role):
    client = staff_client(role)
    response, body = _download(client, "/admin/series/test-series/registrations.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "registrations-test-series.csv" in response.headers["Content-Disposition"]
    rows = _csv(body)
    assert len(rows) == ROWS
    assert [r["email"] for r in rows] == [f"p{i:03d}@example.org" for i in range(ROWS)]
    assert rows[-1]["full_name"] == "'=HYPERLINK(\"http://evil\")"


@pytest.mark.parametrize("role", [Role.ORGANISER.value, Role.ADMIN.value])
def test_invitee_csv_has_every_row_to_the_last(
    make_series, staff_client, runner, tmp_path, role
):
    series = make_series()
    path = tmp_path / "invitees.csv"
    lines = [f"Invitee {i:03d},i{i:03d}@example.org,Org {i:03d},Kenya,en" for i in range(ROWS)]
    lines[-1] = "+Last One,last@example.org,=1+1,Kenya,fr"
    path.write_text("name,email,organisation,country,language\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(path), "--series", series.slug])
    assert result.exit_code == 0, result.output

    client = staff_client(role)
    response, body = _download(client, "/admin/series/test-series/invitations/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = _csv(body)
    assert len(rows) == ROWS
    assert rows[0]["email"] == "i000@example.org"
    assert rows[-1] == {"full_name": "'+Last One", "email": "last@example.org",
                        "organisation": "'=1+1", "country": "Kenya", "language": "fr",
                        "opted_out": ""}


@pytest.mark.parametrize("kind", ["modules", "countries", "organisation-types"])
def test_report_csvs_have_every_row_and_the_totals(big_series, staff_client, kind):
    client = staff_client(Role.ORGANISER.value)
    response, body = _download(client, f"/admin/series/test-series/reports/{kind}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:], newline="")))
    header, data = rows[0], rows[1:]
    assert "registered" in header
    registered = header.index("registered")
    expected = {"modules": 2 + 1, "countries": ROWS + 1, "organisation-types": 1 + 1}[kind]
    assert len(data) == expected
    assert int(data[-1][registered]) == ROWS  # the totals row, last
    if kind == "countries":
        assert {row[1] for row in data[:-1]} == set(_codes(ROWS))


def _publish_practices(module, count: int) -> None:
    summary = Summary(module=module, state=SummaryState.PUBLISHED.value,
                      body_markdown="Summary.", published_at=datetime.now(UTC))
    for i in range(count):
        title = f"Practice {i:03d}" if i < count - 1 else "@SUM(A1:A9)"
        summary.good_practices.append(GoodPractice(
            position=i, title=title, presenter_organisation=f"Org {i:03d}", country="KE",
            pillar="Prevention", description=f"Line one\nline two of {i}",
            is_covid_adaptation=i % 2 == 0,
        ))
    db.session.add(summary)
    db.session.commit()


def test_good_practices_csv_and_json_have_every_practice(client, make_series, make_module):
    series = make_series()
    _publish_practices(make_module(series), ROWS)

    response, body = _download(client, "/series/test-series/good-practices.csv")
    assert response.status_code == 200
    rows = _csv(body)
    assert len(rows) == ROWS
    assert rows[0]["title"] == "Practice 000"
    assert rows[-1]["title"] == "'@SUM(A1:A9)"
    assert rows[-1]["description"] == f"Line one\nline two of {ROWS - 1}"
    assert rows[-1]["covid19_adaptation"] == "no"

    response, body = _download(client, "/series/test-series/good-practices.json")
    assert response.status_code == 200
    data = json.loads(body)
    assert data["count"] == ROWS == len(data["good_practices"])
    assert data["good_practices"][-1]["title"] == "@SUM(A1:A9)"


def test_personal_data_export_lists_every_registration(client, make_series, make_module):
    series = make_series()
    modules = [make_module(series) for _ in range(12)]
    person = Person(series=series, email="me@example.org", full_name="Me Myself",
                    organisation="Org", organisation_type="ngo", country="KE")
    db.session.add(person)
    for module in modules:
        db.session.add(Registration(person=person, module=module))
    db.session.commit()
    token = token_of(person)

    response, body = _download(client, f"/me/{token}/export.json")
    assert response.status_code == 200
    assert "my-data.json" in response.headers["Content-Disposition"]
    data = json.loads(body)
    assert data["person"]["email"] == "me@example.org"
    assert [r["module_number"] for r in data["registrations"]] == list(range(1, 13))
