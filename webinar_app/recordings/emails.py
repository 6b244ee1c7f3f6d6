"""The email that brings a held module's recording (and slides) link to its registrants."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask_babel import gettext as _

from webinar_app.models import Module, OutboxMessage, Registration
from webinar_app.outbox.compose import RenderedEmail, queue_module_email, render_module_email

KIND = "recording"


def links_digest(module: Module) -> str:
    """A short fingerprint of the module's recording and slides links as they are now."""
    links = f"{module.recording_url}\n{module.slides_url}".encode()
    return hashlib.sha256(links).hexdigest()[:16]


def recording_key(registration: Registration) -> str:
    """The purpose key: these links once per person; a changed link is a new key."""
    return f"{KIND}:{registration.person_id}:{registration.module_id}:" \
        f"{links_digest(registration.module)}"


def attendance_of(registration: Registration) -> str | None:
    """'attended', 'absent', or None while attendance is not recorded."""
    return registration.attendance if registration.attendance in ("attended", "absent") else None


def _subject(attendance: str | None) -> Callable[[str], str]:
    def subject(summary: str) -> str:
        if attendance == "absent":
            return _("The recording of what you missed: %(summary)s", summary=summary)
        return _("The recording is available: %(summary)s", summary=summary)

    return subject


def _values(registration: Registration) -> dict[str, object]:
    module = registration.module
    return {
        "attendance": attendance_of(registration),
        "recording_url": module.recording_url or None,
        "slides_url": module.slides_url or None,
    }


def preview_recording_email(registration: Registration) -> RenderedEmail:
    """The recording email exactly as this registrant would receive it."""
    return render_module_email(registration, template="recording",
                               subject=_subject(attendance_of(registration)),
                               **_values(registration))


def queue_recording_email(registration: Registration) -> OutboxMessage | None:
    """Queue the recording email (None if this person already has these links queued)."""
    return queue_module_email(registration, kind=KIND, purpose_key=recording_key(registration),
                              template="recording",
                              subject=_subject(attendance_of(registration)),
                              **_values(registration))
