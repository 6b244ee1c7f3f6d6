"""The emails of registration: each composer queues ONE outbox row in the caller's transaction.

None of them commits. Each returns the OutboxMessage, or None when an email with the same
purpose key was already queued (or the person was erased and gets nothing more).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.models import Module, OutboxMessage, Person, Registration, utcnow
from webinar_app.outbox.services import queue_person_email, series_sender
from webinar_app.registration.tokens import personal_token


def personal_url(person: Person) -> str:
    """The person's personal page, for every email."""
    return f"{_base_url()}/me/{personal_token(person)}"


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def _times(module: Module, person: Person, starts_at: datetime | None = None) -> dict:
    start = starts_at or module.starts_at
    assert start is not None
    end = start + (module.ends_at - module.starts_at)  # type: ignore[operator]
    series_tz = module.series.timezone
    person_tz = person.timezone if timefmt.is_valid_timezone(person.timezone) else series_tz
    return {
        "series": timefmt.fmt_span(start, end, series_tz),
        "person": timefmt.fmt_span(start, end, person_tz) if person_tz != series_tz else None,
    }


def _context(registration: Registration, *, with_join_link: bool, **extra) -> dict:
    module, person = registration.module, registration.person
    base_url = _base_url()
    return {
        "series": module.series,
        "module": module,
        "person": person,
        "summary": ics.event_summary(module),
        "when": _times(module, person) if module.starts_at else None,
        "join_url": module.join_url if with_join_link and module.join_url else None,
        "agenda": ics.agenda_lines(module),
        "prereading": ics.prereading(module, base_url),
        "personal_url": personal_url(person),
        "module_url": ics.module_url(module, base_url),
        **extra,
    }


def _queue(
    registration: Registration,
    *,
    kind: str,
    purpose_key: str,
    template: str,
    subject: Callable[[str], str],
    method: str | None = None,
    with_join_link: bool = False,
    **extra,
) -> OutboxMessage | None:
    person, module = registration.person, registration.module
    if person.is_erased or not person.email:
        return None
    language = person.language or "en"
    sender = series_sender(module.series)
    with force_locale(language):
        context = _context(registration, with_join_link=with_join_link, **extra)
        context["subject"] = ics.one_line(subject(context["summary"]))
        body_text = render_template(f"email/{template}.txt", **context)
        body_html = render_template(f"email/{template}.html", **context)
        calendar = None
        if method:
            calendar = ics.module_invitation(
                module,
                person,
                registration.calendar_sequence,
                method,
                utcnow(),
                _base_url(),
                context["personal_url"],
                fallback_sender=sender[0],
            )
    return queue_person_email(
        person,
        module,
        kind=kind,
        purpose_key=purpose_key,
        language=language,
        subject=context["subject"],
        body_text=body_text,
        body_html=body_html,
        sender=sender,
        calendar_method=method,
        calendar_ics=calendar,
    )


def _key(purpose: str, registration: Registration, suffix: str) -> str:
    return f"{purpose}:{registration.person_id}:{registration.module_id}:{suffix}"


def queue_invitation(registration: Registration, promoted: bool = False) -> OutboxMessage | None:
    """The registration confirmation: an iMIP REQUEST with the join link (also on promotion)."""
    def subject(summary: str) -> str:
        if promoted:
            return _("A place is free for you: %(summary)s", summary=summary)
        return _("Registration confirmed: %(summary)s", summary=summary)

    return _queue(
        registration,
        kind="invitation",
        purpose_key=_key("invitation", registration, f"seq{registration.calendar_sequence}"),
        template="invitation",
        subject=subject,
        method="REQUEST",
        with_join_link=True,
        promoted=promoted,
    )


def queue_waiting_list_notice(registration: Registration, position: int) -> OutboxMessage | None:
    """Tell the person they are on the waiting list, and where (no calendar)."""

    def subject(summary: str) -> str:
        return _(
            "Waiting list (position %(position)s): %(summary)s", position=position, summary=summary
        )

    stamp = int(registration.queued_at.timestamp())
    return _queue(
        registration,
        kind="waiting_list",
        purpose_key=_key("waiting", registration, str(stamp)),
        template="waiting_list",
        subject=subject,
        position=position,
    )


def queue_own_cancellation(registration: Registration) -> OutboxMessage | None:
    """The person cancelled their place: METHOD:CANCEL removes it from their calendar."""
    def subject(summary: str) -> str:
        return _("Cancelled: %(summary)s", summary=summary)

    return _queue(
        registration,
        kind="cancelled_own",
        purpose_key=_key("cancel-own", registration, f"seq{registration.calendar_sequence}"),
        template="cancelled_own",
        subject=subject,
        method="CANCEL",
    )


def queue_module_update(
    registration: Registration, previous_starts_at: datetime | None
) -> OutboxMessage | None:
    """The module moved: a REQUEST with the same UID and a higher SEQUENCE, saying what changed."""
    module, person = registration.module, registration.person
    def subject(summary: str) -> str:
        return _("New time: %(summary)s", summary=summary)

    with force_locale(person.language or "en"):
        previous = _times(module, person, previous_starts_at) if previous_starts_at else None
    return _queue(
        registration,
        kind="module_update",
        purpose_key=_key("update", registration, f"seq{registration.calendar_sequence}"),
        template="module_update",
        subject=subject,
        method="REQUEST",
        with_join_link=True,
        previous=previous,
    )


def queue_module_cancelled(registration: Registration) -> OutboxMessage | None:
    """The organisers cancelled the module: METHOD:CANCEL, STATUS:CANCELLED."""
    def subject(summary: str) -> str:
        return _("Module cancelled: %(summary)s", summary=summary)

    return _queue(
        registration,
        kind="module_cancelled",
        purpose_key=_key(
            "module-cancelled", registration, f"seq{registration.calendar_sequence}"
        ),
        template="module_cancelled",
        subject=subject,
        method="CANCEL",
        was_waiting=registration.status == "waiting",
    )
