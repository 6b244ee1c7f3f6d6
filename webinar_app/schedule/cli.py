"""`flask modules reschedule|cancel|set-capacity`: the organiser pages' services for scripts."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from webinar_app import timefmt
from webinar_app.core.cli import DB_INT
from webinar_app.core.module_changes import ModuleChange
from webinar_app.extensions import db
from webinar_app.models import Module
from webinar_app.schedule import services
from webinar_app.schedule.services import ScheduleError

modules_cli = AppGroup("modules", help="Reschedule, cancel and resize modules.")


def _find_module(slug: str, number: int) -> Module:
    series = services.get_series(slug)
    if series is None:
        raise click.ClickException(f"No series with the slug {slug!r}.")
    module = services.get_module(series, number)
    if module is None:
        raise click.ClickException(f"Series {slug!r} has no module {number}.")
    return module


def _parse_start(value: str) -> datetime:
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if 2000 <= parsed.year <= 2100:
            return parsed
    raise click.ClickException(
        f"Cannot read the start {value!r}; write it as YYYY-MM-DDTHH:MM, e.g. 2027-03-02T14:00."
    )


def _apply(action) -> None:
    try:
        action()
    except ScheduleError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()


@modules_cli.command("reschedule")
@click.argument("slug")
@click.argument("number", type=DB_INT)
@click.option("--start", "start", required=True, help="New local start, e.g. 2027-03-02T14:00.")
@click.option("--tz", "tz_name", default=None, help="Zone of --start; the series' zone by default.")
@click.option("--duration", type=DB_INT, default=None, help="New duration in minutes (1-720).")
def reschedule_command(
    slug: str, number: int, start: str, tz_name: str | None, duration: int | None
) -> None:
    """Move module NUMBER of series SLUG; registrants get an updated invitation."""
    module = _find_module(slug, number)
    zone_name = tz_name or module.series.timezone
    if not timefmt.is_valid_timezone(zone_name):
        raise click.ClickException(f"Unknown time zone {zone_name!r}; use e.g. Europe/Brussels.")
    starts_at = timefmt.parse_local(_parse_start(start), zone_name)
    changes: list[ModuleChange] = []
    _apply(lambda: changes.append(services.reschedule_module(module, starts_at, duration)))
    change = changes[0]
    series_zone = module.series.timezone
    when = _when(module.starts_at, series_zone)
    if not change.is_time_changed:
        click.echo(f"Module {number} of {slug} already starts at {when}; nothing changed.")
        return
    click.echo(
        f"Rescheduled {slug} module {number} to {when} (sequence {module.sequence}); "
        f"{change.registered_emailed} registrant(s) get an updated invitation, "
        f"{change.waiting_emailed} on the waiting list a notice."
    )
    if change.moved_closes_at is not None:
        click.echo(f"Registration now closes at {_when(change.moved_closes_at, series_zone)}.")
    if change.moved_opens_at is not None:
        click.echo(f"Registration now opens at {_when(change.moved_opens_at, series_zone)}.")


def _when(at: datetime | None, zone_name: str) -> str:
    assert at is not None
    return f"{timefmt.fmt_short(at, zone_name, 'en')} {zone_name}"


@modules_cli.command("cancel")
@click.argument("slug")
@click.argument("number", type=DB_INT)
def cancel_command(slug: str, number: int) -> None:
    """Cancel module NUMBER of series SLUG; registrants get a cancellation."""
    module = _find_module(slug, number)
    registered, waiting = services.module_audience(module)
    _apply(lambda: services.cancel_module(module))
    click.echo(
        f"Cancelled {slug} module {number} (sequence {module.sequence}); "
        f"{registered} registrant(s) get a cancellation, {waiting} on the waiting list a notice."
    )


def _parse_capacity(value: str) -> int | None:
    if value.strip().lower() in {"none", "unlimited"}:
        return None
    try:
        capacity = int(value)
    except ValueError:
        capacity = -1
    if capacity < 0:
        raise click.ClickException(
            f"Capacity {value!r} is not a number of seats; give 0 or more, or 'none' for no limit."
        )
    return capacity


@modules_cli.command("set-capacity")
@click.argument("slug")
@click.argument("number", type=DB_INT)
@click.argument("capacity")
def set_capacity_command(slug: str, number: int, capacity: str) -> None:
    """Set the seats of module NUMBER: a whole number (0 closes it), or 'none' for no limit.

    More seats promote people from the waiting list.
    """
    module = _find_module(slug, number)
    seats = _parse_capacity(capacity)
    promoted: list[int] = []
    _apply(lambda: promoted.append(services.set_capacity(module, seats)))
    limit = "no limit" if seats is None else f"{seats} seats"
    click.echo(f"Set {slug} module {number} to {limit}; {promoted[0]} promoted from waiting list.")
