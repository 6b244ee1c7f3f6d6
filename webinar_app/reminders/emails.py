"""The reminder email: join link, pre-reading with its abstract inline, the personal link."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.models import Module, OutboxMessage, Person, Registration
from webinar_app.outbox.services import is_queued, queue_person_email, series_sender
from webinar_app.registration.emails import personal_url


class ModuleParts:
    """What every email about one module shares, built once per language."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.series = module.series
        self.sender = series_sender(self.series)
        self.module_url = ics.module_url(module)
        self._cache: dict[str, dict] = {}

    def shared(self, language: str) -> dict:
        """Summary, times in the series' zone, agenda and pre-reading, in one language."""
        if language not in self._cache:
            module = self.module
            with force_locale(language):
                self._cache[language] = {
                    "summary": ics.event_summary(module),
                    "series_when": timefmt.fmt_span(module.starts_at, module.ends_at,
                                             self.series.timezone) if module.starts_at else "",
                    "agenda": ics.agenda_lines(module),
                    "prereading": ics.prereading(module),
                }
        return self._cache[language]

    def person_when(self, person: Person) -> str | None:
        """The time in the person's own zone, when it differs from the series'."""
        tz = person.timezone
        if not self.module.starts_at or not timefmt.is_valid_timezone(tz):
            return None
        if tz == self.series.timezone:
            return None
        return timefmt.fmt_span(self.module.starts_at, self.module.ends_at, tz)  # type: ignore[arg-type]

    def queue(self, registration: Registration, *, kind: str, key: str, template: str,
              subject: Callable[[str], str], **extra) -> OutboxMessage | None:
        """Render and queue one email about the module to one registrant."""
        person = registration.person
        if person.is_erased or not person.email or is_queued(key):
            return None
        language = person.language or "en"
        with force_locale(language):
            context = {
                **self.shared(language),
                "series": self.series,
                "module": self.module,
                "person": person,
                "registration": registration,
                "personal_url": personal_url(person),
                "module_url": self.module_url,
                "when": {"series": self.shared(language)["series_when"],
                         "person": self.person_when(person)},
                **extra,
            }
            context["subject"] = ics.one_line(subject(context["summary"]))
            text = render_template(f"email/{template}.txt", **context)
            html = render_template(f"email/{template}.html", **context)
        return queue_person_email(
            person,
            self.module,
            kind=kind,
            purpose_key=key,
            language=language,
            subject=context["subject"],
            body_text=text,
            body_html=html,
            sender=self.sender,
        )


def queue_reminder(
    parts: ModuleParts, registration: Registration, key: str
) -> OutboxMessage | None:
    """The reminder of one module to one registered participant (None if already queued)."""
    module = parts.module
    return parts.queue(
        registration,
        kind="reminder",
        key=key,
        template="reminder",
        subject=lambda summary: _("Reminder: %(summary)s", summary=summary),
        join_url=module.join_url or None,
        with_abstracts=True,
    )
