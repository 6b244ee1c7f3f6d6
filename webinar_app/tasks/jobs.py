"""The Celery tasks: thin wrappers around the same services as the commands."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="webinar_app.tasks.jobs.deliver_outbox")
def deliver_outbox() -> str:
    """Deliver every email that is due (safe in several workers at once)."""
    from webinar_app.extensions import db
    from webinar_app.outbox.mailer import deliver_due

    try:
        return deliver_due().summary()
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.send_due_reminders")
def send_due_reminders() -> str:
    """Queue the reminders due now; the commit enqueues their delivery."""
    from webinar_app.extensions import db
    from webinar_app.reminders.services import queue_due_reminders

    try:
        counts = queue_due_reminders(on_batch=lambda _n: db.session.commit())
        db.session.commit()
        return counts.summary()
    finally:
        db.session.remove()
