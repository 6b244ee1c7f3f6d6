"""The due reminders from the outbox delivery thread (`make run`); Celery beat runs them with
REDIS_URL (`webinar_app.tasks.jobs.send_due_reminders`)."""

from __future__ import annotations

import contextlib
import time

from flask import Flask

from webinar_app.core.dberrors import DATABASE_UNAVAILABLE
from webinar_app.extensions import db
from webinar_app.reminders.services import ReminderCounts, queue_due_reminders

REMINDER_INTERVAL_SECONDS = 60.0


def send_due_and_commit() -> ReminderCounts:
    """Queue the reminders due now, committing each batch (the same service as the command)."""
    try:
        counts = queue_due_reminders(on_batch=lambda _n: db.session.commit())
        db.session.commit()
        return counts
    except Exception:
        with contextlib.suppress(*DATABASE_UNAVAILABLE):
            db.session.rollback()
        raise


class MinuteReminders:
    """A background hook: queues the due reminders at most once per interval; never raises."""

    __name__ = "send_due_reminders"

    def __init__(self, interval: float = REMINDER_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.next_at = 0.0

    def __call__(self, app: Flask) -> ReminderCounts | None:
        """Queue what is due if the interval has passed; log one line on failure."""
        if time.monotonic() < self.next_at:
            return None
        self.next_at = time.monotonic() + self.interval
        with app.app_context():
            try:
                counts = send_due_and_commit()
                if counts.queued:
                    app.logger.info("reminders: %s", counts.summary())
                return counts
            except Exception as exc:  # the next run tries again; nothing half-done committed
                app.logger.error("reminders failed: %s: %s", type(exc).__name__, exc)
                return None
            finally:
                db.session.remove()
