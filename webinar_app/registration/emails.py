"""The emails of registration: each composer queues ONE outbox row in the caller's transaction.

None of them commits. Each returns the OutboxMessage, or None when an email with the same
purpose key was already queued (or the person was erased and gets nothing more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from webinar_app.calendar import ics
from webinar_app.core.module_changes import ModuleChange
from webinar_app.core.module_life import closed_reason_label
from webinar_app.core.text import clean_one_line
from webinar_app.core.tokens import personal_url
from webinar_app.i18n import localized
from webinar_app.models import (
    Module,
    OutboxMessage,
    Person,
    Registration,
    RegistrationStatus,
    Series,
    utcnow,
)
from webinar_app.outbox.compose import module_times, queue_module_email
from webinar_app.outbox.services import queue_email, series_sender


def _key(purpose: str, registration: Registration, suffix: str) -> str:
    return f"{purpose}:{registration.person_id}:{registration.module_id}:{suffix}"


def queue_invitation(registration: Registration, promoted: bool = False) -> OutboxMessage | None:
    """The registration confirmation: an iMIP REQUEST with the join link (also on promotion)."""
    def subject(summary: str) -> str:
        if promoted:
            return _("A place is free for you: %(summary)s", summary=summary)
        return _("Registration confirmed: %(summary)s", summary=summary)

    return queue_module_email(
        registration,
        kind="invitation",
        purpose_key=_key("invitation", registration, f"seq{registration.calendar_sequence}"),
        template="invitation",
        subject=subject,
        calendar_method="REQUEST",
        with_join_link=True,
        with_calendar_links=True,
        promoted=promoted,
    )


def queue_waiting_list_notice(registration: Registration, position: int) -> OutboxMessage | None:
    """Tell the person they are on the waiting list, and where (no calendar)."""

    def subject(summary: str) -> str:
        return _(
            "Waiting list (position %(position)s): %(summary)s", position=position, summary=summary
        )

    stamp = int(registration.queued_at.timestamp())
    return queue_module_email(
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

    return queue_module_email(
        registration,
        kind="cancelled_own",
        purpose_key=_key("cancel-own", registration, f"seq{registration.calendar_sequence}"),
        template="cancelled_own",
        subject=subject,
        calendar_method="CANCEL",
    )


def _update_subject(changed: dict) -> Callable[[str], str]:
    """'New time: …', 'New join link: …' or 'Updated: …' as the change the person sees."""
    is_time = changed["previous"] is not None
    is_title = changed["previous_summary"] is not None
    is_link = changed["is_link_changed"]

    def subject(summary: str) -> str:
        if is_time and not (is_title or is_link):
            return _("New time: %(summary)s", summary=summary)
        if is_link and not (is_time or is_title):
            return _("New join link: %(summary)s", summary=summary)
        return _("Updated: %(summary)s", summary=summary)

    return subject


def _what_changed(registration: Registration, change: ModuleChange) -> dict:
    """Display-ready lines of the change, in the person's language (set by the caller)."""
    module, person = registration.module, registration.person
    previous = change.previous
    previous_summary = ics.event_summary(previous) if change.is_title_changed else None
    return {
        "previous": (
            module_times(module, person, previous.starts_at, previous.ends_at)
            if change.is_time_changed and previous.starts_at
            else None
        ),
        "previous_summary": (
            previous_summary if previous_summary != ics.event_summary(module) else None
        ),
        "is_link_changed": change.is_link_changed,
        "is_link_removed": change.is_link_changed and not module.join_url,
    }


def queue_module_update(
    registration: Registration, change: ModuleChange
) -> OutboxMessage | None:
    """The module's time, title or join link changed: a REQUEST with the same UID and a higher
    SEQUENCE, saying what changed. Nothing when the person's calendar entry shows no change
    (a French title changed and they read English)."""
    language = registration.person.language or "en"
    if not change.matters_in(language):
        return None
    with force_locale(language):
        changed = _what_changed(registration, change)
    return queue_module_email(
        registration,
        kind="module_update",
        purpose_key=_key("update", registration, f"seq{registration.calendar_sequence}"),
        template="module_update",
        subject=_update_subject(changed),
        calendar_method="REQUEST",
        with_join_link=True,
        **changed,
    )


