"""What registrants are told when a module changes; called by the schedule services.

Each function queues outbox rows in the caller's transaction and never commits.
"""

from __future__ import annotations

from sqlalchemy import select

from webinar_app.core.module_changes import ModuleChange
from webinar_app.extensions import db
from webinar_app.models import Module, ModuleStatus, Person, Registration, RegistrationStatus
from webinar_app.registration.emails import (
    queue_module_cancelled,
    queue_module_update,
    queue_waiting_module_moved,
)
from webinar_app.registration.services import fill_freed_seats as _fill


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


def people_to_tell(module: Module) -> tuple[list[Registration], list[Registration]]:
    """(registered, waiting): whom a change of the module concerns, in registration order."""
    registered = _registrations(module, (RegistrationStatus.REGISTERED.value,))
    waiting = _registrations(module, (RegistrationStatus.WAITING.value,))
    return registered, waiting


def people_to_email(
    module: Module, change: ModuleChange
) -> tuple[list[Registration], list[Registration]]:
    """(registered, waiting) who get an email about this change (see notify_module_changed);
    nobody for a module without a time, cancelled or already held."""
    if change.current.starts_at is None or module.status in (
        ModuleStatus.CANCELLED, ModuleStatus.HELD
    ) or not change.is_calendar_changed:
        return [], []
    registered, waiting = people_to_tell(module)
    registered = [r for r in registered if change.matters_in(r.person.language or "en")]
    return registered, waiting if change.is_time_changed else []


def notify_module_changed(module: Module, change: ModuleChange) -> ModuleChange:
    """Registrants get an updated invitation (same UID, higher SEQUENCE) saying what changed;
    people on the waiting list get a plain email when the time changed, never a calendar.

    Records on `change` how many emails were queued.
    """
    registered, waiting = people_to_email(module, change)
    change.registered_emailed = sum(
        1 for reg in registered if queue_module_update(reg, change) is not None
    )
    change.waiting_emailed = sum(
        1 for reg in waiting if queue_waiting_module_moved(reg, change) is not None
    )
    return change


def notify_module_cancelled(module: Module) -> int:
    """Registrants get a CANCEL; people on the waiting list a plain email (they hold no entry)."""
    registered, waiting = people_to_tell(module)
    return sum(1 for reg in registered + waiting if queue_module_cancelled(reg) is not None)


def fill_freed_seats(module: Module) -> int:
    """Promote people from the waiting list while seats are free; return how many."""
    return _fill(module)
