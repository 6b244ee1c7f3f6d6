"""Bilingual campaigns: write, preview as an invitee, test, confirm, schedule, send, remind.

Through the organiser pages (HTTP), the CLI (`flask invitations send-due`, `flask mail
deliver`) and the emails the real SMTP sink receives."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.conftest import csrf_token
from tests.mailsink import calendar_parts
from webinar_app.extensions import db
from webinar_app.models import Invitee

ENGLISH_BODY = ("Dear colleagues,\n\nThe **four-module** series opens soon. "
                "See [the programme](https://example.org/programme).\n\n"
                "<script>alert('x')</script>\n\n- Prevention\n- Protection")
FRENCH_BODY = ("Chers collègues,\n\nLa série **en quatre modules** commence bientôt. "
               "Voir [le programme](https://example.org/programme).")


def _setup(runner, make_series, make_module, make_user, login, tmp_path):
    series = make_series()
    module = make_module(series, title="Prevention", title_fr="Prévention")
    path = tmp_path / "invitees.csv"
    path.write_text("name,email,organisation,country,language\n"
                    "Ada Lovelace,ada@example.org,IOM,Kenya,en\n"
                    "Jean Martin,jean@example.org,MoJ,France,fr\n", encoding="utf-8")
    result = runner.invoke(args=["invitations", "import", str(path), "--series", series.slug])
    assert result.exit_code == 0, result.output
    login(make_user())
    return series, module


def _create(client, series, module, **extra) -> str:
    url = f"/admin/series/{series.slug}/invitations/campaigns/new"
    data = {"csrf_token": csrf_token(client, url), "subject_en": "Join the 4Ps webinars",
            "body_en": ENGLISH_BODY, "subject_fr": "Rejoignez les webinaires 4P",
            "body_fr": FRENCH_BODY, "modules": [str(module.number)], **extra}
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _invitee(email: str) -> Invitee:
    return db.session.query(Invitee).filter_by(email=email).one()


def _confirm_and_send(client, url: str) -> str:
    page = client.get(f"{url}/confirm").get_data(as_text=True)
    response = client.post(f"{url}/send", data={"csrf_token": csrf_token(client, f"{url}/confirm"),
                                                "country": "", "organisation": "",
                                                "language": ""})
    assert response.status_code == 302
    return page


def test_bilingual_campaign_reaches_each_invitee_in_their_language(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    page = _confirm_and_send(client, url)
    assert "2 invitees" in page and "The invitation will go to 2 people." in page
    assert runner.invoke(args=["mail", "deliver"]).exit_code == 0
    english = smtp_sink.to("ada@example.org")[0].message
    french = smtp_sink.to("jean@example.org")[0].message
    assert english["Subject"] == "Join the 4Ps webinars"
    assert french["Subject"] == "Rejoignez les webinaires 4P"
    for message, body_word, greeting in ((english, "four-module", "Dear "),
                                         (french, "en quatre modules", "Bonjour ")):
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"<strong>{body_word}</strong>" in html
        assert body_word in text and "**" not in text
        assert "(https://example.org/programme)" in text
        assert "<script" not in html and "alert(" not in html
        assert text.count(greeting) == 1 and "colleagues" not in text + html
        assert "collègues" not in text + html
    (calendar,) = calendar_parts(french)
    event = Calendar.from_ical(calendar.get_payload(decode=True)).walk("VEVENT")[0]
    assert "Prévention" in str(event["SUMMARY"]) and "Module 1" in str(event["SUMMARY"])
    (calendar,) = calendar_parts(english)
    event = Calendar.from_ical(calendar.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Module 1 — Prevention: Prevention"
    french_text = french.get_body(("plain",)).get_content()
    assert re.search(r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d+ ", french_text)


def test_preview_as_a_chosen_french_invitee_and_a_test_to_oneself(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    jean = _invitee("jean@example.org")
    page = client.get(f"{url}/preview?q=Jean&invitee={jean.id}").get_data(as_text=True)
    assert "Jean Martin" in page and "Rejoignez les webinaires 4P" in page
    assert "La série en quatre modules" in page and "<iframe" in page and "sandbox" in page
    frame = re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1).replace("&amp;", "&")
    email = client.get(frame)
    assert email.status_code == 200
    policy = email.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'unsafe-inline'" in policy
    html = email.get_data(as_text=True)
    assert "Bonjour Jean Martin" in html and "<strong>en quatre modules</strong>" in html
    english = client.get(f"{url}/preview?invitee={jean.id}&language=en").get_data(as_text=True)
    assert "Join the 4Ps webinars" in english
    response = client.post(f"{url}/test", data={"csrf_token": csrf_token(client, f"{url}/preview"),
                                                "invitee": str(jean.id), "language": "fr"})
    assert response.status_code == 302
    runner.invoke(args=["mail", "deliver"])
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["organiser@example.org"]]
    test = smtp_sink.messages[0].message
    assert test["Subject"] == "[TEST] Rejoignez les webinaires 4P"
    assert "Jean Martin" in test.get_body(("plain",)).get_content()
    campaign = client.get(url).get_data(as_text=True)
    assert "2 invitees would receive it now." in campaign  # the test counts as no send


def test_confirmation_states_the_segments_excluded(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path,
    make_registration
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    path = tmp_path / "more.csv"
    path.write_text("name,email\nOla Out,ola@example.org\nBo Bounce,bo@example.org\n"
                    "Cy Four,cy@example.org\n", encoding="utf-8")
    runner.invoke(args=["invitations", "import", str(path), "--series", series.slug])
    make_registration(module, email="ada@example.org")
    _invitee("ola@example.org").opted_out_at = datetime.now(UTC)
    from webinar_app.models import UndeliverableAddress

    db.session.add(UndeliverableAddress(email="bo@example.org",
                                        sender_email="secretariat@example.org"))
    db.session.commit()
    url = _create(client, series, module)
    page = _confirm_and_send(client, url)
    text = re.sub(r"\s+", " ", page)
    assert ("5 invitees, 1 of whom already registered, excluded; 1 opted out, excluded; "
            "1 undeliverable, excluded.") in text
    assert "The invitation will go to 2 people." in text
    runner.invoke(args=["mail", "deliver"])
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "cy@example.org", "jean@example.org"]


def test_a_draft_can_be_edited_a_sent_campaign_cannot(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    data = {"csrf_token": csrf_token(client, f"{url}/edit"), "subject_en": "Edited subject",
            "body_en": "New *text*", "subject_fr": "Sujet modifié", "body_fr": "Nouveau",
            "modules": [str(module.number)]}
    assert 'value="Join the 4Ps webinars"' in client.get(f"{url}/edit").get_data(as_text=True)
    assert client.post(f"{url}/edit", data=data).status_code == 302
    _confirm_and_send(client, url)
    response = client.post(f"{url}/edit", data={**data, "subject_en": "Too late"},
                           follow_redirects=True)
    assert "can no longer be edited: its sending started" in response.get_data(as_text=True)
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.to("ada@example.org")[0].message["Subject"] == "Edited subject"
    assert smtp_sink.to("jean@example.org")[0].message["Subject"] == "Sujet modifié"


def _schedule(client, url: str, series, minutes: int):
    zone = ZoneInfo(series.timezone)
    when = (datetime.now(UTC) + timedelta(minutes=minutes)).astimezone(zone)
    page = client.get(f"{url}/confirm").get_data(as_text=True)
    assert series.timezone in page
    response = client.post(f"{url}/schedule", data={
        "csrf_token": csrf_token(client, f"{url}/confirm"), "country": "", "organisation": "",
        "language": "", "send_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302, response.get_data(as_text=True)


def _later(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%MZ")


def test_a_scheduled_campaign_leaves_at_its_time_not_before(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    _schedule(client, url, series, minutes=10)
    assert "scheduled for" in client.get(url).get_data(as_text=True)
    listing = client.get(f"/admin/series/{series.slug}/invitations").get_data(as_text=True)
    assert "scheduled for" in listing
    result = runner.invoke(args=["invitations", "send-due"])
    assert "0 scheduled campaigns queued" in result.output
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.messages == []
    result = runner.invoke(args=["invitations", "send-due", "--now", _later(11)])
    assert "1 scheduled campaigns queued" in result.output, result.output
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.to("jean@example.org")[0].message["Subject"] == "Rejoignez les webinaires 4P"
    assert smtp_sink.to("ada@example.org")[0].message["Subject"] == "Join the 4Ps webinars"
    result = runner.invoke(args=["invitations", "send-due", "--now", _later(20)])
    assert "0 scheduled campaigns queued" in result.output


def test_a_cancelled_schedule_never_sends(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    _schedule(client, url, series, minutes=10)
    response = client.post(f"{url}/unschedule", data={"csrf_token": csrf_token(client, url)},
                           follow_redirects=True)
    assert "a draft again" in response.get_data(as_text=True)
    runner.invoke(args=["invitations", "send-due", "--now", _later(60)])
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.messages == []


def test_after_figures_and_a_reminder_to_those_not_registered(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path,
    make_registration
):
    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    _confirm_and_send(client, url)
    runner.invoke(args=["mail", "deliver"])
    make_registration(module, email="ada@example.org")
    page = re.sub(r"\s+", " ", client.get(url).get_data(as_text=True))
    assert "<dt>Sent</dt><dd>2</dd>" in page
    assert "1 of 2 invited (50%)" in page
    response = client.post(f"{url}/remind", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    edit = response.headers["Location"]
    form = client.get(edit).get_data(as_text=True)
    assert 'value="Reminder: Join the 4Ps webinars"' in form
    reminder = edit.removesuffix("/edit")
    preview = client.get(f"{reminder}/preview").get_data(as_text=True)
    assert "Reminder: Join the 4Ps webinars" in preview or "Rappel" in preview
    page = _confirm_and_send(client, reminder)
    assert "The invitation will go to 1 person." in page
    runner.invoke(args=["mail", "deliver"])
    assert [m.rcpt_tos[0] for m in smtp_sink.messages[2:]] == ["jean@example.org"]
    assert smtp_sink.messages[2].message["Subject"].endswith("Rejoignez les webinaires 4P")


def test_a_sending_stopped_half_way_is_finished_by_the_due_sender(
    client, runner, make_series, make_module, make_user, login, smtp_sink, tmp_path
):
    from webinar_app.invitations.services import campaign_in_series, start_sending

    series, module = _setup(runner, make_series, make_module, make_user, login, tmp_path)
    url = _create(client, series, module)
    campaign = campaign_in_series(series, int(url.rsplit("/", 1)[1]))
    assert start_sending(campaign)  # the web process claimed it, then stopped
    db.session.commit()
    runner.invoke(args=["invitations", "send-due", "--now", _later(5)])
    runner.invoke(args=["mail", "deliver"])
    assert smtp_sink.messages == []  # it may still be running elsewhere
    result = runner.invoke(args=["invitations", "send-due", "--now", _later(31)])
    assert "1 scheduled campaigns queued" in result.output, result.output
    runner.invoke(args=["mail", "deliver"])
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == [
        "ada@example.org", "jean@example.org"]
    assert "Status:\nsent" in client.get(url).get_data(as_text=True)
