"""Attendance is never wiped by a bad file (issue 9, item 3).

Every file here is derived from the platform fixtures in tests/data: emptied, cut off, given
wrong columns, impossible durations or control characters. Each goes through the upload page
and `flask attendance import` as an organiser would, and the recorded attendance is checked
afterwards.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import AttendanceUpload, ModuleStatus, Person, Registration

DATA = Path(__file__).parent / "data"
URL = "/admin/series/test-series/modules/1/attendance"
CONFIRM_URL = URL + "/confirm"
ROWS = 20


# --------------------------------------------------------------------------- files


def _zoom_meeting_lines() -> list[str]:
    return (DATA / "attendance_zoom_meeting.csv").read_text("utf-8-sig").split("\n")


def zoom_meeting(rows: int = ROWS, announced: int | None = None) -> str:
    """The Zoom meeting fixture with its preamble and `rows` participants p01, p02..."""
    lines = _zoom_meeting_lines()
    preamble = lines[:4]
    preamble[1] = preamble[1].replace(",120,5,", f",120,{announced or rows},")
    template = next(line for line in lines if line.startswith("Alice A,"))
    body = [template.replace("Alice A", f"Person {i:02}").replace("alice@", f"p{i:02}@")
            for i in range(1, rows + 1)]
    return "\n".join(preamble + body) + "\n"


def zoom_meeting_with(alice: str, bob: str | None = None) -> str:
    """The Zoom meeting fixture with Alice's (and Bob's) row replaced."""
    text = (DATA / "attendance_zoom_meeting.csv").read_text("utf-8-sig")
    text = re.sub(r"^Alice A,.*$", alice, text, flags=re.M)
    if bob is not None:
        text = re.sub(r"^Bob B,.*$", bob, text, flags=re.M)
    return text


def zoom_webinar(rows: int = ROWS) -> str:
    """The Zoom webinar fixture down to the attendee table, with `rows` attendees."""
    lines = (DATA / "attendance_zoom_webinar.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    end = next(i for i, line in enumerate(lines) if line.startswith("Attended,User Name")
               and "First Name" in line)
    template = next(line for line in lines if line.startswith("Yes,Alice A,"))
    body = [template.replace("Alice A", f"Person {i:02}").replace("Alice@Example.ORG",
                                                                   f"p{i:02}@example.org")
            for i in range(1, rows + 1)]
    return "\r\n".join(lines[:end + 1] + body) + "\r\n"


def webex(rows: int = ROWS) -> str:
    """The Webex fixture (decoded) with `rows` attendees."""
    lines = (DATA / "attendance_webex.csv").read_bytes()[2:].decode("utf-16-le").split("\r\n")
    template = next(line for line in lines if "ALICE@example.org" in line)
    body = [template.replace("Alice A", f"Person {i:02}").replace("ALICE@", f"p{i:02}@")
            for i in range(1, rows + 1)]
    return "\r\n".join(lines[:1] + body) + "\r\n"


def teams(rows: int = ROWS) -> str:
    """The Teams fixture (decoded) with `rows` people in its participants section."""
    lines = (DATA / "attendance_teams.csv").read_bytes()[2:].decode("utf-16-le").split("\n")
    lines = [line.replace("Attended participants\t5", f"Attended participants\t{rows}")
             for line in lines]
    header = next(i for i, line in enumerate(lines) if line.startswith("Name\tFirst join"))
    template = next(line for line in lines[header:] if line.startswith("Alice A\t"))
    body = [template.replace("Alice A", f"Person {i:02}").replace("Alice@Example", f"p{i:02}@x")
            .replace("alice@example", f"p{i:02}@example") for i in range(1, rows + 1)]
    return "\n".join(lines[:header + 1] + body) + "\n"


def utf16(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


def cut_in_row(text: str, row_prefix: str, keep: float = 0.5) -> str:
    """The text up to the middle of the line that starts with row_prefix (no newline after)."""
    start = text.index(row_prefix)
    end = text.index("\n", start)
    return text[:start + int((end - start) * keep)]


def cut_after_row(text: str, row_prefix: str) -> str:
    """The text up to and including the whole line that starts with row_prefix."""
    start = text.index(row_prefix)
    return text[:text.index("\n", start) + 1]


def line_of(text: str, row_prefix: str) -> int:
    return text[:text.index(row_prefix)].count("\n") + 1


# --------------------------------------------------------------------------- people


@pytest.fixture()
def registrants(make_series, make_module):
    """Module 1 (120 minutes) with p01..p20, Alice, Bob and Carol registered."""
    series = make_series()
    module = make_module(series, number=1, duration_minutes=120,
                         starts_at=datetime.now(UTC).replace(second=0, microsecond=0)
                         - timedelta(days=7), status=ModuleStatus.HELD.value)
    emails = [f"p{i:02}@example.org" for i in range(1, ROWS + 1)]
    emails += ["alice@example.org", "bob@example.org", "carol@example.org"]
    for email in emails:
        person = Person(series=series, email=email, full_name=email.split("@")[0].title(),
                        country="KE", organisation="Org", organisation_type="government")
        person.registrations.append(Registration(module=module, status="registered"))
        db.session.add(person)
    db.session.commit()
    return module


@pytest.fixture()
def organiser(make_user, login):
    user = make_user()
    login(user)
    return user


def attendance() -> dict[str, str | None]:
    db.session.expire_all()
    rows = db.session.execute(select(Person.email, Registration.attendance).join(Registration))
    return {email.split("@")[0]: value for email, value in rows}


def record(values: dict[str, str | None]) -> None:
    """Set recorded attendance directly, as an earlier import would have."""
    for registration in db.session.scalars(select(Registration).join(Person)):
        key = registration.person.email.split("@")[0]
        if key in values:
            registration.attendance = values[key]
    db.session.commit()


def upload(client, content: bytes | str, filename: str = "report.csv", **extra):
    data = content.encode("utf-8") if isinstance(content, str) else content
    payload = {"csrf_token": csrf_token(client, URL),
               "file": (io.BytesIO(data), filename), **extra}
    return client.post(URL, data=payload, content_type="multipart/form-data")


def cli_import(runner, path: Path, *extra: str, input: str | None = None):
    return runner.invoke(args=["attendance", "import", str(path), "--series", "test-series",
                               "--module", "1", *extra], input=input)


def assert_clean_cli_error(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def field_error(html: str) -> str:
    match = re.search(r'<p class="error" id="file-error">(.*?)</p>', html, re.S)
    assert match, "no error next to the file field"
    return match.group(1)


# --------------------------------------------------------------------------- refused files


def test_empty_file_is_refused_next_to_the_field_and_wipes_nothing(client, organiser,
                                                                     registrants):
    record({"p01": "attended", "p02": "absent"})
    response = upload(client, b"")
    assert response.status_code == 400
    assert "The file is empty" in field_error(response.get_data(as_text=True))
    assert attendance()["p01"] == "attended" and attendance()["p02"] == "absent"


def test_header_only_file_parses_to_zero_people_and_is_refused(client, organiser, registrants,
                                                                runner, tmp_path):
    record({"p01": "attended"})
    header_only = webex().split("\r\n")[0] + "\r\n"
    response = upload(client, utf16(header_only), "webex.csv")
    assert response.status_code == 400
    assert "lists no participants" in field_error(response.get_data(as_text=True))
    path = tmp_path / "header-only.csv"
    path.write_bytes(utf16(header_only))
    assert_clean_cli_error(cli_import(runner, path), "lists no participants")
    assert attendance()["p01"] == "attended"


def test_file_whose_rows_lack_an_email_column_says_what_it_found_and_needs(
    client, organiser, registrants, runner, tmp_path
):
    wrong = zoom_meeting().replace("User Email,Join Time", "Mail,Join Time")
    response = upload(client, wrong)
    assert response.status_code == 400
    error = field_error(response.get_data(as_text=True))
    assert "Columns found: Name (Original Name), Mail, Join Time, Leave Time" in error
    assert "Needed: a column of email addresses (Email, User Email or Attendee Email)" in error
    path = tmp_path / "wrong.csv"
    path.write_text(wrong)
    result = cli_import(runner, path)
    assert_clean_cli_error(result, "Columns found: Name (Original Name), Mail")
    assert set(attendance().values()) == {None}


def test_file_with_emails_but_no_times_or_durations_is_refused(client, organiser, registrants):
    text = "Name,Email,Organisation\nAl,p01@example.org,UNODC\nBo,p02@example.org,IOM\n"
    response = upload(client, text)
    assert response.status_code == 400
    error = field_error(response.get_data(as_text=True))
    assert "Columns found: Name, Email, Organisation." in error
    assert "join and leave times (Join Time, Leave Time) or a duration" in error
    assert set(attendance().values()) == {None}


def test_file_with_only_guests_without_email_is_refused(client, organiser, registrants):
    text = zoom_meeting(rows=3).replace("@example.org", "").replace(",p0", ",")
    text = re.sub(r"^(Person \d+),[^,]*,", r"\1,,", text, flags=re.M)
    response = upload(client, text)
    assert response.status_code == 400
    assert "none with an email address" in field_error(response.get_data(as_text=True))


# --------------------------------------------------------------------------- cut off


def test_zoom_report_cut_in_row_15_of_20_is_refused_and_marks_no_one_absent(
    client, organiser, registrants, runner, tmp_path
):
    full = zoom_meeting()
    assert upload(client, full).status_code == 200
    assert all(value == "attended" for key, value in attendance().items()
               if key.startswith("p"))
    cut = cut_in_row(full, "Person 15,")
    response = upload(client, cut)
    assert response.status_code == 400
    line = line_of(full, "Person 15,")
    assert f"The file seems cut off at line {line}; export it again." in field_error(
        response.get_data(as_text=True))
    assert attendance()["p16"] == "attended" and attendance()["p20"] == "attended"
    path = tmp_path / "cut.csv"
    path.write_text(cut)
    assert_clean_cli_error(cli_import(runner, path, "--yes"), f"cut off at line {line}")
    assert attendance()["p16"] == "attended"


def test_first_import_of_a_cut_report_records_nothing(client, organiser, registrants):
    response = upload(client, cut_in_row(zoom_meeting(), "Person 15,"))
    assert response.status_code == 400
    assert set(attendance().values()) == {None}


def test_report_cut_at_a_line_end_is_caught_by_the_announced_participant_count(
    client, organiser, registrants
):
    full = zoom_meeting()
    response = upload(client, cut_after_row(full, "Person 15,"))
    assert response.status_code == 400
    error = field_error(response.get_data(as_text=True))
    assert f"cut off at line {line_of(full, 'Person 15,')}" in error
    assert "announces 20 participants but the file lists 15" in error
    assert set(attendance().values()) == {None}


def test_zoom_webinar_cut_inside_a_quoted_time_is_refused(client, organiser, registrants):
    full = zoom_webinar()
    assert upload(client, full).status_code == 200
    start = full.index("Yes,Person 15,")
    cut = full[:full.index('"Mar 31, 2021 14:0', start) + 12]
    response = upload(client, cut)
    assert response.status_code == 400
    assert f"cut off at line {line_of(full, 'Yes,Person 15,')}" in field_error(
        response.get_data(as_text=True))
    assert attendance()["p20"] == "attended"


def test_webex_report_cut_mid_row_is_refused(client, organiser, registrants):
    full = webex()
    response = upload(client, utf16(cut_in_row(full, "Module 1\t", keep=0.4)[:-1]), "w.csv")
    assert response.status_code == 400  # cut in the first row: fewer fields than the header
    cut = cut_in_row(full, full.split("\r\n")[15], keep=0.5)
    response = upload(client, utf16(cut), "webex.csv")
    assert response.status_code == 400
    assert f"cut off at line {line_of(full, full.split(chr(13) + chr(10))[15])}" in field_error(
        response.get_data(as_text=True))


def test_report_cut_inside_the_last_value_is_refused(client, organiser, registrants):
    full = zoom_meeting()
    cut = cut_after_row(full, "Person 20,").rstrip("\n")[:-1]  # "...,No" -> "...,N"
    response = upload(client, cut)
    assert response.status_code == 400
    assert "cut off at line" in field_error(response.get_data(as_text=True))


def test_teams_report_cut_in_its_participants_section_is_refused(client, organiser,
                                                                   registrants):
    full = teams()
    assert upload(client, utf16(full), "teams.csv").status_code == 200
    response = upload(client, utf16(cut_after_row(full, "Person 15\t")), "teams.csv")
    assert response.status_code == 400
    assert "announces 20 participants but the file lists 15" in field_error(
        response.get_data(as_text=True))


def test_stray_quote_is_reported_at_its_line_with_the_lines_it_would_swallow(
    client, organiser, registrants
):
    full = zoom_meeting()
    broken = full.replace("Person 05,", '"Person 05,', 1)
    response = upload(client, broken)
    assert response.status_code == 400
    error = field_error(response.get_data(as_text=True))
    assert f"Line {line_of(full, 'Person 05,')}: a quoted value opens here" in error
    assert set(attendance().values()) == {None}


def test_complete_report_without_final_newline_is_accepted(client, organiser, registrants):
    response = upload(client, zoom_meeting().rstrip("\n"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert attendance()["p20"] == "attended"


# --------------------------------------------------------------------------- bad rows


def test_impossible_durations_and_unreadable_times_are_reported_per_line_and_not_counted(
    client, organiser, registrants, runner, tmp_path
):
    text = zoom_meeting_with(
        "Alice A,alice@example.org,03/31/2021 02:02:10 PM,03/31/2021 02:40:00 PM,-5,No",
        "Bob B,BOB@example.org,03/31/2021 02:45:00 PM,03/31/2021 03:30:00 PM,1561,No",
    )
    text = text.replace(
        "Stranger S,stranger@example.org,03/31/2021 02:45:00 PM",
        "Carol C,carol@example.org,31/31/2021 99:45:00 PM",
    )
    text += "\nPerson 01,p01@example.org,03/31/2021 03:30:00 PM,03/31/2021 02:30:00 PM,,No"
    text += "\nPerson 02,p02@example.org,03/31/2021 02:00:00 PM,03/31/2021 03:00:00 PM,1560,No\n"
    response = upload(client, text)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert f"line {line_of(text, 'Alice A,')}: duration -5 minutes is impossible" in html
    assert f"line {line_of(text, 'Bob B,')}: duration 1561 minutes is impossible" in html
    assert (f"line {line_of(text, 'Carol C,')}: the time &#34;31/31/2021 99:45:00 PM&#34; "
            "(Join Time) cannot be read") in html
    assert f"line {line_of(text, 'Person 01,')}: the leave time is before the join time" in html
    values = attendance()
    # left-out rows count neither as attended nor as absent: nothing is recorded for them
    assert values["alice"] is None and values["bob"] is None and values["carol"] is None
    assert values["p01"] is None
    assert values["p02"] == "attended"  # 1560 = the module's 120 minutes plus a day
    assert values["p03"] == "absent"

    path = tmp_path / "bad-rows.csv"
    path.write_text(text)
    record({"alice": "absent"})
    result = cli_import(runner, path, "--yes")
    assert result.exit_code == 0, result.output
    assert f"line {line_of(text, 'Alice A,')}: duration -5 minutes is impossible" in result.stderr
    assert "4 lines left out" in result.stdout
    assert attendance()["alice"] == "absent"  # kept as recorded, never turned to attended


def test_unreadable_duration_text_is_reported(client, organiser, registrants):
    text = zoom_meeting_with(
        "Alice A,alice@example.org,03/31/2021 02:02:10 PM,03/31/2021 02:40:00 PM,about 5,No")
    html = upload(client, text).get_data(as_text=True)
    assert f"line {line_of(text, 'Alice A,')}: the duration &#34;about 5&#34; cannot be read" in (
        html)
    assert attendance()["alice"] is None


def test_file_where_every_row_is_impossible_is_refused_with_the_lines(client, organiser,
                                                                     registrants):
    text = zoom_meeting(rows=3).replace(",60,No", ",-60,No").replace(",38,No", ",-38,No")
    response = upload(client, text)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "No one in this file can be counted" in field_error(html)
    assert f"line {line_of(text, 'Person 02,')}: duration -38 minutes is impossible" in html
    assert set(attendance().values()) == {None}


def test_control_characters_in_names_or_emails_are_reported_never_stored(
    client, organiser, registrants
):
    text = zoom_meeting_with(
        "Ali\x00ce A,alice@example.org,03/31/2021 02:02:10 PM,03/31/2021 02:40:00 PM,38,No",
        "Bob B,bob\x07@example.org,03/31/2021 02:45:00 PM,03/31/2021 03:30:00 PM,45,No",
    )
    text += ("\nNew\x1bcomer,newcomer@example.org,03/31/2021 02:45:00 PM,"
             "03/31/2021 03:30:00 PM,45,No\n")
    response = upload(client, text)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    held = "the name or email holds the control character"
    assert f"line {line_of(text, 'Ali')}: {held} U+0000 (NULL); the row was left out." in html
    assert f"line {line_of(text, 'Bob B,')}: {held} U+0007" in html
    assert "\x00" not in html and "\x07" not in html and "\x1b" not in html
    assert "newcomer@example.org" not in html  # not listed as unmatched either
    values = attendance()
    assert values["alice"] is None and values["bob"] is None
    db.session.expire_all()
    names = db.session.scalars(select(Person.full_name)).all()
    assert not any("\x00" in name or "\x1b" in name for name in names)


# --------------------------------------------------------------------------- re-import


def _confirm_form(html: str) -> dict[str, str]:
    upload_id = re.search(r'name="upload_id" type="hidden" value="(\d+)"', html)
    digest = re.search(r'name="digest" type="hidden" value="([0-9a-f]+)"', html)
    assert upload_id and digest, "no confirmation form on the preview"
    return {"upload_id": upload_id.group(1), "digest": digest.group(1)}


def _changed_report() -> str:
    """Alice left out (was attended), Carol in (was absent), p01 newly matched."""
    text = (DATA / "attendance_zoom_meeting.csv").read_text("utf-8-sig")
    carol = "Carol C,carol@example.org,03/31/2021 02:05:00 PM,03/31/2021 03:30:00 PM,85,No"
    p01 = "Person 01,p01@example.org,03/31/2021 02:05:00 PM,03/31/2021 03:30:00 PM,85,No"
    text = re.sub(r"^Alice A,.*$", carol + "\n" + p01, text, flags=re.M)
    return text.replace(",120,5,", ",120,6,")


def test_reimport_shows_what_changes_and_applies_only_after_confirmation(
    client, organiser, registrants
):
    first = upload(client, (DATA / "attendance_zoom_meeting.csv").read_bytes())
    assert first.status_code == 200
    record({"p01": None})
    before = attendance()
    assert before["alice"] == "attended" and before["carol"] == "absent"

    preview = upload(client, _changed_report())
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Check the changes before they replace the recorded attendance" in html
    for caption, name in [("Attended → absent (1)", "Alice"), ("Absent → attended (1)", "Carol"),
                          ("Newly matched: not recorded → attended (1)", "P01")]:
        table = html[html.index(f"<caption>{caption}</caption>"):]
        table = table[:table.index("</table>")]
        assert f"<td>{name}</td>" in table
    assert attendance() == before  # nothing applied yet
    assert db.session.scalar(select(func.count()).select_from(AttendanceUpload)) == 1

    answer = {"csrf_token": csrf_token(client, URL), **_confirm_form(html), "confirm": "1"}
    applied = client.post(CONFIRM_URL, data=answer)
    assert applied.status_code == 200
    assert "Attendance imported" in applied.get_data(as_text=True)
    after = attendance()
    assert after["alice"] == "absent" and after["carol"] == "attended"
    assert after["p01"] == "attended" and after["bob"] == "attended"
    assert db.session.scalar(select(func.count()).select_from(AttendanceUpload)) == 0

    again = client.post(CONFIRM_URL, data=answer, follow_redirects=True)
    assert "This preview has expired or was already answered" in again.get_data(as_text=True)


def test_reimport_can_be_cancelled_and_changes_nothing(client, organiser, registrants):
    upload(client, (DATA / "attendance_zoom_meeting.csv").read_bytes())
    before = attendance()
    html = upload(client, _changed_report()).get_data(as_text=True)
    answer = {"csrf_token": csrf_token(client, URL), **_confirm_form(html), "discard": "1"}
    response = client.post(CONFIRM_URL, data=answer, follow_redirects=True)
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert attendance() == before
    assert db.session.scalar(select(func.count()).select_from(AttendanceUpload)) == 0


def test_confirmation_after_a_hand_correction_shows_the_changes_again(client, organiser,
                                                                      registrants):
    upload(client, (DATA / "attendance_zoom_meeting.csv").read_bytes())
    html = upload(client, _changed_report()).get_data(as_text=True)
    form = _confirm_form(html)
    record({"alice": "absent"})  # someone corrects Alice by hand meanwhile
    response = client.post(CONFIRM_URL, data={"csrf_token": csrf_token(client, URL), **form,
                                              "confirm": "1"})
    again = response.get_data(as_text=True)
    assert "The recorded attendance changed since the preview was made" in again
    assert attendance()["carol"] == "absent"  # not applied
    assert _confirm_form(again)["digest"] != form["digest"]


def test_cli_reimport_prints_the_changes_and_needs_yes(runner, registrants, tmp_path):
    first = cli_import(runner, DATA / "attendance_zoom_meeting.csv")
    assert first.exit_code == 0, first.output
    before = attendance()
    path = tmp_path / "changed.csv"
    path.write_text(_changed_report())

    refused = cli_import(runner, path)  # no answer on standard input
    assert refused.exit_code == 1
    assert "attended -> absent: 1 (Alice <alice@example.org>)" in refused.output
    assert ("absent -> attended: 2 (P01 <p01@example.org>, Carol <carol@example.org>)"
            in refused.output)
    assert "Nothing was changed" in refused.output and "Traceback" not in refused.output
    assert attendance() == before

    declined = cli_import(runner, path, input="n\n")
    assert declined.exit_code == 1 and attendance() == before

    accepted = cli_import(runner, path, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert attendance()["alice"] == "absent" and attendance()["carol"] == "attended"

    record({"alice": "attended", "carol": "absent"})
    forced = cli_import(runner, path, "--yes")
    assert forced.exit_code == 0, forced.output
    assert "attended -> absent: 1" in forced.output
    assert attendance()["alice"] == "absent"


def test_reimport_of_the_same_file_changes_nothing_and_asks_nothing(runner, registrants):
    assert cli_import(runner, DATA / "attendance_webex.csv").exit_code == 0
    again = cli_import(runner, DATA / "attendance_webex.csv")
    assert again.exit_code == 0, again.output
    assert "would change" not in again.output


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
    ("latin-1", b""), ("cp1252", b""), ("utf-8", b"\xef\xbb\xbf"),
])
def test_report_in_any_encoding_is_read(client, organiser, registrants, encoding, bom):
    text = zoom_meeting(rows=3).replace("Person 01", "Zoë Ngozi Aké")
    response = upload(client, bom + text.encode(encoding))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert attendance()["p01"] == "attended"


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-16")),
    st.text(alphabet=st.characters(max_codepoint=255), max_size=300).map(
        lambda t: t.encode("latin-1")),
    st.builds(lambda cut, junk: zoom_meeting(rows=4).encode()[:cut] + junk,
              st.integers(0, 700), st.binary(max_size=40)),
))
def test_random_uploads_never_cause_a_server_error(client, organiser, registrants, data):
    response = upload(client, data)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert 'id="file-error"' in response.get_data(as_text=True)
