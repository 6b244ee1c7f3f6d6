"""The schedule services tell registrants about changes and keep the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webinar_app.registration import notifications
from webinar_app.schedule import services
from webinar_app.schedule.services import ModuleData, ScheduleError, SeriesData


@pytest.fixture()
def calls(monkeypatch):
    """Record what the schedule services ask the notification hooks to do."""
    recorded: list[tuple] = []
    monkeypatch.setattr(notifications, "notify_module_rescheduled",
                        lambda module, previous: recorded.append(("rescheduled", previous)) or 0)
    monkeypatch.setattr(notifications, "notify_module_cancelled",
                        lambda module: recorded.append(("cancelled",)) or 0)
    monkeypatch.setattr(notifications, "fill_freed_seats",
                        lambda module: recorded.append(("fill", module.capacity)) or 0)
    return recorded


def test_reschedule_tells_registrants_with_the_previous_time(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start)
    assert services.reschedule_module(module, start + timedelta(days=7)) is True
    assert module.sequence == 1
    assert calls == [("rescheduled", start)]


def test_reschedule_to_the_same_time_changes_nothing(make_series, make_module, calls):
    module = make_module(make_series())
    assert services.reschedule_module(module, module.starts_at, module.duration_minutes) is False
    assert module.sequence == 0
    assert calls == []


def test_changing_only_the_duration_bumps_the_sequence(make_series, make_module, calls):
    module = make_module(make_series())
    services.reschedule_module(module, module.starts_at, 90)
    assert (module.duration_minutes, module.sequence) == (90, 1)


def test_reschedule_before_registration_closes_is_refused(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start, registration_closes_at=start)
    with pytest.raises(ScheduleError) as error:
        services.reschedule_module(module, start - timedelta(days=1))
    assert error.value.field == "registration_closes_at"


def test_cancel_tells_registrants_and_cannot_happen_twice(make_series, make_module, calls):
    module = make_module(make_series())
    services.cancel_module(module)
    assert (module.status, module.sequence, calls) == ("cancelled", 1, [("cancelled",)])
    with pytest.raises(ScheduleError):
        services.cancel_module(module)
    with pytest.raises(ScheduleError):
        services.reschedule_module(module, module.starts_at + timedelta(days=1))


def test_more_seats_or_no_limit_fill_the_waiting_list(make_series, make_module, calls):
    module = make_module(make_series(), capacity=10)
    services.set_capacity(module, 5)
    assert calls == []
    services.set_capacity(module, 12)
    services.set_capacity(module, None)
    assert calls == [("fill", 12), ("fill", None)]
    with pytest.raises(ScheduleError):
        services.set_capacity(module, -1)


def test_update_module_routes_a_new_time_through_reschedule(make_series, make_module, calls):
    module = make_module(make_series())
    previous = module.starts_at
    data = ModuleData(number=1, title="New", starts_at=previous + timedelta(hours=1),
                      duration_minutes=120, status="scheduled")
    services.update_module(module, data)
    assert calls == [("rescheduled", previous)]
    assert module.sequence == 1


@pytest.mark.parametrize("slug", ["Upper", "with space", "tr-", "-lead", "a--b", "ça", "new"])
def test_slug_rule(app, slug):
    with pytest.raises(ScheduleError) as error:
        services.create_series(SeriesData(slug=slug, title="T", timezone="UTC"))
    assert error.value.field == "slug"


def test_speaker_lines_are_parsed_with_optional_names():
    speakers = services.parse_speaker_lines("A | Chair | IOM\n\n | Expert | UNODC")
    assert [(s.name, s.role, s.organisation) for s in speakers] == [
        ("A", "Chair", "IOM"), ("", "Expert", "UNODC")]
    with pytest.raises(ScheduleError, match="Line 1"):
        services.parse_speaker_lines(" |  | ")
