"""The audit log: recording events (`record_event`) and reading them back for pages and CSV.

Other features call `record_event(...)` at the one place where an action is decided (it lives
in `webinar_app.core.audit` so that every feature may import it; it is re-exported here):

    record_event("module.rescheduled", module=module, people=emails_queued,
                 summary=f"Rescheduled module {module.number} from ... to ...",
                 details={"old_starts_at": old, "new_starts_at": new})

It never commits: the event joins the caller's transaction, so an action that fails or rolls
back records nothing. The log is append only (the app has no path that updates or deletes an
event) and never names participants: `details` holds counts, ids and times only, so the
retention purge has nothing to blank in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from webinar_app.core.audit import (
    ACTOR_COMMAND_LINE,
    ACTOR_PARTICIPANT,
    ACTOR_SYSTEM,
    record_event,
)
from webinar_app.extensions import db
from webinar_app.models import AuditEvent, Series
from webinar_app.timefmt import fmt_short

__all__ = ["ACTION_KINDS", "AuditRow", "audit_csv_rows", "audit_query", "record_event"]

PAGE_SIZE = 50
STREAM_BATCH = 500

# The first part of an action's name, as offered in the "kind" filter.
ACTION_KINDS: dict[str, object] = {
    "module": _l("Schedule changes"),
    "campaign": _l("Invitation campaigns"),
    "followups": _l("Follow-up emails"),
    "summary": _l("Summaries"),
    "reader": _l("Reader"),
    "export": _l("Exports of personal data"),
    "erasure": _l("Erasure of personal data"),
    "attendance": _l("Attendance imports"),
    "registration": _l("Registrations moved or sent again"),
    "account": _l("Accounts"),
    "mail": _l("Undeliverable addresses and bounce reports"),
}


@dataclass(frozen=True)
class AuditRow:
    """One event as display-ready text."""

    when: str
    who: str
    action: str
    what: str
    series: str
    module: str
    people: int


def audit_query(series: Series | None, kind: str = "") -> Select:
    """Events newest first, of one series (or all) and optionally one kind of action."""
    query = select(AuditEvent).options(
        selectinload(AuditEvent.module), selectinload(AuditEvent.series)
    )
    if series is not None:
        query = query.where(AuditEvent.series_id == series.id)
    if kind in ACTION_KINDS:
        query = query.where(AuditEvent.action.startswith(kind + ".", autoescape=True))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def actor_name(event: AuditEvent) -> str:
    """Who acted, in the reader's language for the non-account actors."""
    labels = {
        ACTOR_COMMAND_LINE: _("command line"),
        ACTOR_SYSTEM: _("system"),
        ACTOR_PARTICIPANT: _("a participant"),
    }
    return labels.get(event.actor_label, event.actor_label)


def module_label(event: AuditEvent) -> str:
    """'Module 2', or the number remembered in details after the module was deleted."""
    number = event.module.number if event.module else event.details.get("module_number")
    return _("Module %(number)s", number=number) if number else ""


def audit_row(event: AuditEvent, tz_name: str) -> AuditRow:
    """The event as text, times in the given zone."""
    return AuditRow(
        when=fmt_short(event.created_at, tz_name),
        who=actor_name(event),
        action=event.action,
        what=event.summary,
        series=event.series.slug if event.series else "",
        module=module_label(event),
        people=event.people_affected,
    )


def audit_csv_rows(series: Series | None, kind: str, tz_name: str) -> Iterator[list[object]]:
    """CSV rows of the events, newest first, read a batch at a time."""
    for event in db.session.scalars(audit_query(series, kind).execution_options(
            yield_per=STREAM_BATCH)):
        yield [
            event.created_at.isoformat(),
            fmt_short(event.created_at, tz_name),
            actor_name(event),
            event.action,
            event.series.slug if event.series else "",
            module_label(event),
            event.summary,
            event.people_affected,
        ]


def audit_csv_header(tz_name: str) -> list[str]:
    """The header row of the CSV export."""
    return [_("UTC time"), _("Time (%(zone)s)", zone=tz_name), _("Who"), _("Action"),
            _("Series"), _("Module"), _("What"), _("People affected")]
