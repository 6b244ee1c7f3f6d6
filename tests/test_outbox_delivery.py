"""Delivery that survives its own faults: leases, dropped connections, lost databases, and two
delivery processes against a slow server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from config import Config
from tests.mailsink import SinkHandler, SmtpSink, use_smtp
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, utcnow
from webinar_app.outbox import services
from webinar_app.outbox.mailer import deliver_batch, deliver_due
from webinar_app.outbox.services import DeliveryCounts, claim_due, queue_email

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def _queue(n: int, prefix: str = "m") -> list[OutboxMessage]:
    rows = [
        queue_email(
            kind="test", purpose_key=f"{prefix}:{i}", to_email=f"{prefix}{i}@example.org",
            to_name=f"Person {i}", language="en", subject=f"{prefix} {i}",
            body_text="Body é", body_html="<p>Body é</p>",
            sender_email="secretariat@example.org", sender_name="Secretariat",
        )
        for i in range(n)
    ]
    db.session.commit()
    return rows


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


class DroppingHandler(SinkHandler):
    """Accepts messages, but drops the connection instead of answering the n-th."""

    def __init__(self, drop_at: int) -> None:
        super().__init__()
        self.drop_at = drop_at
        self.seen = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.seen += 1
        if self.seen == self.drop_at:
            server.transport.close()
            return "421 going away"
        return await super().handle_DATA(server, session, envelope)


class SlowHandler(SinkHandler):
    """Takes `seconds` to accept each message (connections are served concurrently)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(self.seconds)
        return await super().handle_DATA(server, session, envelope)


def _sink(handler: SinkHandler) -> SmtpSink:
    sink = SmtpSink()
    sink.handler = handler
    sink.start()
    return sink


def test_a_dropped_connection_costs_an_attempt_only_to_the_message_in_flight(app):
    sink = _sink(DroppingHandler(drop_at=3))
    use_smtp(app, sink.port)
    try:
        _queue(5)
        counts = deliver_due()
        assert (counts.sent, counts.failed, counts.retrying) == (2, 0, 1)
        rows = _rows()
        assert [r.status for r in rows] == ["sent", "sent", "queued", "queued", "queued"]
        assert [r.attempts for r in rows] == [1, 1, 1, 0, 0]
        in_flight, untried = rows[2], rows[3:]
        assert in_flight.next_attempt_at > utcnow() + timedelta(seconds=50)  # back-off
        assert in_flight.last_error
        for row in untried:  # back in the queue as they were, due within seconds
            assert row.next_attempt_at <= utcnow() + timedelta(seconds=6)
            assert row.last_error == "" and row.lease_until is None
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([r.id for r in untried]))
            .values(next_attempt_at=utcnow())
        )
        db.session.commit()
        assert deliver_due().sent == 2
        assert sorted(m.message["Subject"] for m in sink.messages) == ["m 0", "m 1", "m 3", "m 4"]
    finally:
        sink.stop()


def test_a_row_whose_lease_ran_out_and_was_taken_is_neither_sent_nor_marked(app, smtp_sink):
    _queue(3)
    first = claim_due(10, "worker-a:1:aa")
    assert {r.claimed_by for r in first} == {"worker-a:1:aa"}
    assert claim_due(10, "worker-b:2:bb") == []  # leased
    db.session.execute(update(OutboxMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    second = claim_due(2, "worker-b:2:bb")  # worker a looks dead: b takes two rows
    assert len(second) == 2
    counts = DeliveryCounts()
    deliver_batch(first, counts)  # worker a wakes up: sends only the row still its own
    assert counts.sent == 1
    assert [m.message["Subject"] for m in smtp_sink.messages] == ["m 2"]
    (stale,) = [r for r in first if r.id == second[0].id]
    assert services.record_sent(stale) == (False, False)  # a's mark of b's row writes nothing
    deliver_batch(second, counts)
    assert sorted(m.message["Subject"] for m in smtp_sink.messages) == ["m 0", "m 1", "m 2"]
    assert [r.status for r in _rows()] == ["sent", "sent", "sent"]


def test_a_dead_workers_rows_are_due_again_within_two_minutes(app):
    assert timedelta(seconds=Config.MAIL_STALE_SENDING_SECONDS) <= timedelta(minutes=2)
    app.config["MAIL_STALE_SENDING_SECONDS"] = Config.MAIL_STALE_SENDING_SECONDS
    _queue(1)
    before = utcnow()
    (row,) = claim_due(10, "dead:1:00")
    assert before < row.lease_until <= before + timedelta(minutes=2)
    assert services.count_due() == 0
    db.session.execute(update(OutboxMessage).values(lease_until=utcnow()))
    db.session.commit()
    assert services.count_due() == 1


def test_deliver_loop_survives_a_database_error(app, smtp_sink, runner, monkeypatch):
    import webinar_app.outbox.cli as cli

    real_claim = services.claim_due
    failures = []

    def failing_once(limit, claimed_by=None):
        if not failures:
            failures.append(1)
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real_claim(limit, claimed_by)

    naps = []

    def fake_sleep(seconds):
        naps.append(seconds)
        if len(naps) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(services, "claim_due", failing_once)
    monkeypatch.setattr(cli.time, "sleep", fake_sleep)
    _queue(2)
    result = runner.invoke(args=["mail", "deliver", "--loop", "--interval", "0.01"])
    assert result.exit_code == 0, result.output
    assert "database is unavailable" in result.output
    assert "Sent 2, failed 0, retrying 0." in result.output
    assert len(smtp_sink.messages) == 2


def _loop_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "FLASK_", "REDIS", "TEST_", "DATABASE_"))}
    env.update(DATABASE_URL=database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port),
               BASE_URL="http://webinars.test", MAIL_OUTBOX_DIR=str(ROOT / "instance" / "x"),
               FLASK_APP="wsgi:app", PYTHONUNBUFFERED="1", **extra)
    return env


