"""`flask attendance import CSV --series SLUG --module N`: the upload page's import, scripted."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webinar_app.attendance.parsers import AttendanceFileError, parse_attendance
from webinar_app.attendance.services import AttendanceError, import_attendance
from webinar_app.extensions import db
from webinar_app.schedule import services as schedule

attendance_cli = AppGroup("attendance", help="Import attendance reports of the video platform.")


@attendance_cli.command("import")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--series", "slug", required=True, help="Slug of the series.")
@click.option("--module", "number", required=True, type=int, help="Number of the module.")
@click.option("--min-minutes", default=0, type=click.IntRange(0, 1440),
              help="Minutes a person must stay to count as attended (default 0).")
def import_command(csv_file, slug: str, number: int, min_minutes: int) -> None:
    """Mark the registrations of module NUMBER attended or absent from a Zoom, Teams or Webex
    report."""
    series = schedule.get_series(slug)
    if series is None:
        raise click.ClickException(f"No series with the slug {slug!r}.")
    module = schedule.get_module(series, number)
    if module is None:
        raise click.ClickException(f"Series {slug!r} has no module {number}.")
    try:
        report = parse_attendance(csv_file.read())
        total = len(report.rows) + len(report.guests)
        with click.progressbar(length=total, label="Matching", show_pos=True) as bar:
            result = import_attendance(module, report, min_minutes=min_minutes,
                                       progress=bar.update)
    except (AttendanceFileError, AttendanceError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for row in result.unmatched:
        click.echo(f"unmatched: {row.name or '-'} <{row.email or 'no email'}> ({row.reason})",
                   err=True)
    click.echo(result.summary())
