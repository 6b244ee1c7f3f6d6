"""The follow-up email after a module."""

from __future__ import annotations

from flask_babel import gettext as _

from webinar_app.models import OutboxMessage, Registration
from webinar_app.outbox.compose import queue_module_email
from webinar_app.outbox.services import is_queued


def followup_key(registration: Registration) -> str:
    """The purpose key: one follow-up per person and module, however often it is asked for."""
    return f"followup:{registration.person_id}:{registration.module_id}"


def queue_followup(registration: Registration, *, has_summary: bool) -> OutboxMessage | None:
    """One follow-up, worded by the registrant's attendance (None if already queued)."""
    key = followup_key(registration)
    if is_queued(key):
        return None
    attendance = registration.attendance if registration.attendance in ("attended", "absent") \
        else None

    def subject(summary: str) -> str:
        if attendance == "absent":
            return _("Catch up on %(summary)s", summary=summary)
        if attendance == "attended":
            return _("Thank you for taking part: %(summary)s", summary=summary)
        return _("Follow-up: %(summary)s", summary=summary)

    return queue_module_email(
        registration,
        kind="followup",
        purpose_key=key,
        template="followup",
        subject=subject,
        attendance=attendance,
        has_summary=has_summary,
        recording_url=registration.module.recording_url or None,
        slides_url=registration.module.slides_url or None,
    )
