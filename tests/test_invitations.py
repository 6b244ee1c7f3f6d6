"""Invitee lists and invitation campaigns, through the organiser pages, the CLI and SMTP."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import Invitee, OutboxMessage

MESSY_CSV = (
    "\ufeffName;Email;Organisation;Country;Language\r\n"
    "Amina Diallo;amina@example.org;Ministry of Justice;Senegal;fr\r\n"
    "Bad Address;not-an-email;IOM;Kenya;en\r\n"
    "Amina Again;AMINA@example.org;Ministry;Senegal;fr\r\n"
    ";nobody@example.org;UNHCR;Uganda;en\r\n"
    "=HYPERLINK(\"http://evil\");formula@example.org;=1+1;Egypt;en\r\n"
    "Jean Martin;jean@example.org;\"Police; unit\";France;French\r\n"
).encode("utf-8")


def _invitee_count() -> int:
    return db.session.scalar(select(func.count(Invitee.id))) or 0


def _organiser(make_user, login):
    login(make_user())


def test_messy_csv_preview_lists_bad_rows_by_line_and_saves_nothing_until_confirmed(
    client, runner, make_series, make_user, login
):
    series = make_series()
    _organiser(make_user, login)
    url = f"/admin/series/{series.slug}/invitations/import"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url),
        "file": (io.BytesIO(MESSY_CSV), "focal-points.csv"),
    }, content_type="multipart/form-data", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 valid rows will be imported" in html
    assert re.search(r"<td>3</td><td>bad email", html)
    assert re.search(r"<td>4</td><td>duplicate of line 2", html)
    assert re.search(r"<td>5</td><td>missing name", html)
    assert _invitee_count() == 0
    action = re.search(r'<form method="post" action="([^"]+/confirm)"', html).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post(action, data={"csrf_token": token})
    assert response.status_code == 302
    result = runner.invoke(args=["invitations", "run-imports"])
    assert result.exit_code == 0, result.output
    invitees = {i.email: i for i in db.session.scalars(select(Invitee))}
    assert set(invitees) == {"amina@example.org", "formula@example.org", "jean@example.org"}
    assert invitees["formula@example.org"].full_name == '=HYPERLINK("http://evil")'
    assert invitees["jean@example.org"].organisation == "Police; unit"
    assert invitees["jean@example.org"].language == "fr"
    export = client.get(f"/admin/series/{series.slug}/invitations/export.csv")
    text = export.get_data(as_text=True)
    assert "'=HYPERLINK" in text and "'=1+1" in text
    assert "\n=" not in text and ",=" not in text


def test_confirming_another_series_import_saves_nothing(client, runner, make_series, make_user,
                                                        login):
    series = make_series()
    other = make_series(slug="other-series")
    _organiser(make_user, login)
    url = f"/admin/series/{series.slug}/invitations/import"
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url),
        "file": (io.BytesIO(MESSY_CSV), "focal-points.csv"),
    }, content_type="multipart/form-data")
    import_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    response = client.post(
        f"/admin/series/{other.slug}/invitations/imports/{import_id}/confirm",
        data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 404
    runner.invoke(args=["invitations", "run-imports"])
    assert _invitee_count() == 0


def test_cli_import_prints_bad_lines_dry_run_saves_nothing_and_reimport_updates(
    runner, make_series, tmp_path
):
    series = make_series()
    path = tmp_path / "list.csv"
    path.write_bytes(MESSY_CSV)
    result = runner.invoke(args=["invitations", "import", str(path), "--series", series.slug,
                                 "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 3: bad email" in result.output
    assert "line 4: duplicate of line 2" in result.output
    assert "line 5: missing name" in result.output
    assert _invitee_count() == 0
    result = runner.invoke(args=["invitations", "import", str(path), "--series", series.slug])
    assert result.exit_code == 0, result.output
    assert "Imported 3 new and 0 updated invitees; 3 rows skipped." in result.output
    path.write_text("email,name,organisation\njean@example.org,Jean Martin,Interpol\n",
                    encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(path), "--series", series.slug])
    assert "Imported 0 new and 1 updated invitees" in result.output
    assert _invitee_count() == 3
    jean = db.session.scalar(select(Invitee).where(Invitee.email == "jean@example.org"))
    assert jean.organisation == "Interpol"


def test_add_one_invitee_by_hand_keeps_input_on_error(client, make_series, make_user, login):
    series = make_series()
    _organiser(make_user, login)
    url = f"/admin/series/{series.slug}/invitations/add"
    data = {"csrf_token": csrf_token(client, url), "full_name": "Ada", "email": "bad@",
            "organisation": "IOM", "country": "Kenya", "language": "en"}
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter a valid email address" in html
    assert 'value="IOM"' in html
    data["email"] = "ada@example.org"
    assert client.post(url, data=data).status_code == 302
    assert _invitee_count() == 1


def _import(runner, series, tmp_path, rows: str) -> None:
    path = tmp_path / "invitees.csv"
    path.write_text("name,email,organisation,country,language\n" + rows, encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(path), "--series", series.slug])
    assert result.exit_code == 0, result.output


def test_sending_the_same_campaign_twice_delivers_one_invitation_per_invitee(
    runner, make_series, make_module, make_note, smtp_sink, tmp_path
):
    series = make_series()
    module = make_module(series)
    make_module(series)
    make_note(module, is_prereading=True, title="Prevention note")
    _import(runner, series, tmp_path,
            "Ada Lovelace,ada@example.org,IOM,Kenya,en\n"
            "Jean Martin,jean@example.org,MoJ,France,fr\n")
    for _ in range(2):
        result = runner.invoke(args=["invitations", "send", "--series", series.slug])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["mail", "deliver"])
        assert result.exit_code == 0, result.output
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "ada@example.org", "jean@example.org"]
    message = smtp_sink.to("ada@example.org")[0].message
    unsubscribe = message["List-Unsubscribe"]
    assert re.fullmatch(r"<http://webinars\.test/unsubscribe/[\w-]+>", unsubscribe)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    assert "/series/test-series/register?invite=" in text
    assert "Prevention note" in text
    assert "Programme (times in Brussels)" in text
    calendars = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    assert calendars[0].get_param("method") == "PUBLISH"
    ics = calendars[0].get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "METHOD:PUBLISH" in ics and ics.count("BEGIN:VEVENT") == 2
    assert "zoom.example.org" not in ics and "ATTENDEE" not in ics
    assert "Chers" not in text
    french = smtp_sink.to("jean@example.org")[0].message
    assert french["Content-Language"] == "fr"


def test_invitation_link_prefills_the_registration_form(
    client, runner, make_series, make_module, tmp_path
):
    series = make_series()
    make_module(series)
    _import(runner, series, tmp_path, "Ada Lovelace,ada@example.org,IOM,Kenya,fr\n")
    runner.invoke(args=["invitations", "send", "--series", series.slug])
    body = db.session.scalar(select(OutboxMessage.body_text))
    link = re.search(r"http://webinars\.test(/series/\S+invite=\S+)", body).group(1)
    html = client.get(link).get_data(as_text=True)
    assert 'value="Ada Lovelace"' in html and 'value="ada@example.org"' in html
    assert 'value="IOM"' in html
    assert re.search(r'<option selected value="KE">|<option value="KE" selected', html)
    assert "ada@example.org" not in client.get(
        f"/series/{series.slug}/register?invite=forged").get_data(as_text=True)


def test_one_click_opt_out_stops_every_further_invitation(
    client, runner, make_series, make_module, smtp_sink, tmp_path, make_user, login
):
    series = make_series()
    make_module(series)
    _import(runner, series, tmp_path, "Ada Lovelace,ada@example.org,IOM,Kenya,en\n")
    runner.invoke(args=["invitations", "send", "--series", series.slug])
    runner.invoke(args=["mail", "deliver"])
    unsubscribe = smtp_sink.messages[0].message["List-Unsubscribe"].strip("<>")
    path = unsubscribe.removeprefix("http://webinars.test")
    page = client.get(path)
    assert page.status_code == 200 and "Send me no more invitations" in page.get_data(as_text=True)
    invitee = db.session.scalar(select(Invitee))
    assert invitee.opted_out_at is None  # a GET (a link scanner) changes nothing
    response = client.post(path, data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(Invitee)).opted_out_at is not None
    result = runner.invoke(args=["invitations", "send", "--series", series.slug,
                                 "--title", "Second call"])
    assert "queued 0 invitations" in result.output
    _organiser(make_user, login)
    campaign_id = int(re.search(r"Campaign (\d+)", result.output).group(1))
    url = f"/admin/series/{series.slug}/invitations/campaigns/{campaign_id}"
    html = client.get(url).get_data(as_text=True)
    assert "opted out" in html
    response = client.post(f"{url}/invitees/{invitee.id}/resend",
                           data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    runner.invoke(args=["mail", "deliver"])
    assert len(smtp_sink.messages) == 1
