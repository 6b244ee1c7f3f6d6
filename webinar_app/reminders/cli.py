"""`flask reminders send-due`: queue every reminder that is due (safe to run every minute)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from webinar_app.extensions import db
from webinar_app.outbox.cli import deliver_command
from webinar_app.reminders.services import count_due, queue_due_reminders

reminders_cli = AppGroup("reminders", help="Reminders before each module.")


@reminders_cli.command("send-due")
@click.option("--now", "now_text", default=None, hidden=True,
              help="Pretend it is this UTC time (ISO 8601), for rehearsals and tests.")
@click.option("--no-deliver", is_flag=True, help="Only queue; leave delivery to the workers.")
def send_due_command(now_text: str | None, no_deliver: bool) -> None:
    """Queue the reminders that are due, then deliver what is due in the outbox."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter("use ISO 8601, e.g. 2027-03-01T13:00Z") from exc
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    total = count_due(now)

    def batch_done(size: int) -> None:
        db.session.commit()
        bar.update(size)

    with click.progressbar(length=total, label="Reminders", show_pos=True) as bar:
        counts = queue_due_reminders(now, on_batch=batch_done)
    db.session.commit()
    click.echo(counts.summary())
    if not no_deliver and counts.queued:
        _deliver()


def _deliver() -> None:
    if current_app.extensions.get("celery"):
        return  # the workers deliver (the commit enqueued a delivery task)
    click.get_current_context().invoke(deliver_command, loop=False, interval=5.0)
