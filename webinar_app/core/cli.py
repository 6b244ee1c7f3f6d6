"""Command-line helpers: numbers the database can hold, and errors in one line.

`DB_INT` is the click type of every whole-number argument that is looked up or stored (module
numbers, ids): a number beyond the INTEGER columns' range is a usage error, not a traceback.
`explain_database_errors` makes a command (and its sub-commands) print one line and exit with
status 1 when the database cannot be reached or refuses a value (a bug keeps its traceback).
"""

from __future__ import annotations

import functools

import click
from sqlalchemy.exc import DataError, IntegrityError

from webinar_app.core.dberrors import (
    DATABASE_UNAVAILABLE,
    is_database_unavailable,
    one_line_error,
)
from webinar_app.core.urls import DB_INT_MAX, DB_INT_MIN

DB_INT = click.IntRange(DB_INT_MIN, DB_INT_MAX)
_WRAPPED = "_explains_database_errors"


def explain_database_errors(command: click.Command) -> None:
    """Turn database failures of command (a group: of each sub-command) into a one-line error."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            explain_database_errors(sub)
        return
    callback = command.callback
    if callback is None or getattr(callback, _WRAPPED, False):
        return

    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except DATABASE_UNAVAILABLE as exc:
            if not is_database_unavailable(exc):
                raise
            raise click.ClickException(
                f"The database cannot be reached ({one_line_error(exc)}). Try again in a moment."
            ) from exc
        except (DataError, IntegrityError) as exc:  # a value the database refuses
            raise click.ClickException(
                f"The database refused the change ({one_line_error(exc)}); nothing was saved."
            ) from exc

    setattr(run, _WRAPPED, True)
    command.callback = run
