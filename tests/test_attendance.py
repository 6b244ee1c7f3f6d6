"""Attendance import: Zoom, Teams and Webex reports, unmatched rows, corrections, rates, CLI."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import ModuleStatus, Person, Registration, Role

DATA = Path(__file__).parent / "data"
PAST = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=7)
REPORTS = [
    "attendance_zoom_webinar.csv",
    "attendance_zoom_meeting.csv",
    "attendance_teams.csv",
    "attendance_webex.csv",
]


@pytest.fixture()
def module_with_registrants(make_series, make_module):
    """Module 1 with Alice, Bob and Carol registered, Wendy waiting, Cyril cancelled."""
    series = make_series()
    module = make_module(series, number=1, starts_at=PAST, status=ModuleStatus.HELD.value)
    people = {}
    for key, email, status in [
        ("alice", "alice@example.org", "registered"),
        ("bob", "bob@example.org", "registered"),
        ("carol", "carol@example.org", "registered"),
        ("wendy", "wendy@example.org", "waiting"),
        ("stranger", "stranger@example.org", "cancelled"),
    ]:
        person = Person(series=series, email=email, full_name=key.title(), country="KE",
                        organisation="Org", organisation_type="government")
        person.registrations.append(Registration(module=module, status=status))
        db.session.add(person)
        people[key] = person
    db.session.commit()
    return module, people


def _attendance() -> dict[str, str | None]:
    db.session.expire_all()
    rows = db.session.execute(select(Person.email, Registration.attendance).join(Registration))
    return {email.split("@")[0]: value for email, value in rows}


def _upload(client, filename: str, **extra):
    url = "/admin/series/test-series/modules/1/attendance"
    data = {"csrf_token": csrf_token(client, url),
            "file": (io.BytesIO((DATA / filename).read_bytes()), filename), **extra}
    return client.post(url, data=data, content_type="multipart/form-data")


@pytest.fixture()
def organiser(make_user, login):
    user = make_user()
    login(user)
    return user


@pytest.mark.parametrize("filename", REPORTS)
def test_each_platform_report_marks_registrants_attended_or_absent(
    client, organiser, module_with_registrants, filename
):
    response = _upload(client, filename)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _attendance() == {
        "alice": "attended", "bob": "attended", "carol": "absent",
        "wendy": None, "stranger": None,
    }
    html = response.get_data(as_text=True)
    assert "Unmatched rows" in html
    assert "host@example.org" in html
    assert "Registration cancelled" in html  # stranger's registration was cancelled


def test_teams_report_is_utf16_with_tabs_and_counts_only_the_participants_section(
    client, organiser, module_with_registrants
):
    raw = (DATA / "attendance_teams.csv").read_bytes()
    assert raw.startswith(b"\xff\xfe") and "\t".encode("utf-16-le") in raw
    html = _upload(client, "attendance_teams.csv").get_data(as_text=True)
    assert "Microsoft Teams" in html
    assert "Guest C (Guest)" in html and "No email in the report" in html
    # Carol is only in section 3 (in-meeting activities): she stays absent
    assert _attendance()["carol"] == "absent"
    # Bob joined with another email; his sign-in name (UPN) matched his registration
    assert _attendance()["bob"] == "attended"


def test_zoom_report_with_meeting_details_first_lists_guests_without_email(
    client, organiser, module_with_registrants
):
    assert (DATA / "attendance_zoom_webinar.csv").read_text("utf-8-sig").startswith(
        "Attendee Report")
    html = _upload(client, "attendance_zoom_webinar.csv").get_data(as_text=True)
    assert "Zoom webinar" in html
    assert "Phone caller" in html
    assert "dana@example.org" in html  # a panellist who never registered


def test_minimum_minutes_counts_short_visits_as_absent(client, organiser,
                                                       module_with_registrants):
    html = _upload(client, "attendance_webex.csv", min_minutes="60").get_data(as_text=True)
    assert _attendance()["alice"] == "absent"  # 38 minutes
    assert _attendance()["bob"] == "attended"  # 38 + 45 minutes over two joins
    assert "Stayed less than the minimum" in html


def test_reimporting_the_same_file_gives_the_same_result(client, organiser,
                                                         module_with_registrants):
    _upload(client, "attendance_zoom_meeting.csv")
    first = _attendance()
    _upload(client, "attendance_zoom_meeting.csv")
    assert _attendance() == first


@pytest.mark.parametrize("filename, message", [
    ("attendance_teams_legacy.csv", "holds no email addresses"),
    ("zoom_registration_report.csv", "does not look like an attendance report"),
])
def test_unusable_file_gets_a_message_next_to_the_field(client, organiser,
                                                       module_with_registrants, filename, message):
    response = _upload(client, filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="file-error"' in html
    assert set(_attendance().values()) == {None}


def test_missing_file_is_reported_not_a_server_error(client, organiser, module_with_registrants):
    url = "/admin/series/test-series/modules/1/attendance"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "min_minutes": "5"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose the attendance report file." in html
    assert 'value="5"' in html


def test_organiser_corrects_attendance_by_hand_and_sees_the_rate(
    client, organiser, module_with_registrants
):
    module, people = module_with_registrants
    _upload(client, "attendance_webex.csv")
    url = "/admin/series/test-series/modules/1/attendance"
    carol = people["carol"].registrations[0]
    response = client.post(f"{url}/{carol.id}",
                           data={"csrf_token": csrf_token(client, url), "value": "attended"})
    assert response.status_code == 302
    assert _attendance()["carol"] == "attended"
    overview = client.get("/admin/series/test-series/attendance").get_data(as_text=True)
    assert "100 %" in overview  # 3 of 3 registered attended
    client.post(f"{url}/{carol.id}", data={"csrf_token": csrf_token(client, url),
                                           "value": "absent"})
    assert "67 %" in client.get(url).get_data(as_text=True)


def test_reviewer_sees_attendance_but_cannot_import(client, make_user, login,
                                                     module_with_registrants):
    reviewer = make_user("reviewer@example.org", Role.REVIEWER.value)
    reviewer.can_see_personal_data = True  # an admin allowed it; otherwise the page is a 403
    db.session.commit()
    login(reviewer)
    url = "/admin/series/test-series/modules/1/attendance"
    page = client.get(url)
    assert page.status_code == 200 and "Import the attendance report" not in page.get_data(
        as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 403


def test_attendance_pages_need_a_login(client, module_with_registrants):
    response = client.get("/admin/series/test-series/modules/1/attendance")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_cli_imports_a_report_with_a_one_line_count(runner, module_with_registrants):
    result = runner.invoke(args=[
        "attendance", "import", str(DATA / "attendance_teams.csv"),
        "--series", "test-series", "--module", "1",
    ])
    assert result.exit_code == 0, result.output
    assert "Microsoft Teams: 5 people in the file; 2 attended, 1 absent, 3 unmatched." in (
        result.stdout)
    assert _attendance()["alice"] == "attended"


def test_cli_refuses_an_unknown_module_and_an_unreadable_file(runner, module_with_registrants):
    result = runner.invoke(args=["attendance", "import", str(DATA / "attendance_webex.csv"),
                                 "--series", "test-series", "--module", "9"])
    assert result.exit_code != 0 and "has no module 9" in result.output
    result = runner.invoke(args=["attendance", "import",
                                 str(DATA / "attendance_teams_legacy.csv"),
                                 "--series", "test-series", "--module", "1"])
    assert result.exit_code != 0 and "no email addresses" in result.output
