"""Reminders before each module, through `flask reminders send-due` and the SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webinar_app.extensions import db
from webinar_app.models import ModuleStatus

START = datetime(2031, 3, 4, 13, 0, tzinfo=UTC)  # 14:00 in Brussels


def _send_due(runner, now: datetime) -> str:
    result = runner.invoke(args=["reminders", "send-due", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def _reminders(sink) -> list:
    return [m for m in sink.messages if m.message["Subject"].startswith("Reminder:")]


def _setup(make_series, make_module, make_note, make_registration):
    series = make_series()
    module = make_module(series, starts_at=START, title="Prevention first")
    make_note(module, is_prereading=True, title="Note on prevention",
              abstract="Prevention works best when communities lead it.")
    make_registration(module, email="ada@example.org", timezone="Africa/Nairobi")
    return series, module


def test_each_reminder_goes_out_once_with_join_link_abstract_and_personal_link(
    runner, make_series, make_module, make_note, make_registration, smtp_sink
):
    _setup(make_series, make_module, make_note, make_registration)
    assert "Queued 0 reminders" in _send_due(runner, START - timedelta(days=8))
    output = _send_due(runner, START - timedelta(days=7) + timedelta(minutes=1))
    assert "Queued 1 reminders; 0 already sent." in output
    assert "Queued 0 reminders; 1 already sent." in _send_due(
        runner, START - timedelta(days=7) + timedelta(minutes=2))
    _send_due(runner, START - timedelta(hours=23))
    _send_due(runner, START - timedelta(minutes=59))
    reminders = _reminders(smtp_sink)
    assert len(reminders) == 3
    text = reminders[0].message.get_body(("plain",)).get_content()
    assert "https://zoom.example.org/j/123456" in text
    assert "Prevention works best when communities lead it." in text
    assert "http://webinars.test/me/" in text
    assert "14:00" in text and "Brussels" in text and "16:00" in text  # series zone
    assert "Nairobi" in text  # and the participant's own


def test_after_a_reschedule_reminders_follow_the_new_time_and_none_for_the_old(
    runner, make_series, make_module, make_note, make_registration, smtp_sink
):
    series, module = _setup(make_series, make_module, make_note, make_registration)
    _send_due(runner, START - timedelta(days=7) + timedelta(minutes=1))
    assert len(_reminders(smtp_sink)) == 1
    result = runner.invoke(args=["modules", "reschedule", series.slug, str(module.number),
                                 "--start", "2031-03-06T10:00", "--tz", "Europe/Brussels"])
    assert result.exit_code == 0, result.output
    new_start = datetime(2031, 3, 6, 9, 0, tzinfo=UTC)
    _send_due(runner, START - timedelta(days=1) + timedelta(minutes=1))  # the old 1-day time
    assert len(_reminders(smtp_sink)) == 1
    _send_due(runner, new_start - timedelta(days=1) + timedelta(minutes=1))
    reminders = _reminders(smtp_sink)
    assert len(reminders) == 2
    text = reminders[1].message.get_body(("plain",)).get_content()
    assert "6 March 2031, 10:00–12:00 (Brussels" in text
    assert "4 March" not in text
    _send_due(runner, START - timedelta(minutes=30))  # the old 1-hour time
    assert len(_reminders(smtp_sink)) == 2


def test_after_downtime_only_the_reminder_closest_to_the_start_goes_out_and_none_once_started(
    runner, make_series, make_module, make_note, make_registration, smtp_sink
):
    _setup(make_series, make_module, make_note, make_registration)
    _send_due(runner, START - timedelta(minutes=30))
    _send_due(runner, START - timedelta(minutes=20))
    _send_due(runner, START + timedelta(minutes=5))
    reminders = _reminders(smtp_sink)
    assert len(reminders) == 1


def test_missed_reminders_are_not_sent_after_the_module_started(
    runner, make_series, make_module, make_note, make_registration, smtp_sink
):
    _setup(make_series, make_module, make_note, make_registration)
    _send_due(runner, START + timedelta(minutes=1))
    assert _reminders(smtp_sink) == []


def test_a_cancelled_module_and_waiting_list_get_no_reminder(
    runner, make_series, make_module, make_note, make_registration, smtp_sink
):
    series, module = _setup(make_series, make_module, make_note, make_registration)
    other = make_module(series, starts_at=START + timedelta(hours=2))
    make_registration(other, email="ada@example.org", status="waiting")
    module.status = ModuleStatus.CANCELLED.value
    db.session.commit()
    _send_due(runner, START - timedelta(minutes=30))
    assert _reminders(smtp_sink) == []


def test_series_offsets_are_used(runner, make_series, make_module, make_registration, smtp_sink):
    series = make_series(reminder_offsets="2880")
    module = make_module(series, starts_at=START)
    make_registration(module)
    _send_due(runner, START - timedelta(days=7) + timedelta(minutes=1))
    assert _reminders(smtp_sink) == []
    _send_due(runner, START - timedelta(days=2) + timedelta(minutes=1))
    assert len(_reminders(smtp_sink)) == 1
