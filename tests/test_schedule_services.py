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
    monkeypatch.setattr(
        notifications, "notify_module_changed",
        lambda module, change: recorded.append(("changed", change.previous.starts_at)) or change,
    )
    monkeypatch.setattr(notifications, "notify_module_cancelled",
                        lambda module: recorded.append(("cancelled",)) or 0)
    monkeypatch.setattr(notifications, "fill_freed_seats",
                        lambda module: recorded.append(("fill", module.capacity)) or 0)
    return recorded


def test_reschedule_tells_registrants_with_the_previous_time(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start)
    assert services.reschedule_module(module, start + timedelta(days=7)).is_time_changed
    assert module.sequence == 1
    assert calls == [("changed", start)]


def test_reschedule_to_the_same_time_changes_nothing(make_series, make_module, calls):
    module = make_module(make_series())
    change = services.reschedule_module(module, module.starts_at, module.duration_minutes)
    assert not change.is_calendar_changed
    assert module.sequence == 0
    assert calls == []


def test_changing_only_the_duration_bumps_the_sequence(make_series, make_module, calls):
    module = make_module(make_series())
    services.reschedule_module(module, module.starts_at, 90)
    assert (module.duration_minutes, module.sequence) == (90, 1)


def test_reschedule_earlier_moves_a_closing_at_the_start_along(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start, registration_closes_at=start)
    change = services.reschedule_module(module, start - timedelta(days=1))
    assert module.registration_closes_at == start - timedelta(days=1)
    assert change.moved_closes_at == start - timedelta(days=1)
    assert change.moved_opens_at is None


def test_reschedule_later_moves_a_closing_at_the_start_along(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start, registration_closes_at=start)
    services.reschedule_module(module, start + timedelta(days=7))
    assert module.registration_closes_at == start + timedelta(days=7)


def test_a_closing_before_the_start_keeps_its_lead_time_when_it_would_fall_after(
    make_series, make_module, calls
):
    start = datetime(2027, 3, 9, 13, 0, tzinfo=UTC)
    closes = start - timedelta(days=2)
    opens = start - timedelta(days=30)
    module = make_module(make_series(), starts_at=start, registration_closes_at=closes,
                         registration_opens_at=opens)
    now = datetime(2027, 1, 1, tzinfo=UTC)
    change = services.reschedule_module(module, start - timedelta(days=7), now=now)
    assert module.registration_closes_at == closes - timedelta(days=7)
    assert change.moved_closes_at == closes - timedelta(days=7)
    assert module.registration_opens_at == opens


def test_a_lead_time_already_past_closes_registration_at_the_new_start(
    make_series, make_module, calls
):
    start = datetime(2027, 3, 9, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start,
                         registration_closes_at=start - timedelta(days=2))
    new_start = datetime(2027, 3, 3, 13, 0, tzinfo=UTC)
    services.reschedule_module(module, new_start, now=datetime(2027, 3, 2, 12, 0, tzinfo=UTC))
    assert module.registration_closes_at == new_start


def test_a_closing_well_before_both_starts_stays(make_series, make_module, calls):
    start = datetime(2027, 3, 9, 13, 0, tzinfo=UTC)
    closes = start - timedelta(days=10)
    module = make_module(make_series(), starts_at=start, registration_closes_at=closes)
    change = services.reschedule_module(module, start - timedelta(days=3))
    assert module.registration_closes_at == closes
    assert change.moved_closes_at is None


def test_an_opening_after_the_moved_closing_moves_too(make_series, make_module, calls):
    start = datetime(2027, 3, 9, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start, registration_closes_at=start,
                         registration_opens_at=start - timedelta(days=3))
    change = services.reschedule_module(module, start - timedelta(days=5))
    assert module.registration_closes_at == start - timedelta(days=5)
    assert module.registration_opens_at == start - timedelta(days=8)
    assert change.moved_opens_at == start - timedelta(days=8)


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
                      duration_minutes=120, status="scheduled",
                      join_url=module.join_url)
    change = services.update_module(module, data)
    assert calls == [("changed", previous)]
    assert module.sequence == 1
    assert change.is_time_changed and change.is_title_changed and not change.is_link_changed


def _edit(module, **changes) -> ModuleData:
    values = dict(
        number=module.number, title=module.title, pillar=module.pillar,
        thematic_focus=module.thematic_focus, description=module.description,
        starts_at=module.starts_at, duration_minutes=module.duration_minutes,
        status=module.status, capacity=module.capacity, join_url=module.join_url,
        registration_opens_at=module.registration_opens_at,
        registration_closes_at=module.registration_closes_at,
    )
    values.update(changes)
    return ModuleData(**values)


@pytest.mark.parametrize(
    "changes",
    [
        {"join_url": "https://teams.example.org/new"},
        {"title": "Another title"},
        {"title_fr": "Un autre titre"},
        {"pillar": "Protection"},
        {"duration_minutes": 90},
    ],
)
def test_calendar_fields_raise_the_sequence_once(make_series, make_module, calls, changes):
    module = make_module(make_series())
    change = services.update_module(module, _edit(module, **changes))
    assert change.is_calendar_changed
    assert module.sequence == 1
    assert len(calls) == 1 and calls[0][0] == "changed"


@pytest.mark.parametrize(
    "changes",
    [
        {"capacity": 40},
        {"description": "Another description"},
        {"thematic_focus": "Another focus"},
        {"status": "draft"},
    ],
)
def test_other_fields_send_nothing(make_series, make_module, calls, changes):
    module = make_module(make_series(), capacity=30)
    change = services.update_module(module, _edit(module, **changes))
    assert not change.is_calendar_changed
    assert module.sequence == 0
    assert [call for call in calls if call[0] == "changed"] == []


def test_an_edit_moving_the_start_moves_an_unchanged_closing(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start, registration_closes_at=start)
    plan = services.plan_module_update(module, _edit(module, starts_at=start - timedelta(days=2)))
    assert plan.change.moved_closes_at == start - timedelta(days=2)
    assert module.registration_closes_at == start  # planning changes nothing
    change = services.update_module(module, _edit(module, starts_at=start - timedelta(days=2)))
    assert module.registration_closes_at == start - timedelta(days=2)
    assert change.moved_closes_at == start - timedelta(days=2)


def test_an_edit_with_a_typed_closing_after_the_start_is_refused(make_series, make_module, calls):
    start = datetime(2027, 3, 2, 13, 0, tzinfo=UTC)
    module = make_module(make_series(), starts_at=start, registration_closes_at=start)
    data = _edit(module, starts_at=start - timedelta(days=2),
                 registration_closes_at=start - timedelta(days=1))
    with pytest.raises(ScheduleError) as error:
        services.update_module(module, data)
    assert error.value.field == "registration_closes_at"


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
