"""What registrants are told when a module changes; called by the schedule services.

Each function queues outbox rows in the caller's transaction and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from webinar_app.extensions import db
from webinar_app.models import Module, Person, Registration, RegistrationStatus
from webinar_app.registration.emails import queue_module_cancelled, queue_module_update


def _registrations(module: Module, statuses: tuple[str, ...]) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .join(Person, Registration.person_id == Person.id)
            .where(
                Registration.module_id == module.id,
                Registration.status.in_(statuses),
                Person.erased_at.is_(None),
            )
            .order_by(Registration.id)
        )
    )


def notify_module_rescheduled(module: Module, previous_starts_at: datetime | None) -> int:
    """Queue an updated invitation (same UID, higher SEQUENCE) to everyone registered."""
    regs = _registrations(module, (RegistrationStatus.REGISTERED.value,))
    return sum(1 for reg in regs if queue_module_update(reg, previous_starts_at) is not None)


def notify_module_cancelled(module: Module) -> int:
    """Queue a cancellation to everyone registered or waiting."""
    statuses = (RegistrationStatus.REGISTERED.value, RegistrationStatus.WAITING.value)
    regs = _registrations(module, statuses)
    return sum(1 for reg in regs if queue_module_cancelled(reg) is not None)


def fill_freed_seats(module: Module) -> int:
    """Promote people from the waiting list while seats are free; return how many."""
    from webinar_app.registration.services import fill_freed_seats as _fill

    return _fill(module)
