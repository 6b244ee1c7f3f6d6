"""The durable outbox: retries with back-off, nothing lost, nothing sent twice."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select, text, update

from tests.mailsink import SmtpSink, free_port, use_smtp
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, OutboxStatus, utcnow
from webinar_app.outbox.background import start_delivery_thread
from webinar_app.outbox.mailer import deliver_due
from webinar_app.outbox.services import OutboxError, claim_due, queue_email


def _queue(n: int = 1, to: str = "ada@example.org", **overrides) -> list[OutboxMessage]:
    rows = []
    for i in range(n):
        values = dict(
            kind="test",
            purpose_key=f"test:{to}:{i}",
            to_email=to,
            to_name="Ada Lovelace",
            language="en",
            subject=f"Hello {i}",
            body_text="Plain text body é",
            body_html="<p>HTML body é</p>",
            sender_email="secretariat@example.org",
            sender_name="Secretariat",
        )
        values.update(overrides)
        rows.append(queue_email(**values))
    db.session.commit()
    return rows


def _make_due() -> None:
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()


def _statuses() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_server_down_keeps_emails_queued_then_each_arrives_once(app):
    sink = SmtpSink()  # not started: connections are refused
    use_smtp(app, sink.port)
    _queue(3)
    counts = deliver_due()
    assert (counts.sent, counts.failed, counts.retrying) == (0, 0, 3)
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    for row in rows:
        assert row.status == OutboxStatus.QUEUED
        assert row.attempts == 1
        assert "cannot reach" in row.last_error
        assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert deliver_due().total == 0  # not due yet: back-off
    sink.start()
    try:
        _make_due()
        counts = deliver_due()
        assert counts.sent == 3
        assert deliver_due().total == 0
        _make_due()
        assert deliver_due().total == 0  # sent rows are never due again
        assert sorted(m.message["Subject"] for m in sink.messages) == [
            "Hello 0",
            "Hello 1",
            "Hello 2",
        ]
    finally:
        sink.stop()
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"sent"}
    assert all(r.sent_at is not None and r.message_id for r in rows)
    assert {m.message["Message-ID"] for m in sink.messages} == {r.message_id for r in rows}


def test_back_off_doubles_with_each_attempt(app):
    use_smtp(app, free_port())
    _queue(1)
    delays = []
    for _ in range(4):
        before = utcnow()
        deliver_due()
        db.session.expire_all()
        row = db.session.scalars(select(OutboxMessage)).one()
        delays.append(round((row.next_attempt_at - before).total_seconds() / 60))
        _make_due()
    assert delays == [1, 2, 4, 8]


def test_temporary_refusal_fails_after_the_last_attempt(app, smtp_sink):
    """A 4xx that is not throttling (421/451/452 are: tests/test_outbox_quota.py)."""
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_sink.refuse["busy@example.org"] = "450 4.2.1 Mailbox busy, try again later"
    _queue(1, to="busy@example.org")
    _queue(1, to="fine@example.org")
    outcomes = []
    for _ in range(3):
        counts = deliver_due()
        outcomes.append((counts.sent, counts.failed, counts.retrying))
        _make_due()
    assert outcomes == [(1, 0, 1), (0, 0, 1), (0, 1, 0)]
    row = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_email == "busy@example.org")
    )
    assert row.status == "failed" and row.attempts == 3
    assert "450" in row.last_error
    assert [m.rcpt_tos for m in smtp_sink.messages] == [["fine@example.org"]]


def test_permanent_refusal_fails_at_once(app, smtp_sink):
    smtp_sink.refuse["nobody@example.org"] = "550 5.1.1 No such user"
    _queue(1, to="nobody@example.org")
    counts = deliver_due()
    assert counts.failed == 1
    assert _statuses() == ["failed"]


def test_batch_goes_over_one_connection(app, smtp_sink, monkeypatch):
    import smtplib

    opened = []
    original = smtplib.SMTP.__init__

    def counting_init(self, *args, **kwargs):
        opened.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", counting_init)
    _queue(5)
    assert deliver_due().sent == 5
    assert len(opened) == 1
    assert len(smtp_sink.messages) == 5


def test_eml_files_are_written_without_a_mail_server(app):
    assert app.config["MAIL_SERVER"] is None
    _queue(2)
    counts = deliver_due()
    assert counts.sent == 2
    files = sorted(os.listdir(app.config["MAIL_OUTBOX_DIR"]))
    assert len(files) == 2 and all(f.endswith(".eml") for f in files)
    with open(os.path.join(app.config["MAIL_OUTBOX_DIR"], files[0]), "rb") as fh:
        msg = message_from_bytes(fh.read(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == "ada@example.org"
    assert msg.get_body(("plain",)).get_content().strip() == "Plain text body é"
    assert _statuses() == ["sent", "sent"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("subject", "Hello\r\nBcc: evil@example.com"),
        ("to_name", "Eve\nBcc: evil@example.com"),
        ("to_email", "eve@example.com\r\nBcc: evil@example.com"),
        ("sender_name", "Sec\rX: y"),
        ("to_email", "not-an-address"),
    ],
)
def test_header_values_with_line_breaks_or_bad_addresses_are_refused(app, field, value):
    with pytest.raises(OutboxError):
        _queue(1, **{field: value})
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_recipient_address_is_normalised(app):
    (row,) = _queue(1, to="Ada@EXAMPLE.org")
    assert row.to_email == "Ada@example.org"


def test_long_lines_are_quoted_printable(app, smtp_sink):
    _queue(1, body_html="<p>" + "x" * 5000 + "</p>", body_text="y" * 3000)
    assert deliver_due().sent == 1
    raw = smtp_sink.messages[0].raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert smtp_sink.messages[0].message.get_body(("plain",)).get_content().strip() == "y" * 3000


def test_flask_mail_deliver_shows_a_count(app, smtp_sink, runner):
    _queue(2)
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, failed 0, retrying 0." in result.output
    assert len(smtp_sink.messages) == 2
    result = runner.invoke(args=["mail", "deliver"])
    assert "Sent 0, failed 0, retrying 0." in result.output


def test_stale_sending_rows_are_taken_again(app, smtp_sink):
    _queue(1)
    db.session.execute(
        update(OutboxMessage).values(status="sending", updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    assert deliver_due().sent == 1


def test_background_thread_delivers_without_a_separate_process(app, smtp_sink):
    _queue(2)
    stop = start_delivery_thread(app, interval=0.1)
    try:
        deadline = time.monotonic() + 10
        while len(smtp_sink.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        time.sleep(0.3)
    assert len(smtp_sink.messages) == 2


def test_parallel_workers_never_send_a_row_twice(app, smtp_sink):
    app.config["MAIL_BATCH_SIZE"] = 5
    _queue(40)
    errors = []

    def worker():
        with app.app_context():
            try:
                deliver_due()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    subjects = [m.message["Subject"] for m in smtp_sink.messages]
    assert len(subjects) == 40 and len(set(subjects)) == 40
    db.session.expire_all()
    assert set(_statuses()) == {"sent"}


@pytest.mark.postgres
def test_claim_skips_rows_locked_by_another_worker(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; set TEST_DATABASE_URL to run this")
    rows = _queue(3)
    locked_id = rows[0].id
    with db.engine.connect() as other:
        other.execute(
            text("SELECT id FROM outbox_message WHERE id = :id FOR UPDATE"), {"id": locked_id}
        )
        claimed = claim_due(10)  # would block without SKIP LOCKED
        assert sorted(r.id for r in claimed) == sorted(r.id for r in rows[1:])
        other.rollback()
    assert [r.id for r in claim_due(10)] == [locked_id]


def test_flask_mail_deliver_loop_keeps_running_until_stopped(app, smtp_sink, runner, monkeypatch):
    import webinar_app.outbox.cli as cli

    naps = []

    def fake_sleep(seconds):
        naps.append(seconds)
        if len(naps) == 1:
            _queue(1, to="later@example.org")
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.time, "sleep", fake_sleep)
    _queue(1)
    result = runner.invoke(args=["mail", "deliver", "--loop", "--interval", "0.01"])
    assert result.exit_code == 0, result.output
    assert result.output.count("Sent 1, failed 0, retrying 0.") == 2
    assert len(smtp_sink.messages) == 2


def test_duplicate_key_race_is_absorbed_by_a_savepoint(app, make_series, monkeypatch):
    """Two requests that both passed the SELECT: the second insert fails in its SAVEPOINT only."""
    import webinar_app.outbox.services as services

    series = make_series()
    _queue(1)
    monkeypatch.setattr(services, "is_queued", lambda key: False)
    series.title = "Changed in the same transaction"
    assert _queue(1) == [None]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert db.session.get(type(series), series.id).title == "Changed in the same transaction"
