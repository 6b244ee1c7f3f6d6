"""The raw MIME the outbox writes: headers and bodies as the email package reads them back."""

from __future__ import annotations

import re

from sqlalchemy import select

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


def _queue(i: int, name: str, **overrides):
    values = dict(
        kind="test", purpose_key=f"mime:{i}", to_email=f"person{i}@example.org", to_name=name,
        language="fr", subject="Invitation : « les 4P » revisités — a subject long enough to fold",
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
        assert msg["Subject"] == "Invitation : « les 4P » revisités — a subject long enough to fold"
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
