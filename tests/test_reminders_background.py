"""Reminders without cron: the outbox delivery thread queues the due reminders once a minute,
and the organiser's reminders page shows, switches and sets them."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.conftest import csrf_token
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage
from webinar_app.outbox.background import start_delivery_thread
from webinar_app.reminders.jobs import MinuteReminders


def _reminders(sink) -> list:
    return [m for m in sink.messages if m.message["Subject"].startswith("Reminder:")]


def _module_in_50_minutes(runner, make_series, make_module, make_registration):
    series = make_series()
    module = make_module(series, title="Prevention first")
    make_registration(module, email="ada@example.org")
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=50)
    result = runner.invoke(args=["modules", "reschedule", series.slug, str(module.number),
                                 "--start", start.strftime("%Y-%m-%dT%H:%M"), "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    return series, module


def _run_background(app, sink, wanted: int, seconds: float = 10) -> None:
    stop = start_delivery_thread(app, interval=0.05)
    try:
        deadline = time.monotonic() + seconds
        while len(_reminders(sink)) < wanted and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        time.sleep(0.3)


def _reminder_keys() -> list[str]:
    return list(db.session.scalars(
        select(OutboxMessage.purpose_key).where(OutboxMessage.kind == "reminder")))


def _editor(make_user, login):
    login(make_user())


def test_background_thread_sends_the_one_hour_reminder_of_a_module_moved_to_start_in_50_minutes(
    app, runner, make_series, make_module, make_registration, smtp_sink
):
    _module_in_50_minutes(runner, make_series, make_module, make_registration)
    _run_background(app, smtp_sink, wanted=1)
    reminders = _reminders(smtp_sink)
    assert len(reminders) == 1
    assert reminders[0].message["To"].addresses[0].addr_spec == "ada@example.org"
    (key,) = _reminder_keys()
    assert key.split(":")[3] == "60"


def test_reminder_hook_runs_at_most_once_a_minute_and_survives_errors(
    app, runner, make_series, make_module, make_registration, monkeypatch, caplog
):
    _module_in_50_minutes(runner, make_series, make_module, make_registration)
    hook = MinuteReminders()
    assert hook(app).queued == 1
    assert hook(app) is None  # not a minute yet
    hook.next_at = 0.0

    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("webinar_app.reminders.jobs.queue_due_reminders", broken)
    assert hook(app) is None
    (record,) = [r for r in caplog.records if "reminders failed" in r.getMessage()]
    assert record.getMessage() == "reminders failed: RuntimeError: database on fire"
    assert record.exc_info is None  # one line, no traceback
    monkeypatch.undo()
    hook.next_at = 0.0
    assert hook(app).already_sent == 1  # goes on at the next minute


def test_a_reminder_switched_off_for_the_module_is_not_sent(
    app, client, runner, make_series, make_module, make_registration, make_user, login,
    smtp_sink
):
    series, module = _module_in_50_minutes(runner, make_series, make_module, make_registration)
    _editor(make_user, login)
    page = f"/admin/series/{series.slug}/reminders"
    response = client.post(f"{page}/{module.number}/60",
                           data={"enabled": "off", "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    assert "Switched off" in client.get(page).get_data(as_text=True)
    MinuteReminders()(app)
    assert _reminder_keys() == []  # and not the 1-day one in its place


def test_series_offsets_form_changes_what_is_sent_and_refuses_bad_input_next_to_the_field(
    app, client, runner, make_series, make_module, make_registration, make_user, login,
    smtp_sink
):
    series, _module = _module_in_50_minutes(runner, make_series, make_module, make_registration)
    _editor(make_user, login)
    page = f"/admin/series/{series.slug}/reminders"
    response = client.post(page, data={"offsets": "7d, soon",
                                       "csrf_token": csrf_token(client, page)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="offsets-error"' in html and "like 7d, 1d, 1h" in html
    for bad in ("", "0h", "61d", "\u00b2d", "1 week"):
        response = client.post(page, data={"offsets": bad, "csrf_token": csrf_token(client, page)})
        assert response.status_code == 422, bad
    response = client.post(page, data={"offsets": "2d, 30m",
                                       "csrf_token": csrf_token(client, page)})
    assert response.status_code == 302
    assert "2d, 30m" in client.get(page).get_data(as_text=True)
    MinuteReminders()(app)
    (key,) = _reminder_keys()
    assert key.split(":")[3] == "2880"  # 30 minutes is not due yet; 1 hour no longer exists


def test_reminders_page_shows_send_times_in_the_series_zone_and_audience(
    client, make_series, make_module, make_registration, make_user, login
):
    series = make_series()
    module = make_module(series, starts_at=datetime(2031, 3, 4, 13, 0, tzinfo=UTC))
    make_registration(module, email="ada@example.org")
    make_registration(module, email="grace@example.org")
    make_registration(module, email="waiting@example.org", status="waiting")
    _editor(make_user, login)
    assert "/reminders" in client.get(f"/admin/series/{series.slug}").get_data(as_text=True)
    html = client.get(f"/admin/series/{series.slug}/reminders").get_data(as_text=True)
    assert "7 days before" in html and "1 day before" in html and "1 hour before" in html
    assert "25 February 2031" in html and "14:00" in html  # 7 days before, Brussels time
    assert "13:00" in html  # 1 hour before
    assert "2 registered people" in html
    assert "Waiting" in html
