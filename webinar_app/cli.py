"""Registers every command group of the application."""

from __future__ import annotations

from flask import Flask

from webinar_app.attendance.cli import attendance_cli
from webinar_app.auth.cli import users_cli
from webinar_app.core.cli import explain_database_errors
from webinar_app.demo.cli import seed_demo_command
from webinar_app.editions.cli import series_cli
from webinar_app.invitations.cli import invitations_cli
from webinar_app.outbox.cli import mail_cli
from webinar_app.privacy.cli import privacy_cli
from webinar_app.reader.cli import reader_cli
from webinar_app.reminders.cli import reminders_cli
from webinar_app.schedule.cli import modules_cli


def init_cli(app: Flask) -> None:
    """Attach the feature command groups to `flask`."""
    app.cli.add_command(users_cli)
    app.cli.add_command(modules_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(attendance_cli)
    app.cli.add_command(reader_cli)
    app.cli.add_command(invitations_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(privacy_cli)
    app.cli.add_command(series_cli)
    _explain_database_errors(app)


def _explain_database_errors(app: Flask) -> None:
    """Every command prints one line, not a traceback, when the database fails (core.cli)."""
    for command in app.cli.commands.values():
        explain_database_errors(command)
