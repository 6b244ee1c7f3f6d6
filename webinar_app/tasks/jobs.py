"""The Celery tasks: thin wrappers around the same services as the commands."""

from __future__ import annotations

from celery import shared_task

from webinar_app.extensions import db
from webinar_app.invitations.jobs import run_import, run_queued_imports
from webinar_app.invitations.jobs import send_due_campaigns as send_due
from webinar_app.outbox.mailer import deliver_round
from webinar_app.privacy.jobs import purge_and_commit
from webinar_app.reader.jobs import run_job, run_waiting_jobs
from webinar_app.reminders.services import queue_due_reminders


@shared_task(name="webinar_app.tasks.jobs.deliver_outbox")
def deliver_outbox() -> str:
    """Deliver every email that is due (safe in several workers at once)."""
    try:
        counts = deliver_round()  # a database error is logged; beat's sweep tries again
        return counts.summary() if counts is not None else "database unavailable"
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.send_due_reminders")
def send_due_reminders() -> str:
    """Queue the reminders due now; the commit enqueues their delivery."""
    try:
        counts = queue_due_reminders(on_batch=lambda _n: db.session.commit())
        db.session.commit()
        return counts.summary()
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.purge_personal_data")
def purge_personal_data() -> str:
    """Erase the personal data of every series past its retention period (daily, from beat)."""
    try:
        return purge_and_commit().summary()
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.run_invitee_import")
def run_invitee_import(import_id: int) -> str:
    """Import one confirmed invitee list (all or nothing); a list already taken is left."""
    try:
        return run_import(import_id) or "taken by another worker"
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.run_queued_invitee_imports")
def run_queued_invitee_imports() -> str:
    """Run the invitee lists still waiting (beat's sweep for a lost task)."""
    try:
        return f"{run_queued_imports()} imports run"
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.send_due_campaigns")
def send_due_campaigns() -> str:
    """Queue the scheduled invitation campaigns whose time has come (beat, every minute)."""
    try:
        return f"{send_due()} scheduled campaigns queued"
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.run_reader_build")
def run_reader_build(job_id: int) -> str:
    """Build the Reader an organiser asked for; a request already taken is left."""
    try:
        return run_job(job_id) or "taken by another worker"
    finally:
        db.session.remove()


@shared_task(name="webinar_app.tasks.jobs.run_queued_reader_builds")
def run_queued_reader_builds() -> str:
    """Run the Reader builds still waiting (beat's sweep for a lost task)."""
    try:
        return f"{run_waiting_jobs()} Reader builds run"
    finally:
        db.session.remove()
