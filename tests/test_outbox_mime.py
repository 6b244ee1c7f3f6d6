"""The MIME the outbox sends: headers, bodies and calendars as the email package reads them back."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import func, select

from tests.mailsink import calendar_parts, mime_tree
from tests.registration_helpers import register
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage
from webinar_app.outbox.mailer import deliver_due
from webinar_app.outbox.services import queue_email

TRICKY_NAMES = [
    "Ada Lovelace",
    'Ada "Lady" Lovelace-Økland',
    "Dr. Jérôme Ça",
    "O'Brien, Pat",
    "Ünïcödé Ñame",
]


# French, typeset as the outbox writes it (narrow no-break spaces), so it reads back unchanged
SUBJECT = "Invitation\u202f: «\u202fles 4P\u202f» revisités — a subject long enough to fold"


def _queue(i: int, name: str, **overrides):
    values = dict(
        kind="test", purpose_key=f"mime:{i}", to_email=f"person{i}@example.org", to_name=name,
        language="fr", subject=SUBJECT,
        body_text=".starts with a dot\nFrom the start\n-- \n" + "é" * 300,
        body_html="<p>x = 1</p>\n" + "y" * 2000, sender_email="secretariat@example.org",
        sender_name="Secrétariat, ONU",
        extra_headers={"List-Unsubscribe": "<http://webinars.test/unsubscribe/" + "t" * 43 + ">"},
    )
    values.update(overrides)
    return queue_email(**values)


def test_names_subjects_and_bodies_read_back_exactly_as_queued(app, smtp_sink):
    for i, name in enumerate(TRICKY_NAMES):
        _queue(i, name)
    db.session.commit()
    assert deliver_due().sent == len(TRICKY_NAMES)
    received = {m.rcpt_tos[0]: m for m in smtp_sink.messages}
    boundaries = set()
    for i, name in enumerate(TRICKY_NAMES):
        mail = received[f"person{i}@example.org"]
        msg = mail.message
        assert msg["To"].addresses[0].display_name == name.strip()
        assert msg["From"].addresses[0].display_name == "Secrétariat, ONU"
        assert msg["Subject"] == SUBJECT
        assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
            ".starts with a dot\nFrom the start\n-- \n" + "é" * 300 + "\n"
        )
        assert "y" * 2000 in msg.get_body(("html",)).get_content()
        long_lines = [line for line in mail.raw.split(b"\r\n") if len(line) > 78]
        assert [line.split(b":")[0] for line in long_lines] == [b"List-Unsubscribe"]
        assert b"\n" not in mail.raw.replace(b"\r\n", b"")
        # our own long header stays readable by mail clients (no encoded words)
        assert re.search(rb"\r\nList-Unsubscribe: <http://webinars\.test/unsubscribe/t{43}>\r\n",
                         mail.raw)
        boundaries.add(msg.get_boundary())
    assert len(boundaries) == len(TRICKY_NAMES)  # a random boundary per message


def test_campaign_email_escapes_the_name_in_html_and_keeps_it_in_text(
    runner, make_series, make_module, smtp_sink, tmp_path
):
    series = make_series()
    make_module(series)
    path = tmp_path / "invitees.csv"
    path.write_text(
        "name,email,organisation,country,language\n"
        '"<b>Ada & ""Bob""</b>",ada@example.org,IOM,Kenya,en\n'
        "Jean Martin,jean@example.org,MoJ,France,en\n",
        encoding="utf-8",
    )
    assert runner.invoke(args=["invitations", "import", str(path), "--series", series.slug]
                         ).exit_code == 0
    assert runner.invoke(args=["invitations", "send", "--series", series.slug]).exit_code == 0
    assert runner.invoke(args=["mail", "deliver"]).exit_code == 0
    ada = smtp_sink.to("ada@example.org")[0].message
    jean = smtp_sink.to("jean@example.org")[0].message
    assert 'Dear <b>Ada & "Bob"</b>,' in ada.get_body(("plain",)).get_content()
    html = ada.get_body(("html",)).get_content()
    assert "Dear &lt;b&gt;Ada &amp; &#34;Bob&#34;&lt;/b&gt;," in html and "<b>Ada" not in html
    assert "Dear Jean Martin," in jean.get_body(("plain",)).get_content()
    links = {
        address: re.search(r"invite=([\w-]+)", m.get_body(("plain",)).get_content()).group(1)
        for address, m in (("ada", ada), ("jean", jean))
    }
    assert links["ada"] != links["jean"]
    assert f"invite={links['jean']}" in jean.get_body(("html",)).get_content()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"sent"} and len(rows) == 2


LONG_NAME = (
    "A very long display name that needs folding because it is long <evil@attacker.example>, Bob"
)


def _leaves(message):
    return [part for part in message.walk() if not part.is_multipart()]


def _check_encodings(mail) -> None:
    """Every text part and the .ics attachment say charset=utf-8; no body is raw 8bit."""
    msg = mail.message
    assert msg["Auto-Submitted"] == "auto-generated", msg["Subject"]
    assert msg["Message-ID"].endswith("@webinars.test>")
    for part in _leaves(msg):
        content_type = part.get_content_type()
        if part.get_content_maintype() == "text" or content_type == "application/ics":
            assert part.get_content_charset() == "utf-8", (msg["Subject"], content_type)
        assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64"), content_type
    assert max(len(line) for line in mail.raw.split(b"\r\n")) <= 998


def test_a_long_display_name_with_brackets_and_commas_is_one_mailbox(app, smtp_sink):
    name = (LONG_NAME + ", " + "x, <y> " * 30)[:200]
    _queue(0, name, to_email="bob@example.org")
    db.session.commit()
    assert deliver_due().sent == 1
    (mail,) = smtp_sink.messages
    reparsed = email.message_from_bytes(mail.raw, policy=email.policy.default)
    (mailbox,) = reparsed["To"].addresses
    assert mailbox.addr_spec == "bob@example.org"
    assert mailbox.display_name == name
    assert mail.rcpt_tos == ["bob@example.org"]
    assert email.utils.getaddresses([str(reparsed["To"])]) == [(name, "bob@example.org")]


def test_registration_with_a_200_character_hostile_name_gets_one_to_address(
    client, smtp_sink, make_series, make_module
):
    make_module(make_series())
    name = (LONG_NAME + " " + "y" * 200)[:200]
    response = register(client, full_name=name, modules=["1"])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert deliver_due().sent == 1
    (mail,) = smtp_sink.messages
    reparsed = email.message_from_bytes(mail.raw, policy=email.policy.default)
    (mailbox,) = reparsed["To"].addresses
    assert mailbox.addr_spec == "amina.diallo@example.org"
    assert "evil@attacker.example" in mailbox.display_name
    assert mail.rcpt_tos == ["amina.diallo@example.org"]


def test_campaign_programme_is_utf8_and_reads_back_with_its_dash(
    runner, make_series, make_module, smtp_sink, tmp_path
):
    series = make_series()
    make_module(series)
    path = tmp_path / "invitees.csv"
    path.write_text("name,email,organisation,country,language\n"
                    "Ada,ada@example.org,IOM,Kenya,en\n", encoding="utf-8")
    assert runner.invoke(args=["invitations", "import", str(path), "--series", series.slug]
                         ).exit_code == 0
    assert runner.invoke(args=["invitations", "send", "--series", series.slug]).exit_code == 0
    assert runner.invoke(args=["mail", "deliver"]).exit_code == 0
    (mail,) = smtp_sink.messages
    msg = mail.message
    assert mime_tree(msg) == [
        "multipart/mixed", [["multipart/alternative", ["text/plain", "text/html"]],
                            "text/calendar"],
    ]
    (programme,) = calendar_parts(msg)
    assert programme.get_filename() == "programme.ics"
    assert programme.get_content_disposition() == "attachment"
    assert programme.get_content_charset() == "utf-8"
    assert programme.get_param("method") == "PUBLISH"
    assert "Module 1 — Prevention" in programme.get_content()
    calendar = icalendar.Calendar.from_ical(programme.get_payload(decode=True))
    assert str(calendar.events[0]["SUMMARY"]).startswith("Module 1 — Prevention")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _check_encodings(mail)


def test_every_kind_of_email_is_auto_submitted_and_fully_encoded(
    client, runner, make_series, make_module, smtp_sink, tmp_path
):
    series = make_series()
    make_module(series, capacity=1)
    module2 = make_module(series)
    assert register(client, modules=["1", "2"]).status_code == 302  # invitations (REQUEST)
    assert register(client, full_name="Bob Ng", email="bob@example.org",
                    modules=["1"]).status_code == 302  # waiting list
    start = (module2.starts_at + timedelta(days=2)).astimezone(ZoneInfo("Europe/Brussels"))
    result = runner.invoke(args=["modules", "reschedule", "test-series", "2",
                                 "--start", start.strftime("%Y-%m-%dT%H:%M")])
    assert result.exit_code == 0, result.output  # module update (REQUEST, SEQUENCE 1)
    result = runner.invoke(args=["modules", "cancel", "test-series", "1"], input="y\n")
    assert result.exit_code == 0, result.output  # CANCEL, and a plain email to the waiting
    path = tmp_path / "invitees.csv"
    path.write_text("name,email,organisation,country,language\n"
                    "Chloé Dupont,chloe@example.org,OIM,France,fr\n", encoding="utf-8")
    assert runner.invoke(args=["invitations", "import", str(path), "--series", series.slug]
                         ).exit_code == 0
    assert runner.invoke(args=["invitations", "send", "--series", series.slug]).exit_code == 0
    assert runner.invoke(args=["mail", "deliver"]).exit_code == 0
    kinds = set(db.session.scalars(select(OutboxMessage.kind)))
    assert {"invitation", "waiting_list", "module_update", "module_cancelled",
            "campaign_invitation"} <= kinds, kinds
    assert len(smtp_sink.messages) == db.session.scalar(select(func.count(OutboxMessage.id)))
    methods = set()
    for mail in smtp_sink.messages:
        _check_encodings(mail)
        for part in calendar_parts(mail.message):
            methods.add(part.get_param("method"))
    assert {"REQUEST", "CANCEL", "PUBLISH"} <= methods


def test_eml_files_have_the_same_shape(app, make_series, make_module, client):
    make_module(make_series())
    assert register(client, modules=["1"]).status_code == 302
    assert deliver_due().sent == 1
    (path,) = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert mime_tree(msg) == [
        "multipart/mixed",
        [["multipart/alternative", ["text/plain", "text/html", "text/calendar"]],
         "application/ics"],
    ]
    assert msg["Auto-Submitted"] == "auto-generated"
    inline, = calendar_parts(msg)
    attachment = msg.get_payload()[1]
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)


def test_no_module_speaks_smtp_or_writes_mime_by_hand():
    root = Path(__file__).resolve().parent.parent / "webinar_app"
    offenders = []
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for needle in ("MAIL FROM", "docmd(", "sendmail(", "boundary=", '"--="', "==\\r\\n",
                       "Content-Transfer-Encoding:", "_SentMarks", "stencil"):
            if needle.lower() in source.lower():
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []
