"""Celery on Redis, when REDIS_URL is set: outbox delivery and scheduled work run on workers.

- A commit that queued emails enqueues a `deliver_outbox` task (web requests never talk SMTP).
- Beat runs `send_due_reminders` every minute and `deliver_outbox` as a sweep for retries,
  and `purge_personal_data` daily (series past their retention period).
- An organiser's confirmed invitee list runs as `run_invitee_import`; beat's
  `run_queued_invitee_imports` starts any list still waiting every minute.
- Beat runs `send_due_campaigns` every minute (invitation campaigns scheduled for a time).
- An organiser's "Build the Reader" runs as `run_reader_build`; beat's
  `run_queued_reader_builds` starts any build still waiting every minute.
- The outbox stays the source of truth: tasks carry no email, so a lost or repeated task loses
  or repeats nothing (rows are claimed under a lease and marked sent as soon as the server
  accepts them).

Worker and beat: `celery -A webinar_app.tasks.worker:celery worker` / `... beat`.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from webinar_app.models import OutboxMessage

_listeners_installed = False


def init_celery(app: Flask) -> Celery | None:
    """Bind a Celery app to the Flask app when REDIS_URL is set; None otherwise."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=url,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        task_default_queue=app.config.get("CELERY_QUEUE", "webinars"),
        timezone="UTC",
        beat_schedule={
            "send-due-reminders": {
                "task": "webinar_app.tasks.jobs.send_due_reminders",
                "schedule": timedelta(seconds=60),
            },
            "deliver-outbox": {
                "task": "webinar_app.tasks.jobs.deliver_outbox",
                "schedule": timedelta(seconds=app.config.get("CELERY_DELIVERY_SWEEP", 60)),
            },
            "purge-personal-data": {
                "task": "webinar_app.tasks.jobs.purge_personal_data",
                "schedule": crontab(hour=3, minute=17),  # daily, at a quiet hour (UTC)
            },
            "run-queued-invitee-imports": {  # a list whose task got lost (Redis away)
                "task": "webinar_app.tasks.jobs.run_queued_invitee_imports",
                "schedule": timedelta(seconds=60),
            },
            "send-due-campaigns": {  # invitation campaigns scheduled for a time
                "task": "webinar_app.tasks.jobs.send_due_campaigns",
                "schedule": timedelta(seconds=60),
            },
            "run-queued-reader-builds": {  # a Reader build whose task got lost
                "task": "webinar_app.tasks.jobs.run_queued_reader_builds",
                "schedule": timedelta(seconds=60),
            },
        },
    )
    celery.set_default()
    app.extensions["celery"] = celery
    # reason: the task modules import the features; they load only when Celery is configured
    from webinar_app.tasks import jobs  # noqa: F401  (register the tasks)

    _install_listeners()
    return celery


def _install_listeners() -> None:
    """After a commit that added outbox rows, enqueue one delivery task (once per process)."""
    global _listeners_installed
    if _listeners_installed:
        return
    _listeners_installed = True

    @event.listens_for(Session, "after_flush")
    def _note_outbox(session, _context):
        if any(isinstance(obj, OutboxMessage) for obj in session.new):
            session.info["outbox_added"] = True

    @event.listens_for(Session, "after_commit")
    def _kick_delivery(session):
        if not session.info.pop("outbox_added", False):
            return
        enqueue_delivery()

    @event.listens_for(Session, "after_rollback")
    def _forget(session):
        session.info.pop("outbox_added", None)


def enqueue_delivery() -> bool:
    """Ask a worker to deliver the outbox (beat sweeps anyway if Redis is briefly away)."""
    try:
        celery = current_app.extensions.get("celery")
    except RuntimeError:
        return False
    if celery is None:
        return False
    try:
        celery.send_task("webinar_app.tasks.jobs.deliver_outbox")
    except Exception:  # Redis away: the rows wait in the outbox for the next sweep
        current_app.logger.exception("could not enqueue outbox delivery")
        return False
    return True
