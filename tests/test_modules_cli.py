"""`flask modules reschedule|cancel|set-capacity` call the same services as the admin pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webinar_app.extensions import db
from webinar_app.registration import notifications


@pytest.fixture()
def module(make_series, make_module):
    return make_module(make_series(), starts_at=datetime(2027, 3, 2, 13, 0, tzinfo=UTC))


def refreshed(module):
    db.session.expire_all()
    return module


def test_reschedule_in_the_series_zone_bumps_the_sequence(runner, module):
    result = runner.invoke(args=["modules", "reschedule", "test-series", "1",
                                 "--start", "2027-03-09T15:30"])
    assert result.exit_code == 0, result.output
    assert "Rescheduled test-series module 1" in result.output
    assert len(result.output.strip().splitlines()) == 1
    module = refreshed(module)
    assert module.starts_at == datetime(2027, 3, 9, 14, 30, tzinfo=UTC)
    assert module.sequence == 1


def test_reschedule_with_another_zone(runner, module):
    result = runner.invoke(args=["modules", "reschedule", "test-series", "1",
                                 "--start", "2027-03-09T14:00", "--tz", "Africa/Khartoum"])
    assert result.exit_code == 0, result.output
    assert refreshed(module).starts_at == datetime(2027, 3, 9, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["modules", "reschedule", "nope", "1", "--start", "2027-03-09T14:00"], "No series"),
        (["modules", "reschedule", "test-series", "7", "--start", "2027-03-09T14:00"],
         "has no module 7"),
        (["modules", "reschedule", "test-series", "1", "--start", "tomorrow"], "YYYY-MM-DDTHH:MM"),
        (["modules", "reschedule", "test-series", "1", "--start", "2027-03-09T14:00",
          "--tz", "Mars/Base"], "Unknown time zone"),
        (["modules", "reschedule", "test-series", "1", "--start", "2027-03-09T14:00",
          "--duration", "0"], "between 1 minute and 12 hours"),
        (["modules", "set-capacity", "test-series", "1", "lots"], "not a number of seats"),
        (["modules", "cancel", "nope", "1"], "No series"),
    ],
)
def test_bad_arguments_give_a_clear_error(runner, module, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert refreshed(module).sequence == 0


def test_cancel_bumps_the_sequence(runner, module):
    result = runner.invoke(args=["modules", "cancel", "test-series", "1"])
    assert result.exit_code == 0, result.output
    assert "Cancelled test-series module 1" in result.output
    module = refreshed(module)
    assert (module.status, module.sequence) == ("cancelled", 1)
    again = runner.invoke(args=["modules", "cancel", "test-series", "1"])
    assert again.exit_code != 0 and "already cancelled" in again.output


def test_set_capacity_and_remove_the_limit(runner, module, monkeypatch):
    promoted = []
    monkeypatch.setattr(notifications, "fill_freed_seats",
                        lambda m: promoted.append(m.capacity) or 0)
    result = runner.invoke(args=["modules", "set-capacity", "test-series", "1", "50"])
    assert result.exit_code == 0, result.output
    assert "50 seats" in result.output
    assert refreshed(module).capacity == 50
    result = runner.invoke(args=["modules", "set-capacity", "test-series", "1", "none"])
    assert result.exit_code == 0 and "no limit" in result.output
    assert refreshed(module).capacity is None
    assert promoted == [None]