def queue_waiting_module_moved(
    registration: Registration, change: ModuleChange
) -> OutboxMessage | None:
    """A module moved: people on its waiting list get a plain email, never a calendar."""

    def subject(summary: str) -> str:
        return _("New time: %(summary)s", summary=summary)

    with force_locale(registration.person.language or "en"):
        changed = _what_changed(registration, change)
    return queue_module_email(
        registration,
        kind="waiting_module_moved",
        purpose_key=_key("waiting-moved", registration, f"mseq{registration.module.sequence}"),
        template="waiting_module_moved",
        subject=subject,
        **changed,
    )


def queue_module_cancelled(registration: Registration) -> OutboxMessage | None:
    """The organisers cancelled the module: registrants get METHOD:CANCEL, STATUS:CANCELLED;
    people on the waiting list, who never had a calendar entry, a plain email."""

    def subject(summary: str) -> str:
        return _("Module cancelled: %(summary)s", summary=summary)

    if registration.status == RegistrationStatus.WAITING:
        return queue_module_email(
            registration,
            kind="module_cancelled_waiting",
            purpose_key=_key(
                "module-cancelled-waiting", registration, f"mseq{registration.module.sequence}"
            ),
            template="module_cancelled",
            subject=subject,
            was_waiting=True,
        )
    return queue_module_email(
        registration,
        kind="module_cancelled",
        purpose_key=_key(
            "module-cancelled", registration, f"seq{registration.calendar_sequence}"
        ),
        template="module_cancelled",
        subject=subject,
        calendar_method="CANCEL",
        was_waiting=False,
    )


# --- the personal-link email: the answer to a registration form and to "lost your link?" -----

LINK_EMAIL_WINDOW_SECONDS = 600
SUMMARY_KIND = "registration_summary"
LOST_LINK_KIND = "personal_link"


@dataclass(frozen=True)
class ModuleLine:
    """One module in a personal-link email: what just happened, or where the person stands.

    state: registered | already_registered | waiting | already_waiting | closed (after a
    registration form); is_registered | is_waiting | is_cancelled (for "lost your link?").
    """

    module: Module
    state: str
    position: int | None = None
    closed_reason: str | None = None


def _line_text(line: ModuleLine) -> str:
    texts = {
        "registered": lambda: _("You are registered. Your calendar invitation comes in a "
                                "separate email."),
        "already_registered": lambda: _("You were already registered for this module."),
        "waiting": lambda: _("The module is full: you are on the waiting list, in position "
                             "%(position)s.", position=line.position),
        "already_waiting": lambda: _("You were already on the waiting list, in position "
                                     "%(position)s.", position=line.position),
        "closed": lambda: _("Registration for this module is closed: %(reason)s",
                            reason=closed_reason_label(line.closed_reason)),
        "is_registered": lambda: _("You are registered."),
        "is_waiting": lambda: _("You are on the waiting list, in position %(position)s.",
                                position=line.position),
        "is_cancelled": lambda: _("Your place was cancelled."),
    }
    return texts[line.state]()


def link_email_key(person: Person) -> str:
    """One personal-link email per person per window: the form cannot flood anyone."""
    window = int(utcnow().timestamp()) // LINK_EMAIL_WINDOW_SECONDS
    return f"personal-link:{person.id}:{window}"


def queue_link_email(
    person: Person, series: Series, lines: list[ModuleLine], *, kind: str
) -> OutboxMessage | None:
    """The person's personal link with their modules: after a registration form (SUMMARY_KIND)
    or on request (LOST_LINK_KIND). None when erased or already sent in this window."""
    if person.is_erased or not person.email:
        return None
    language = person.language or "en"
    sender = series_sender(series)
    with force_locale(language):
        title = localized(series, "title")
        if kind == SUMMARY_KIND:
            subject = _("Your registration: %(title)s", title=title)
        else:
            subject = _("Your personal link: %(title)s", title=title)
        context = {
            "series": series, "person": person, "subject": clean_one_line(subject),
            "is_summary": kind == SUMMARY_KIND, "personal_url": personal_url(person),
            "lines": [(_("Module %(number)s: %(title)s", number=line.module.number,
                         title=localized(line.module, "title")), _line_text(line))
                      for line in lines],
        }
        body_text = render_template("email/personal_link.txt", **context)
        body_html = render_template("email/personal_link.html", **context)
    return queue_email(
        kind=kind, purpose_key=link_email_key(person), to_email=person.email,
        to_name=clean_one_line(person.full_name), language=language, subject=context["subject"],
        body_text=body_text, body_html=body_html, series=series, person=person,
        sender_email=sender[0], sender_name=sender[1],
    )
