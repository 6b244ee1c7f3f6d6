"""Recording audit events: one call at the place where an action is decided.

`record_event` adds an `AuditEvent` to the caller's session and never commits: the event is
saved by the same commit as the action, so an action that fails or rolls back records nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click
from flask import has_request_context
from flask.cli import ScriptInfo
from flask_login import current_user

from webinar_app.extensions import db
from webinar_app.models import AuditEvent, Module, Series, User

ACTOR_COMMAND_LINE = "command line"
ACTOR_SYSTEM = "system"
ACTOR_PARTICIPANT = "participant"
SUMMARY_MAX_LENGTH = 2000


def record_event(
    action: str,
    *,
    series: Series | None = None,
    module: Module | None = None,
    summary: str,
    people: int = 0,
    details: dict[str, Any] | None = None,
    actor: User | str | None = None,
) -> AuditEvent:
    """Add an append-only audit event to the current transaction (never commits).

    action: a short machine name, `<thing>.<verb>` (`module.rescheduled`, `campaign.sent`,
    `account.role_changed`, ...). series/module: what the action was about (series defaults to
    the module's). summary: one line for people ("Rescheduled module 2 from ... to ...").
    people: how many people were emailed or otherwise affected. details: counts, module ids and
    old/new times as JSON; NEVER a participant's name or email (the log is kept after erasure).
    actor: a User, or a label; by default the logged-in user of the request, "command line"
    under `flask ...` commands, "participant" for an anonymous request, "system" otherwise.
    """
    actor_id, actor_label = _actor(actor)
    if module is not None and series is None:
        series = module.series
    event = AuditEvent(
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        series=series,
        module=module,
        summary=summary[:SUMMARY_MAX_LENGTH],
        people_affected=max(int(people or 0), 0),
        details=_jsonable(details or {}),
    )
    db.session.add(event)
    return event


def _actor(actor: User | str | None) -> tuple[int | None, str]:
    """The account id and label of whoever acts now."""
    if isinstance(actor, User):
        return actor.id, actor.email
    if isinstance(actor, str):
        return None, actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    if is_command_line():
        return None, ACTOR_COMMAND_LINE
    if has_request_context():
        return None, ACTOR_PARTICIPANT
    return None, ACTOR_SYSTEM


def is_command_line() -> bool:
    """True inside a `flask ...` command (its click context carries Flask's ScriptInfo)."""
    context = click.get_current_context(silent=True)
    return context is not None and context.find_object(ScriptInfo) is not None


def _jsonable(value: Any) -> Any:
    """Details with datetimes as ISO strings, ready for a JSON column."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
