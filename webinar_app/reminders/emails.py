"""The reminder email: join link, pre-reading with its abstract inline, the personal link."""

from __future__ import annotations

from flask_babel import gettext as _

from webinar_app.models import OutboxMessage, Registration
from webinar_app.outbox.compose import queue_module_email
from webinar_app.outbox.services import is_queued


def queue_reminder(registration: Registration, key: str) -> OutboxMessage | None:
    """The reminder of one module to one registered participant (None if already queued)."""
    if is_queued(key):
        return None
    return queue_module_email(
        registration,
        kind="reminder",
        purpose_key=key,
        template="reminder",
        subject=lambda summary: _("Reminder: %(summary)s", summary=summary),
        with_join_link=True,
        with_abstracts=True,
    )
