"""`flask users create|list|set-role|deactivate|activate|personal-data|end-sessions`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import select

from webinar_app.auth.services import (
    AccountError,
    create_user,
    end_all_sessions,
    find_series,
    find_user,
    record_account_event,
    series_role_labels,
    set_active,
    set_global_role,
    set_personal_data_access,
    set_series_role,
)
from webinar_app.extensions import db
from webinar_app.models import Role, User

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
    record_account_event("account.created", user, _("Created the %(role)s account %(email)s",
                                                     role=user.role, email=user.email))
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}.")


def _account(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"There is no account for {email}.")
    return user


@users_cli.command("personal-data")
@click.argument("email")
@click.option("--allow/--deny", default=True,
              help="Let a reviewer see registrations, exports, attendance, invitees and the "
                   "outbox (--allow, the default), or not (--deny).")
def personal_data_command(email: str, allow: bool) -> None:
    """Allow or deny a reviewer access to participants' personal data."""
    user = _account(email)
    if user.role not in (Role.REVIEWER, Role.NONE):
        raise click.ClickException(
            f"{user.email} is {user.role}: organisers and admins always see personal data."
        )
    set_personal_data_access(user, allow)
    db.session.commit()
    click.echo(f"{user.email} {'may now see' if allow else 'no longer sees'} personal data.")


@users_cli.command("end-sessions")
@click.argument("email")
def end_sessions_command(email: str) -> None:
    """Log an account out everywhere (a lost laptop, a password that leaked)."""
    user = _account(email)
    end_all_sessions(user)
    record_account_event("account.sessions_ended", user,
                         _("Ended every session of %(email)s", email=user.email))
    db.session.commit()
    click.echo(f"Every session of {user.email} has ended.")


@users_cli.command("list")
def list_command() -> None:
    """Every account: email, global role, roles per series, active, last login (UTC)."""
    users = db.session.scalars(select(User).order_by(User.email)).all()
    rows = [("EMAIL", "ROLE", "SERIES ROLES", "ACTIVE", "LAST LOGIN (UTC)")]
    for user in users:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        rows.append((user.email, user.role, ", ".join(series_role_labels(user)) or "-",
                     "yes" if user.is_active else "no", last))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())
    if not users:
        click.echo("No accounts yet: flask users create EMAIL --role admin")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role")
@click.option("--series", "slug", metavar="SLUG",
              help="Give ROLE (organiser, reviewer, or none to take it away) in this series "
                   "only. Without it, ROLE (admin, organiser, reviewer, none) is the global role.")
def set_role_command(email: str, role: str, slug: str | None) -> None:
    """Set the global role of an account, or its role in one series."""
    user = _account(email)
    try:
        if slug is None:
            set_global_role(user, role)
        else:
            series = find_series(slug)
            if series is None:
                raise click.ClickException(f"There is no series with the slug {slug}.")
            set_series_role(user, series, role)
    except AccountError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    where = f" in {slug}" if slug else ""
    click.echo(f"{user.email} is now {role}{where}.")


def _set_active(email: str, active: bool) -> None:
    user = _account(email)
    try:
        set_active(user, active)
    except AccountError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    if active:
        click.echo(f"{user.email} is active and can log in.")
    else:
        click.echo(f"{user.email} is deactivated: it cannot log in and its sessions have ended.")


@users_cli.command("deactivate")
@click.argument("email")
@click.option("--undo", is_flag=True, help="Reactivate the account instead.")
def deactivate_command(email: str, undo: bool) -> None:
    """Stop an account from logging in and end its sessions (--undo to reactivate)."""
    _set_active(email, undo)


@users_cli.command("activate")
@click.argument("email")
def activate_command(email: str) -> None:
    """Let a deactivated account log in again."""
    _set_active(email, True)
