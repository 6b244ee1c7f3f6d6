"""The waiting list: positions, promotion on cancellation and when capacity grows."""

from __future__ import annotations

from sqlalchemy import select

from tests.registration_helpers import (
    csrf_token,
    outbox,
    person_by_email,
    register,
    registrations_of,
    text,
    token_of,
)
from webinar_app.extensions import db
from webinar_app.models import Module
from webinar_app.registration.services import fill_freed_seats


def _full_module(client, make_series, make_module, waiting: int = 2):
    series = make_series()
    make_module(series, capacity=1)
    register(client, email="seated@example.org")
    for i in range(waiting):
        register(client, email=f"waiting{i}@example.org")
    return series


def _cancel_on_personal_page(client, email: str, number: int = 1):
    token = token_of(person_by_email(email))
    question = f"/me/{token}/modules/{number}/cancel"
    return client.post(question, data={"csrf_token": csrf_token(client, question),
                                       "confirm": "Yes, cancel my place"})


def test_cancellation_promotes_the_first_in_line_and_sends_their_invitation(
    client, make_series, make_module
):
    _full_module(client, make_series, make_module)
    response = _cancel_on_personal_page(client, "seated@example.org")
    assert response.status_code == 302

    assert registrations_of(person_by_email("seated@example.org")) == {1: "cancelled"}
    first = person_by_email("waiting0@example.org")
    assert registrations_of(first) == {1: "registered"}
    assert registrations_of(person_by_email("waiting1@example.org")) == {1: "waiting"}
    invitations = outbox("invitation", first)
    assert len(invitations) == 1 and invitations[0].calendar_method == "REQUEST"


def test_leaving_the_waiting_list_moves_the_others_up(client, make_series, make_module):
    _full_module(client, make_series, make_module, waiting=3)
    _cancel_on_personal_page(client, "waiting0@example.org")
    last = person_by_email("waiting2@example.org")
    page = text(client.get(f"/me/{token_of(last)}"))
    assert "On the waiting list, position 2" in page
    assert registrations_of(person_by_email("seated@example.org")) == {1: "registered"}
    assert registrations_of(person_by_email("waiting1@example.org")) == {1: "waiting"}


def test_more_capacity_promotes_as_many_as_seats_freed(app, client, make_series, make_module):
    _full_module(client, make_series, make_module, waiting=3)
    module = db.session.scalar(select(Module))
    module.capacity = 3
    db.session.flush()
    assert fill_freed_seats(module) == 2
    db.session.commit()
    assert registrations_of(person_by_email("waiting0@example.org")) == {1: "registered"}
    assert registrations_of(person_by_email("waiting1@example.org")) == {1: "registered"}
    assert registrations_of(person_by_email("waiting2@example.org")) == {1: "waiting"}
    assert len(outbox("invitation")) == 3


def test_set_capacity_command_promotes_from_the_waiting_list(
    client, runner, make_series, make_module
):
    _full_module(client, make_series, make_module, waiting=2)
    result = runner.invoke(args=["modules", "set-capacity", "test-series", "1", "2"])
    assert result.exit_code == 0, result.output
    assert registrations_of(person_by_email("waiting0@example.org")) == {1: "registered"}
    assert registrations_of(person_by_email("waiting1@example.org")) == {1: "waiting"}


def test_no_promotion_after_the_module_was_cancelled(client, make_series, make_module):
    _full_module(client, make_series, make_module, waiting=1)
    module = db.session.scalar(select(Module))
    module.status = "cancelled"
    module.capacity = 5
    db.session.flush()
    assert fill_freed_seats(module) == 0
    db.session.commit()
    assert registrations_of(person_by_email("waiting0@example.org")) == {1: "waiting"}


def test_a_new_registrant_never_jumps_the_line(client, make_series, make_module):
    _full_module(client, make_series, make_module, waiting=1)
    module = db.session.scalar(select(Module))
    module.capacity = 2  # raised without promoting anyone (e.g. a direct database edit)
    db.session.commit()
    register(client, email="late@example.org")
    assert registrations_of(person_by_email("waiting0@example.org")) == {1: "registered"}
    assert registrations_of(person_by_email("late@example.org")) == {1: "waiting"}
