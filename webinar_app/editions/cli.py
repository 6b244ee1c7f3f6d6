"""`flask series copy SRC NEW-SLUG --first-start ...`: a new edition of a series."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from webinar_app import timefmt
from webinar_app.editions import services
from webinar_app.editions.services import EditionRequest, EditionResult
from webinar_app.extensions import db
from webinar_app.schedule import services as schedule
from webinar_app.schedule.services import ScheduleError

series_cli = AppGroup("series", help="Series as a whole: copy one into a new edition.")

OPTION_OF_FIELD = {
    "slug": "NEW-SLUG",
    "title": "--title",
    "title_fr": "--title-fr",
    "first_starts_at": "--first-start",
}
LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
NOT_COPIED = (
    "Not copied: participants, registrations, invitees, campaigns, attendance, summaries, "
    "emails and Reader builds; join links are left empty (each meeting has its own)."
)


def _parse_local(value: str) -> datetime:
    for fmt in LOCAL_FORMATS:
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        if services.MIN_YEAR <= parsed.year <= services.MAX_YEAR:
            return parsed
    raise click.ClickException(
        f"Cannot read the first start {value!r}; write it as YYYY-MM-DDTHH:MM between the years "
        f"{services.MIN_YEAR} and {services.MAX_YEAR}, e.g. 2027-03-03T14:00."
    )


@series_cli.command("copy")
@click.argument("source_slug", metavar="SRC")
@click.argument("new_slug", metavar="NEW-SLUG")
@click.option(
    "--first-start", "first_start", required=True,
    help="Start of the first module in the series' time zone, e.g. 2027-03-03T14:00.",
)
@click.option("--with-notes", is_flag=True, help="Copy the pre-reading notes and their files.")
@click.option("--title", default=None, help="Title of the new series (default: the source's).")
@click.option("--title-fr", default=None, help="French title (default: the source's).")
def copy_command(
    source_slug: str,
    new_slug: str,
    first_start: str,
    with_notes: bool,
    title: str | None,
    title_fr: str | None,
) -> None:
    """Copy series SRC into a new edition NEW-SLUG, with the same spacing between modules."""
    source = schedule.get_series(source_slug)
    if source is None:
        raise click.ClickException(f"No series with the slug {source_slug!r}.")
    request = EditionRequest(
        slug=new_slug,
        title=source.title if title is None else title,
        first_starts_at=_parse_local(first_start),
        with_notes=with_notes,
        title_fr=title_fr,
    )
    try:
        result = services.copy_series(source, request)
    except ScheduleError as exc:
        db.session.rollback()
        where = OPTION_OF_FIELD.get(exc.field)
        raise click.ClickException(f"{where}: {exc.message}" if where else exc.message) from exc
    db.session.commit()
    _report(source_slug, result)


def _report(source_slug: str, result: EditionResult) -> None:
    series = result.series
    tz = series.timezone
    click.echo(f"Copied {source_slug} to {series.slug}: {series.title!r}")
    for module in result.modules:
        when = (
            f"{timefmt.fmt_short(module.starts_at, tz, 'en')} {tz}"
            if module.starts_at else "no date (draft)"
        )
        click.echo(
            f"  module {module.number}: {module.title} - {when}; {module.agenda_items} agenda "
            f"item(s), {module.speakers} speaker(s), {module.notes} note(s)"
        )
    click.echo(NOT_COPIED if result.with_notes else NOT_COPIED.replace(
        "Not copied: ", "Not copied: pre-reading notes (use --with-notes), "
    ))
    click.echo(
        f"Copied {len(result.modules)} module(s), {result.agenda_items} agenda item(s), "
        f"{result.speakers} speaker(s) and {result.notes} note(s) into {series.slug}."
    )
