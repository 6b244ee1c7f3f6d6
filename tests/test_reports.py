"""Organiser reports: per module, country and organisation type; SVG charts; CSV exports."""

from __future__ import annotations

import csv
import io
import re

import pytest

from webinar_app.extensions import db
from webinar_app.models import Person, Registration, Role


@pytest.fixture()
def registrations(make_series, make_module):
    series = make_series()
    first = make_module(series, number=1, title="Prevention", capacity=2)
    second = make_module(series, number=2, title="Protection")
    rows = [
        ("a@example.org", "KE", "government", [(first, "registered", "attended"),
                                               (second, "registered", "absent")]),
        ("b@example.org", "KE", "ngo", [(first, "registered", "absent")]),
        ("c@example.org", "ET", "government", [(first, "waiting", None),
                                               (second, "cancelled", None)]),
        ("d@example.org", "", "academia", [(second, "registered", None)]),
        ("e@example.org", "=X", "other", [(second, "cancelled", None)]),
    ]
    for email, country, kind, regs in rows:
        person = Person(series=series, email=email, full_name=email, country=country,
                        organisation_type=kind)
        for module, status, attendance in regs:
            person.registrations.append(Registration(module=module, status=status,
                                                     attendance=attendance))
        db.session.add(person)
    db.session.commit()
    return series


@pytest.fixture()
def organiser(make_user, login):
    login(make_user())


def _cells(html: str, label: str) -> list[str]:
    row = re.search(r'<th scope="row">' + re.escape(label) + r"</th>(.*?)</tr>", html, re.S)
    assert row, label
    return re.findall(r"<td>(.*?)</td>", row[1])


def test_report_page_counts_registrations_waiting_and_attendance(client, organiser,
                                                                  registrations):
    response = client.get("/admin/series/test-series/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # registered, waiting, cancelled, attended, absent, rate
    assert _cells(html, "1. Prevention") == ["2", "1", "0", "1", "1", "50 %"]
    assert _cells(html, "Kenya") == ["3", "0", "0", "1", "2", "33 %"]
    assert _cells(html, "Ethiopia") == ["0", "1", "1", "0", "0", "–"]
    assert _cells(html, "Not given") == ["1", "0", "0", "0", "0", "–"]
    assert _cells(html, "Member-state government") == ["2", "1", "1", "1", "1", "50 %"]


def test_charts_are_inline_svg_with_titles_and_no_javascript(client, organiser, registrations):
    html = client.get("/admin/series/test-series/reports").get_data(as_text=True)
    charts = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts) == 3
    for chart in charts:
        assert 'role="img"' in chart and "aria-labelledby" in chart
        assert "<title" in chart and "<desc" in chart
    assert "<script" not in html
    assert "<title>Kenya: Registered 3</title>" in html


def test_each_report_exports_as_csv_with_a_bom_and_neutralised_cells(client, organiser,
                                                                     registrations):
    for kind, first_header in [("modules", "Module"), ("countries", "Country"),
                               ("organisation-types", "Type of organisation")]:
        response = client.get(f"/admin/series/test-series/reports/{kind}.csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert rows[0][0] == first_header and rows[-1][0] == "Total"
    countries = client.get("/admin/series/test-series/reports/countries.csv").data
    assert "\r\n'=X,'=X,0,0,1,0,0," in countries.decode("utf-8-sig")


def test_chart_downloads_as_a_standalone_svg(client, organiser, registrations):
    response = client.get("/admin/series/test-series/reports/countries.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert body.startswith("<?xml") and 'xmlns="http://www.w3.org/2000/svg"' in body


def test_reports_are_for_staff_only(client, make_user, login, registrations):
    assert client.get("/admin/series/test-series/reports").status_code == 302
    login(make_user("reviewer@example.org", Role.REVIEWER.value))
    assert client.get("/admin/series/test-series/reports").status_code == 403
    login(make_user("organiser@example.org", Role.ORGANISER.value))
    assert client.get("/admin/series/test-series/reports").status_code == 200
    assert client.get("/admin/series/test-series/reports/nope.csv").status_code == 404
    assert client.get("/admin/series/missing/reports").status_code == 404
