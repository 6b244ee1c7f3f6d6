"""`flask mail deliver [--loop]`."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="Deliver the emails waiting in the outbox.")


@mail_cli.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering every few seconds until stopped.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between runs (--loop).")
def deliver_command(loop: bool, interval: float) -> None:
    """Send what is due in the outbox, with a progress bar and a one-line count."""
    from webinar_app.outbox.mailer import deliver_due
    from webinar_app.outbox.services import count_due

    while True:
        due = count_due()
        if due or not loop:
            with click.progressbar(length=due, label="Delivering", show_pos=True) as bar:
                counts = deliver_due(on_result=lambda _row: bar.update(1))
            click.echo(counts.summary())
        if not loop:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return
