"""The follow-up email after a module."""

from __future__ import annotations

from flask_babel import gettext as _

from webinar_app.models import OutboxMessage, Registration
from webinar_app.reminders.emails import ModuleParts


def followup_key(registration: Registration) -> str:
    """The purpose key: one follow-up per person and module, however often it is asked for."""
    return f"followup:{registration.person_id}:{registration.module_id}"


def queue_followup(
    parts: ModuleParts, registration: Registration, *, has_summary: bool
) -> OutboxMessage | None:
    """One follow-up, worded by the registrant's attendance (None if already queued)."""
    attendance = registration.attendance if registration.attendance in ("attended", "absent") \
        else None

    def subject(summary: str) -> str:
        if attendance == "absent":
            return _("Catch up on %(summary)s", summary=summary)
        if attendance == "attended":
            return _("Thank you for taking part: %(summary)s", summary=summary)
        return _("Follow-up: %(summary)s", summary=summary)

    return parts.queue(
        registration,
        kind="followup",
        key=followup_key(registration),
        template="followup",
        subject=subject,
        attendance=attendance,
        has_summary=has_summary,
        recording_url=parts.module.recording_url or None,
    )