def _start_loop(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [FLASK, "mail", "deliver", "--loop", "--interval", "0.5"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.slow
def test_two_delivery_processes_and_a_slow_server_never_send_twice(app, database_url):
    """Five seconds a message, leases of twelve: a batch outlives its first lease."""
    sink = _sink(SlowHandler(5))
    _queue(6)
    env = _loop_env(database_url, sink.port, MAIL_STALE_SENDING_SECONDS="12")
    loops = [_start_loop(env), _start_loop(env)]
    outputs = []
    try:
        assert _wait_for(lambda: len(sink.messages) >= 6, 40), [m.rcpt_tos for m in sink.messages]
        time.sleep(1)
    finally:
        outputs = [_stop(p) for p in loops]
        sink.stop()
    arrivals = Counter(m.rcpt_tos[0] for m in sink.messages)
    assert len(arrivals) == 6, outputs
    assert max(arrivals.values()) == 1, (arrivals, outputs)
    rows = _rows()
    assert {r.status for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}
    assert len({r.claimed_by for r in rows}) >= 2  # a lease ran out mid-batch: work was shared


@pytest.mark.postgres
@pytest.mark.slow
def test_deliver_loop_goes_on_after_its_database_connection_is_killed(app, database_url):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's; set TEST_DATABASE_URL to run this")
    name = f"mail-loop-{os.getpid()}"
    separator = "&" if "?" in database_url else "?"
    sink = _sink(SinkHandler())
    env = _loop_env(f"{database_url}{separator}application_name={name}", sink.port)
    loop = _start_loop(env)
    output = ""

    def backends(state: str | None = None) -> int:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
        if state:
            query += " AND state = :state"
        value = db.session.scalar(text(query), {"name": name, "state": state})
        db.session.rollback()
        return value

    try:
        _queue(1, "before")
        assert _wait_for(lambda: len(sink.messages) == 1, 30)
        assert _wait_for(lambda: backends() >= 1, 10)
        for _ in range(5):  # idle between rounds: no transaction left open
            assert backends("idle in transaction") == 0
            time.sleep(0.3)
        killed = db.session.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = :name"), {"name": name})
        db.session.commit()
        assert killed >= 1
        time.sleep(1)
        _queue(2, "after")
        assert _wait_for(lambda: len(sink.messages) == 3, 30)
        assert loop.poll() is None
    finally:
        output = _stop(loop)
        sink.stop()
    assert sorted(m.message["Subject"] for m in sink.messages) == [
        "after 0", "after 1", "before 0"], output


def test_flask_mail_reconnects_after_mail_max_emails(app, smtp_sink, monkeypatch):
    import smtplib

    opened = []
    original = smtplib.SMTP.__init__

    def counting_init(self, *args, **kwargs):
        opened.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", counting_init)
    app.config["MAIL_MAX_EMAILS"] = 2
    _queue(5)
    assert deliver_due().sent == 5
    assert len(opened) == 3  # 2 + 2 + 1 messages
    assert sorted(m.message["Subject"] for m in smtp_sink.messages) == [f"m {i}" for i in range(5)]


def test_an_internationalised_domain_goes_out_and_a_local_part_fails_with_a_reason(app):
    """Flask-Mail 0.10 puts IDNA domains in the envelope, but refuses a non-ASCII local part."""
    from aiosmtpd.controller import Controller

    handler = SinkHandler()
    sink = SmtpSink()
    sink.handler = handler
    sink.controller = Controller(handler, hostname="127.0.0.1", port=sink.port,
                                 enable_SMTPUTF8=True)
    sink.controller.start()
    use_smtp(app, sink.port)
    try:
        for key, address in (("idn", "pat@exämple.org"), ("eai", "josé@example.org")):
            queue_email(kind="test", purpose_key=key, to_email=address,
                        to_name='Pat, "Jo" Ñandú', language="es", subject="Hola",
                        body_text="Cuerpo", body_html="<p>Cuerpo</p>",
                        sender_email="secretariat@example.org", sender_name="Secretariat")
        db.session.commit()
        counts = deliver_due()
    finally:
        sink.stop()
    assert (counts.sent, counts.failed) == (1, 1)
    (mail,) = sink.messages
    assert mail.rcpt_tos == ["pat@xn--exmple-cua.org"]
    headers = email.message_from_string(mail.raw.decode("utf-8"), policy=email.policy.default)
    (mailbox,) = headers["To"].addresses  # UTF-8 headers (SMTPUTF8)
    assert (mailbox.display_name, mailbox.addr_spec) == ('Pat, "Jo" Ñandú', "pat@exämple.org")
    failed = [r for r in _rows() if r.status == "failed"]
    assert [r.to_email for r in failed] == ["josé@example.org"]
    assert "not ASCII" in failed[0].last_error
