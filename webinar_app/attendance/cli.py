"""`flask attendance import CSV --series SLUG --module N [--yes]`: the upload page's import,
scripted. Over recorded attendance it prints what would change and asks first."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from webinar_app.attendance.parsers import AttendanceFileError, RowProblem
from webinar_app.attendance.services import (
    AttendanceError,
    apply_plan,
    plan_attendance,
    read_report,
)
from webinar_app.core.cli import DB_INT
from webinar_app.extensions import db
from webinar_app.schedule import services as schedule

attendance_cli = AppGroup("attendance", help="Import attendance reports of the video platform.")


@attendance_cli.command("import")
@click.argument("csv_file", type=click.File("rb"))
@click.option("--series", "slug", required=True, help="Slug of the series.")
@click.option("--module", "number", required=True, type=DB_INT, help="Number of the module.")
@click.option("--min-minutes", default=0, type=click.IntRange(0, 1440),
              help="Minutes a person must stay to count as attended (default 0).")
@click.option("--yes", "assume_yes", is_flag=True,
              help="Replace recorded attendance without asking (the changes are still printed).")
def import_command(csv_file, slug: str, number: int, min_minutes: int, assume_yes: bool) -> None:
    """Mark the registrations of module NUMBER attended or absent from a Zoom, Teams or Webex
    report. Over recorded attendance, print what would change and ask (or --yes)."""
    series = schedule.get_series(slug)
    if series is None:
        raise click.ClickException(f"No series with the slug {slug!r}.")
    module = schedule.get_module(series, number)
    if module is None:
        raise click.ClickException(f"Series {slug!r} has no module {number}.")
    try:
        report = read_report(module, csv_file.read())
        total = len(report.rows) + len(report.guests)
        with click.progressbar(length=total, label="Matching", show_pos=True) as bar:
            plan = plan_attendance(module, report, min_minutes=min_minutes, progress=bar.update)
    except (AttendanceFileError, AttendanceError) as error:
        db.session.rollback()
        _echo_problems(getattr(error, "problems", []))
        raise click.ClickException(str(error)) from error
    _echo_problems(plan.result.problems)
    if plan.needs_confirmation:
        click.echo("Attendance is already recorded for this module. This import would change:")
        for line in plan.change_lines():
            click.echo(f"  {line}")
        if not assume_yes and not _confirmed():
            db.session.rollback()
            raise click.ClickException("Nothing was changed (answer yes, or pass --yes).")
    result = apply_plan(plan)
    db.session.commit()
    for row in result.unmatched:
        click.echo(f"unmatched: {row.name or '-'} <{row.email or 'no email'}> ({row.reason})",
                   err=True)
    click.echo(result.summary())


def _echo_problems(problems: list[RowProblem]) -> None:
    """Each line left out, on standard error."""
    for problem in problems:
        click.echo(problem.message, err=True)


def _confirmed() -> bool:
    """The operator's yes; no answer (end of input) counts as no."""
    try:
        return click.confirm("Apply these changes?", default=False)
    except click.Abort:
        return False
