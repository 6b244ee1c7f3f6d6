"""`flask privacy purge [--dry-run]`: erase the personal data of series past their retention."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from webinar_app.extensions import db
from webinar_app.privacy.services import purge

privacy_cli = AppGroup("privacy", help="Personal data past its retention period.")


def _parse_now(now_text: str | None) -> datetime | None:
    """The --now option as an aware UTC datetime (None: the real time)."""
    if not now_text:
        return None
    try:
        now = datetime.fromisoformat(now_text)
    except ValueError as exc:
        raise click.BadParameter(
            "use ISO 8601, e.g. 2027-03-01T13:00Z", param_hint="--now"
        ) from exc
    return now if now.tzinfo else now.replace(tzinfo=UTC)


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased; change nothing.")
@click.option("--now", "now_text", default=None, hidden=True,
              help="Pretend it is this UTC time (ISO 8601), for rehearsals and tests.")
def purge_command(dry_run: bool, now_text: str | None) -> None:
    """Erase participants', invitees' and emails' personal data of series past retention."""
    result = purge(_parse_now(now_text), dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would erase" if dry_run else "erased"
    for item in result.series:
        counts = item.counts
        click.echo(
            f"{item.slug} (due {item.erase_at:%Y-%m-%d}, {item.days} days after the last "
            f"module): {verb} {counts.describe()}; kept {counts.registrations_kept} "
            f"registrations with their attendance."
        )
    click.echo(result.summary())
