"""Emails about a module, composed one way: one typed context for every kind, then one outbox row.

`module_email_context` builds what an email shows about a module for one reader (the shared
`templates/email/_details*` partial, the footer and the layout): the summary, the time in the
series' zone and in the reader's, the join link only when it may be shown, the agenda named as
the module's Chatham House rule allows, the pre-reading, the personal link and the module page,
and for a confirmation the add-to-calendar links and the personal feed to subscribe to.
`queue_module_email` renders a kind with it and queues the row; each kind (registration,
reminders, follow-ups) adds only its subject, template and extras. The invitation campaign's
programme is a list of these contexts without a reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.core.text import clean_one_line
from webinar_app.core.tokens import personal_token, personal_url
from webinar_app.core.urls import external_url
from webinar_app.i18n import localized
from webinar_app.models import Module, OutboxMessage, Person, Registration, Series, utcnow
from webinar_app.outbox.services import queue_person_email, series_sender


@dataclass(frozen=True)
class ModuleTimes:
    """A module's span in words: in the series' zone, and in the reader's when it differs."""

    series: str
    person: str | None = None


def module_times(
    module: Module,
    person: Person | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> ModuleTimes | None:
    """The span (the module's, or the one given) in the series' zone and the person's; None
    when the module has no time."""
    start = starts_at or module.starts_at
    end = ends_at or module.ends_at
    if start is None or end is None:
        return None
    series_tz = module.series.timezone
    person_tz = person.timezone if person is not None else None
    if not (person_tz and timefmt.is_valid_timezone(person_tz)) or person_tz == series_tz:
        return ModuleTimes(timefmt.fmt_span(start, end, series_tz))
    return ModuleTimes(
        timefmt.fmt_span(start, end, series_tz), timefmt.fmt_span(start, end, person_tz)
    )


@dataclass(frozen=True)
class ModuleEmailContext:
    """What an email shows about a module to one reader, display-ready, in their language."""

    series: Series
    module: Module
    person: Person | None
    summary: str
    focus: str
    when: ModuleTimes | None
    join_url: str | None
    agenda: tuple[str, ...]
    prereading: tuple[ics.Prereading, ...]
    personal_url: str | None
    module_url: str
    calendar_links: ics.CalendarLinks | None = None
    subscribe_url: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The fields as template variables."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def module_email_context(
    module: Module,
    person: Person | None = None,
    *,
    with_join_link: bool = False,
    with_calendar_links: bool = False,
) -> ModuleEmailContext:
    """The module as `person` reads it, in the current locale.

    The join link only with `with_join_link` (registered people) and when the module has one;
    without a person (a campaign's programme) no personal link and only the series' zone.
    With `with_calendar_links` (the confirmation), Google, Outlook.com and Microsoft 365 links
    carrying the join link, and the webcal:// address of the person's own feed.
    """
    join_url = module.join_url if with_join_link and module.join_url else None
    links = ics.calendar_links(module, join_url) if with_calendar_links else None
    subscribe = None
    if with_calendar_links and person is not None:
        feed = external_url("me.calendar", token=personal_token(person))
        subscribe = ics.webcal_url(feed)
    return ModuleEmailContext(
        series=module.series,
        module=module,
        person=person,
        summary=ics.event_summary(module),
        focus=localized(module, "thematic_focus"),
        when=module_times(module, person),
        join_url=join_url,
        agenda=tuple(ics.agenda_lines(module)),
        prereading=tuple(ics.prereading(module)),
        personal_url=personal_url(person) if person is not None else None,
        module_url=ics.module_url(module),
        calendar_links=links,
        subscribe_url=subscribe,
    )


def queue_module_email(
    registration: Registration,
    *,
    kind: str,
    purpose_key: str,
    template: str,
    subject: Callable[[str], str],
    with_join_link: bool = False,
    with_calendar_links: bool = False,
    calendar_method: str | None = None,
    **extras: object,
) -> OutboxMessage | None:
    """Render `email/<template>.txt|.html` about the registration's module in the person's
    language and queue it (no commit), with an iMIP calendar when `calendar_method` is given.

    `subject` turns the module's summary into the subject; `extras` are the kind's own template
    values. None when the person was erased or the purpose key was already queued.
    """
    person, module = registration.person, registration.module
    if person.is_erased or not person.email:
        return None
    language = person.language or "en"
    sender = series_sender(module.series)
    with force_locale(language):
        context = module_email_context(
            module, person, with_join_link=with_join_link, with_calendar_links=with_calendar_links
        )
        subject_line = clean_one_line(subject(context.summary))
        values = {**context.as_dict(), **extras, "subject": subject_line}
        body_text = render_template(f"email/{template}.txt", **values)
        body_html = render_template(f"email/{template}.html", **values)
        calendar = None
        if calendar_method:
            calendar = ics.module_invitation(
                module,
                person,
                registration.calendar_sequence,
                calendar_method,
                utcnow(),
                current_app.config["BASE_URL"],
                context.personal_url or "",
                fallback_sender=sender[0],
            )
    return queue_person_email(
        person,
        module,
        kind=kind,
        purpose_key=purpose_key,
        language=language,
        subject=subject_line,
        body_text=body_text,
        body_html=body_html,
        sender=sender,
        calendar_method=calendar_method,
        calendar_ics=calendar,
    )


@dataclass(frozen=True)
class RenderedEmail:
    """A module email as one person will receive it, before anything is queued (a preview)."""

    language: str
    subject: str
    body_text: str
    body_html: str


def render_module_email(
    registration: Registration,
    *,
    template: str,
    subject: Callable[[str], str],
    **extras: object,
) -> RenderedEmail:
    """Render `email/<template>.txt|.html` for the registration's person, in their language,
    exactly as `queue_module_email` would, without queueing it (no join link, no calendar)."""
    person, module = registration.person, registration.module
    language = person.language or "en"
    with force_locale(language):
        context = module_email_context(module, person)
        subject_line = clean_one_line(subject(context.summary))
        values = {**context.as_dict(), **extras, "subject": subject_line}
        return RenderedEmail(
            language=language,
            subject=subject_line,
            body_text=render_template(f"email/{template}.txt", **values),
            body_html=render_template(f"email/{template}.html", **values),
        )
