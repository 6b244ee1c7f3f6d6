"""`flask invitations import CSV --series SLUG [--dry-run]`, `flask invitations send` and
`flask invitations send-due` (the scheduled campaigns, for cron)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from webinar_app.core.cli import DB_INT
from webinar_app.core.csv import decode_text
from webinar_app.extensions import db
from webinar_app.invitations.csvfile import BadRow, UnreadableFile, read_invitees
from webinar_app.invitations.jobs import run_queued_imports, send_due_campaigns
from webinar_app.invitations.sending import send_campaign
from webinar_app.invitations.services import (
    InvitationError,
    campaign_in_series,
    count_audience,
    create_campaign,
    create_reminder,
    import_rows,
    list_campaigns,
    start_sending,
)
from webinar_app.models import Series

invitations_cli = AppGroup("invitations", help="Import invitee lists and send invitations.")


def _series(slug: str):
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        raise click.ClickException(f"No series with the slug {slug!r}.")
    return series


@invitations_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--series", "slug", required=True, help="Slug of the series.")
@click.option("--dry-run", is_flag=True, help="Only report what would be imported.")
def import_command(csv_file: Path, slug: str, dry_run: bool) -> None:
    """Import invitees (name, email, organisation, country, language); print each bad row.

    All or nothing: one transaction, written 1,000 rows at a time."""
    series = _series(slug)
    language = series.language_codes[0] if series.language_codes else "en"
    try:
        text = decode_text(csv_file.read_bytes())
        total = valid = 0
        for item in read_invitees(text, language):
            total += 1
            if isinstance(item, BadRow):
                click.echo(f"line {item.line}: {item.reason}", err=True)
            else:
                valid += 1
    except UnreadableFile as exc:
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        click.echo(f"Dry run: {valid} valid rows, {total - valid} bad rows; nothing saved.")
        return
    with click.progressbar(length=total, label="Importing", show_pos=True) as bar:
        done = 0

        def advance(counts) -> None:
            nonlocal done
            processed = counts.created + counts.updated + counts.skipped
            bar.update(processed - done)
            done = processed

        counts = import_rows(series, read_invitees(text, language), on_batch=advance)
    db.session.commit()
    click.echo(counts.summary())


@invitations_cli.command("run-imports")
def run_imports_command() -> None:
    """Run the invitee lists confirmed on the web pages that wait for a worker."""
    ran = run_queued_imports()
    click.echo(f"{ran} invitee imports run.")


@invitations_cli.command("send")
@click.option("--series", "slug", required=True, help="Slug of the series.")
@click.option("--module", "numbers", type=DB_INT, multiple=True,
              help="Invite to this module only (repeat for several); default: every module.")
@click.option("--campaign", "campaign_id", type=DB_INT, default=None,
              help="Send (the rest of) an existing campaign instead of creating one.")
@click.option("--title", default=None, help="Subject of a new campaign.")
@click.option("--not-registered", is_flag=True,
              help="Send a reminder campaign to those the campaign invited who have not "
                   "registered (created with the campaign's texts).")
def send_command(slug: str, numbers: tuple[int, ...], campaign_id: int | None,
                 title: str | None, not_registered: bool) -> None:
    """Queue invitations to every invitee not yet invited (each once per campaign)."""
    series = _series(slug)
    if campaign_id is not None:
        campaign = campaign_in_series(series, campaign_id)
        if campaign is None:
            raise click.ClickException(f"No campaign {campaign_id} in {slug}.")
    else:
        campaign = _reuse_or_create(series, numbers, title, create_campaign, InvitationError)
    if not_registered:
        campaign = create_reminder(campaign)
    if not start_sending(campaign):
        raise click.ClickException(f"Campaign {campaign.id} is being sent by another process.")
    db.session.commit()
    total = count_audience(campaign, "new")
    done = 0
    counts = None
    with click.progressbar(length=total, label="Queuing invitations", show_pos=True) as bar:
        for counts in send_campaign(campaign, "new"):
            db.session.commit()
            bar.update(counts.queued + counts.skipped - done)
            done = counts.queued + counts.skipped
    queued = counts.queued if counts else 0
    click.echo(f"Campaign {campaign.id}: queued {queued} invitations "
               f"({'reminders to the unregistered' if not_registered else 'not yet invited'}); "
               "`flask mail deliver` sends them.")


@invitations_cli.command("send-due")
@click.option("--now", "now_text", default=None, hidden=True,
              help="Pretend it is this UTC time (ISO 8601), for rehearsals and tests.")
def send_due_command(now_text: str | None) -> None:
    """Queue the scheduled campaigns whose time has come (safe to run every minute)."""
    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter("use ISO 8601, e.g. 2027-03-01T13:00Z") from exc
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    sent = send_due_campaigns(now)
    click.echo(f"{sent} scheduled campaigns queued; `flask mail deliver` sends them.")


def _reuse_or_create(series, numbers, title, create_campaign, error_class):
    """The latest campaign for the same modules, or a new one (so repeated sends never repeat)."""
    wanted = ",".join(str(n) for n in sorted(set(numbers)))
    if title is None:
        for campaign in list_campaigns(series):
            if campaign.module_numbers == wanted:
                return campaign
    with force_locale(series.language_codes[0] if series.language_codes else "en"):
        default_title = _("Invitation: %(title)s", title=series.title)
    try:
        return create_campaign(series, title or default_title, "", numbers)
    except error_class as exc:
        raise click.ClickException(str(exc)) from exc
