"""The relay's quotas across delivery processes, and throttling answers (421/451/452) that make
a message wait without failing it."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tests.conftest import csrf_token
from tests.mailsink import BusyServer, SinkHandler, SmtpSink, use_smtp
from tests.test_outbox_delivery import _loop_env, _start_loop, _stop, _wait_for
from webinar_app.extensions import db
from webinar_app.invitations.services import campaign_last_departure
from webinar_app.models import Campaign, CampaignSend, Invitee, OutboxMessage, utcnow
from webinar_app.outbox.mailer import deliver_due
from webinar_app.outbox.services import queue_email


def _queue(n: int, prefix: str = "q") -> list[OutboxMessage]:
    rows = [
        queue_email(
            kind="test", purpose_key=f"{prefix}:{i}", to_email=f"{prefix}{i}@example.org",
            to_name=f"Person {i}", language="en", subject=f"{prefix} {i}", body_text="Body",
            body_html="", sender_email="secretariat@example.org", sender_name="Secretariat",
        )
        for i in range(n)
    ]
    db.session.commit()
    return rows


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _make_due() -> None:
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()


def _sink(handler: SinkHandler | None = None) -> SmtpSink:
    sink = SmtpSink()
    if handler is not None:
        sink.handler = handler
    sink.start()
    return sink


@pytest.mark.slow
def test_two_delivery_processes_send_no_more_than_the_minute_allowance(app, database_url):
    sink = _sink()
    _queue(200)
    started = utcnow()
    env = _loop_env(database_url, sink.port, MAIL_MAX_PER_MINUTE="60", MAIL_BATCH_SIZE="25")
    loops = [_start_loop(env), _start_loop(env)]
    try:
        # seconds when quiet; the bound leaves room for a loaded machine, within the minute
        reached = _wait_for(lambda: len(sink.messages) >= 60, 45)
        if reached:
            time.sleep(3)  # both loops go round several times more (interval 0.5 s)
        arrived = len(sink.messages)
    finally:
        outputs = [_stop(p) for p in loops]
        sink.stop()
    assert reached and arrived == 60, (arrived, outputs)
    assert len({m.rcpt_tos[0] for m in sink.messages}) == 60
    rows = _rows()
    waiting = [r for r in rows if r.status != "sent"]
    assert len(waiting) == 140 and {r.status for r in waiting} == {"queued"}
    assert {r.attempts for r in waiting} == {0}
    for row in waiting:  # the next window: a minute after the first reservation, not before
        assert started + timedelta(seconds=59) < row.next_attempt_at
        assert row.next_attempt_at <= utcnow() + timedelta(seconds=60)
    assert len({r.claimed_by for r in rows if r.status == "sent"}) >= 1
    assert any("Quota used up" in output for output in outputs), outputs


def test_the_day_allowance_leaves_the_rest_for_the_next_day(app, smtp_sink):
    app.config.update(MAIL_MAX_PER_DAY=25, MAIL_BATCH_SIZE=10)
    _queue(40)
    before = utcnow()
    counts = deliver_due()
    assert counts.sent == 25 and len(smtp_sink.messages) == 25
    assert counts.quota_wait_until is not None
    assert "Quota used up" in counts.summary()
    waiting = [r for r in _rows() if r.status == "queued"]
    assert len(waiting) == 15 and {r.attempts for r in waiting} == {0}
    for row in waiting:
        assert before + timedelta(hours=23, minutes=59) < row.next_attempt_at
        assert row.next_attempt_at <= utcnow() + timedelta(days=1)
    _make_due()  # even when due again, the day's allowance is spent: nothing goes
    assert deliver_due().sent == 0 and len(smtp_sink.messages) == 25


def test_no_quota_means_no_limit(app, smtp_sink):
    assert app.config["MAIL_MAX_PER_MINUTE"] is None and app.config["MAIL_MAX_PER_DAY"] is None
    _queue(30)
    assert deliver_due().sent == 30


@pytest.mark.parametrize("at,reply", [
    ("RCPT", "451 4.7.1 Rate limited, try again later"),
    ("RCPT", "452 4.5.3 Too many recipients"),
    ("MAIL", "451 4.3.2 System not accepting messages now"),
    ("DATA", "451 4.3.0 Try again later"),
])
def test_a_throttling_answer_delays_without_failing(app, at, reply):
    handler = SinkHandler()
    handler.answer_first(1, reply, at=at)
    sink = _sink(handler)
    use_smtp(app, sink.port)
    app.config["MAIL_MAX_ATTEMPTS"] = 1  # a failed attempt would fail the message at once
    try:
        _queue(1)
        counts = deliver_due()
        assert (counts.sent, counts.failed, counts.deferred) == (0, 0, 1)
        (row,) = _rows()
        assert row.status == "queued" and row.attempts == 0 and row.deferrals == 1
        assert reply.split()[0] in row.last_error
        assert row.next_attempt_at > utcnow() + timedelta(seconds=50)  # back-off
        assert sink.messages == []
        _make_due()
        assert deliver_due().sent == 1
        (row,) = _rows()
        assert row.status == "sent" and row.attempts == 1
        assert [m.rcpt_tos for m in sink.messages] == [["q0@example.org"]]
    finally:
        sink.stop()


def test_421_closes_the_batch_and_the_rest_waits_untried(app):
    handler = SinkHandler()
    handler.answer_first(1, "421 4.7.0 Too many messages, closing", at="DATA")
    sink = _sink(handler)
    use_smtp(app, sink.port)
    try:
        _queue(3)
        counts = deliver_due()
        assert (counts.sent, counts.failed, counts.deferred) == (0, 0, 1)
        rows = _rows()
        assert [r.status for r in rows] == ["queued"] * 3
        assert [r.attempts for r in rows] == [0, 0, 0]
        assert [r.deferrals for r in rows] == [1, 0, 0]
        assert all(r.next_attempt_at > utcnow() + timedelta(seconds=50) for r in rows)
        _make_due()
        assert deliver_due().sent == 3
    finally:
        sink.stop()


def test_421_at_connect_defers_every_message_without_using_attempts(app):
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    with BusyServer() as busy:
        use_smtp(app, busy.port)
        _queue(2)
        counts = deliver_due()
    assert (counts.sent, counts.failed, counts.retrying, counts.deferred) == (0, 0, 0, 2)
    rows = _rows()
    assert [(r.status, r.attempts, r.deferrals) for r in rows] == [("queued", 0, 1)] * 2
    assert all("421" in r.last_error for r in rows)
    sink = _sink()
    use_smtp(app, sink.port)
    try:
        _make_due()
        assert deliver_due().sent == 2
    finally:
        sink.stop()


def test_campaign_page_shows_figures_and_when_the_last_should_leave(
    app, client, make_user, login, make_series, make_module
):
    app.config["MAIL_MAX_PER_MINUTE"] = 10
    series = make_series()
    make_module(series)
    campaign = Campaign(series=series, title="Invitation", module_numbers="")
    db.session.add(campaign)
    db.session.commit()
    _queue(7, "other")  # queued before the campaign: they leave first
    rows = _queue(30, "c")
    statuses = ["sent"] * 4 + ["failed"] + ["undeliverable"] * 2 + ["queued"] * 23
    for index, (row, status) in enumerate(zip(rows, statuses, strict=True)):
        row.status = status
        invitee = Invitee(series=series, email=row.to_email, full_name=f"P {index}",
                          token_salt=f"s{index}", token_hash=f"h{index}")
        db.session.add(invitee)
        db.session.flush()
        db.session.add(CampaignSend(campaign_id=campaign.id, invitee_id=invitee.id,
                                    outbox_message_id=row.id))
    db.session.commit()
    login(make_user())
    url = f"/admin/series/{series.slug}/invitations/campaigns/{campaign.id}"
    page = client.get(url).get_data(as_text=True)
    figures = dict(zip(
        [label.strip() for label in _between_all(page, "<dt>", "</dt>")],
        [value.strip() for value in _between_all(page, "<dd>", "</dd>")], strict=False))
    assert figures["Sent"] == "4" and figures["Waiting"] == "23"
    assert figures["Failed"] == "1" and figures["Not sent: undeliverable"] == "2"
    assert "configured rate" in figures["Last one leaves"]
    expected = utcnow() + timedelta(minutes=3)  # 7 + 23 waiting, at 10 a minute
    departure = campaign_last_departure(campaign)
    assert abs((departure - expected).total_seconds()) < 5
    assert departure.astimezone(ZoneInfo(series.timezone)).strftime("%H:%M") in figures[
        "Last one leaves"]
    assert "not sent: undeliverable" in page
    app.config["MAIL_MAX_PER_MINUTE"] = None
    assert "Last one leaves" not in client.get(url).get_data(as_text=True)
    assert csrf_token(client, url)  # the page still offers its forms


def _between_all(text: str, start: str, end: str) -> list[str]:
    parts = text.split(start)[1:]
    return [part.split(end, 1)[0] for part in parts]
