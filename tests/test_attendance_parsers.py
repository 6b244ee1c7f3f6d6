"""The attendance report readers on the edge cases of real exports."""

from __future__ import annotations

import pytest

from webinar_app.attendance.parsers import (
    AttendanceFileError,
    parse_attendance,
    parse_minutes,
    report_email,
)


@pytest.mark.parametrize("value, minutes", [
    ("42", 42), ("201 mins", 201), ("1h 2m 10s", 63), ("10m 59s", 11), ("30s", 1),
    ("1 hr 5 min", 65), ("01:02:10", 63), ("--", None), ("", None),
])
def test_durations_of_every_platform_become_minutes(value, minutes):
    assert parse_minutes(value) == minutes


@pytest.mark.parametrize("value, email", [
    (" Alice@Example.ORG ", "alice@example.org"),
    ("<bob@example.org>", "bob@example.org"),
    ("mailto:carol@example.org", "carol@example.org"),
    ("Dana Doe <dana@example.org>", "dana@example.org"),
    ("not an email", ""),
])
def test_emails_are_normalised_before_matching(value, email):
    assert report_email(value) == email


def test_zoom_meeting_report_without_bom_in_cp1252_with_semicolons(app):
    text = ("Name (original name);Email;Join time;Leave time;Duration (minutes);Guest\r\n"
            "Zoë Z;zoe@example.org;03/31/2021 02:02:10 PM;03/31/2021 02:40:00 PM;38;No\r\n")
    report = parse_attendance(text.encode("cp1252"))
    assert [(r.name, r.email, r.minutes) for r in report.rows] == [("Zoë Z", "zoe@example.org", 38)]


def test_utf16_big_endian_teams_report_is_read(app):
    text = ("2. Participants\nName\tFirst join\tLast leave\tIn-meeting duration\tEmail\t"
            "Participant ID (UPN)\tRole\nAl\t31/03/21, 14:00:00\t31/03/21, 14:05:00\t5m\t"
            "al@example.org\tal@example.org\tAttendee")
    report = parse_attendance(b"\xfe\xff" + text.encode("utf-16-be"))
    assert report.platform == "Microsoft Teams"
    assert report.rows[0].email == "al@example.org" and report.rows[0].minutes == 5


def test_zoom_no_show_with_dashes_is_not_counted_as_attended(app):
    text = ("Attendee Details,\nAttended,First Name,Last Name,Email,Join Time,Leave Time,"
            "Time in Session (minutes)\nNo,Carol,C,carol@example.org,--,--,--\n")
    row = parse_attendance(text.encode()).rows[0]
    assert row.attended is False and row.minutes is None


def test_ragged_rows_and_missing_final_newline_are_accepted(app):
    text = ("Name,Email,Duration (Minutes)\nAl,al@example.org,5,,,\nCy,cy@example.org\n"
            "Bo,bo@example.org,7")
    report = parse_attendance(text.encode())
    assert {r.email for r in report.rows} == {"al@example.org", "bo@example.org",
                                              "cy@example.org"}


def test_short_final_row_without_newline_is_refused_as_cut_off(app):
    text = "Name,Email,Duration (Minutes)\nAl,al@example.org,5,,,\nBo,bo@example.org"
    with pytest.raises(AttendanceFileError, match="cut off at line 3"):
        parse_attendance(text.encode())


def test_waiting_room_rows_are_skipped(app):
    text = ("Name (original name),Email,Join time,Leave time,Duration (minutes),Guest,"
            "In waiting room\nAl,al@example.org,a,b,5,No,Yes\n"
            "Bo,bo@example.org,03/31/2021 02:02:10 PM,03/31/2021 02:40:00 PM,38,No,No\n")
    assert [r.email for r in parse_attendance(text.encode()).rows] == ["bo@example.org"]


def test_empty_and_excel_files_are_refused_with_a_message(app):
    with pytest.raises(AttendanceFileError, match="empty"):
        parse_attendance(b"")
    with pytest.raises(AttendanceFileError, match="Excel"):
        parse_attendance(b"PK\x03\x04rest-of-a-zip")


def test_thousands_of_rows_import_quickly(app):
    import time

    lines = ["Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"]
    lines += [f"P{i},p{i}@example.org,03/31/2021 02:00:00 PM,03/31/2021 03:30:00 PM,{i % 90},No"
              for i in range(5000)]
    started = time.perf_counter()
    report = parse_attendance("\n".join(lines).encode())
    assert len(report.rows) == 5000
    assert time.perf_counter() - started < 2
