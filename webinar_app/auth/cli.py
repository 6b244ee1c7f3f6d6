"""`flask users create EMAIL --role ROLE`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from webinar_app.auth.services import AccountError, create_user
from webinar_app.extensions import db
from webinar_app.models import Role

users_cli = AppGroup("users", help="Manage organiser, reviewer and admin accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ORGANISER.value)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
def create_command(email: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password comes from a prompt or from standard input."""
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")
