"""`flask mail deliver [--loop]` and `flask mail bounces import PATH`."""

from __future__ import annotations

import mailbox
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from webinar_app.extensions import db
from webinar_app.outbox.bounce_reports import count_messages, import_reports
from webinar_app.outbox.mailer import deliver_round, due_count

mail_cli = AppGroup("mail", help="Deliver the emails waiting in the outbox.")
bounces_cli = AppGroup("bounces", help="Bounce reports (delivery status notifications).")
mail_cli.add_command(bounces_cli)


@bounces_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def import_bounces_command(path: Path) -> None:
    """Mark the addresses that the bounce reports in PATH (an mbox file or a Maildir
    directory) say failed for good as undeliverable; list what was skipped and why."""
    try:
        with click.progressbar(length=count_messages(path), label="Reading",
                               show_pos=True) as bar:
            result = import_reports(path, on_message=lambda: bar.update(1))
    except (OSError, ValueError, mailbox.Error) as exc:
        db.session.rollback()
        raise click.ClickException(f"Cannot read {path}: {exc}") from exc
    db.session.commit()
    for address in result.marked:
        click.echo(f"marked undeliverable: {address}")
    for what, why in result.skipped:
        click.echo(f"skipped {what}: {why}")
    click.echo(result.summary())


@mail_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every few seconds until stopped.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between runs (--loop).")
def deliver_command(loop: bool, interval: float) -> None:
    """Send what is due in the outbox, with a progress bar and a one-line count.

    With --loop, a database that goes away (restart, lost connection) is reported and tried
    again at the next round; no transaction stays open between rounds.
    """
    while True:
        due = due_count()
        counts = None
        if due is not None and (due or not loop):
            with click.progressbar(length=due, label="Delivering", show_pos=True) as bar:
                counts = deliver_round(on_result=lambda _row: bar.update(1))
            if counts is not None:
                click.echo(counts.summary())
        if due is None or (counts is None and (due or not loop)):
            message = "The database is unavailable; nothing was delivered."
            if not loop:
                raise click.ClickException(message + " Try again when it is back.")
            click.echo(f"{message} Trying again in {interval:g} s.", err=True)
        if not loop:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return
