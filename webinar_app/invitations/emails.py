"""The invitation email of a campaign: identical parts built once, one outbox row per invitee."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import current_app
from flask_babel import force_locale, get_translations
from icalendar import Calendar
from jinja2 import Template, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from webinar_app.calendar import ics
from webinar_app.core.text import clean_one_line
from webinar_app.core.urls import external_url
from webinar_app.invitations import message
from webinar_app.invitations.services import (
    campaign_modules,
    invite_url,
    invitee_token,
    unsubscribe_url,
)
from webinar_app.models import Campaign, Invitee, Module
from webinar_app.outbox.compose import ModuleEmailContext, module_email_context
from webinar_app.outbox.services import NewEmail, queue_emails, series_sender


def programme_calendar(modules: list[Module], base_url: str, fallback_sender: str,
                       language: str) -> bytes:
    """A METHOD:PUBLISH calendar of the given modules (the public feed, no join link), its
    summaries, descriptions and dates in `language`."""
    if not modules:
        return b""
    with force_locale(language):
        feed = Calendar.from_ical(ics._series_feed(modules[0].series, base_url, fallback_sender))
    wanted = {ics.event_uid(m, base_url) for m in modules}
    feed.subcomponents[:] = [
        c for c in feed.subcomponents if c.name != "VEVENT" or str(c.get("uid")) in wanted
    ]
    return feed.to_ical()


@dataclass(frozen=True)
class RenderedText:
    """A campaign's subject and body in one language, ready for the templates."""

    subject: str
    body_html: Markup
    body_text: str


class CampaignParts:
    """What every invitation of a campaign shares, built once per language."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.series = campaign.series
        self.base_url = current_app.config["BASE_URL"]
        self.sender_email, self.sender_name = series_sender(self.series)
        self.modules = campaign_modules(campaign)
        self.languages = self.series.language_codes or ["en"]
        self._calendars: dict[str, bytes] = {}
        self._texts: dict[str, RenderedText] = {}
        self._programmes: dict[str, list[ModuleEmailContext]] = {}
        self._renderings: dict[str, tuple[Template, Template, dict]] = {}

    def language(self, invitee: Invitee) -> str:
        """The invitee's stored language if the series offers it, else the series' first."""
        return invitee.language if invitee.language in self.languages else self.languages[0]

    def calendar(self, language: str) -> bytes:
        """The programme attachment in the given language (cached)."""
        if language not in self._calendars:
            self._calendars[language] = programme_calendar(
                self.modules, self.base_url, self.sender_email, language)
        return self._calendars[language]

    def text(self, language: str) -> RenderedText:
        """Subject and body in the language (the first language's if it has none)."""
        if language not in self._texts:
            found = (self.campaign.text_in(language) or self.campaign.text_in(self.languages[0])
                     or next(iter(self.campaign.texts), None))
            subject = found.subject if found else self.campaign.title
            body = found.body if found else ""
            self._texts[language] = RenderedText(
                subject=clean_one_line(subject), body_html=message.body_html(body),
                body_text=message.body_text(body))
        return self._texts[language]

    def subject(self, language: str) -> str:
        return self.text(language).subject

    def programme(self, language: str) -> list[ModuleEmailContext]:
        """The programme in the series' time zone, in the given language (cached)."""
        if language not in self._programmes:
            with force_locale(language):
                self._programmes[language] = [module_email_context(m) for m in self.modules]
        return self._programmes[language]

    def rendering(self, language: str) -> tuple[Template, Template, dict]:
        """(text template, html template, shared context) for a language (cached).

        The context processors run once per language (inside its locale), as render_template
        would run them for each email, and the language's catalogue is looked up once.
        """
        if language not in self._renderings:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            with force_locale(language):
                text = self.text(language)
                shared = {
                    "campaign": self.campaign,
                    "series": self.series,
                    "language": language,
                    "subject": text.subject,
                    "body_html": text.body_html,
                    "body_text": text.body_text,
                    "programme": self.programme(language),
                    "series_url": external_url("public.series_page", slug=self.series.slug),
                    "has_calendar": bool(self.calendar(language)),
                }
                app.update_template_context(shared)
                shared["gettext"] = _template_gettext(get_translations())
            self._renderings[language] = (
                app.jinja_env.get_template("email/invitation_campaign.txt"),
                app.jinja_env.get_template("email/invitation_campaign.html"),
                shared,
            )
        return self._renderings[language]


def _template_gettext(translations) -> Callable[..., str]:
    """The templates' `_()` / gettext bound to one catalogue (what Jinja's i18n installs).

    Same semantics as jinja2.ext's newstyle gettext: Markup when autoescaping, always
    %-formatted; it only skips looking the catalogue up again for every string of every email.
    """

    @pass_context
    def gettext(context: Context, string: str, **variables) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - our catalogue; % escapes the variables
        return text % variables

    return gettext


def render_campaign_email(parts: CampaignParts, invitee: Invitee,
                          language: str | None = None) -> tuple[str, str, str]:
    """(language, text, html) of the invitation as this invitee will see it (in `language`
    rather than theirs if given: the organiser's preview)."""
    language = language if language in parts.languages else parts.language(invitee)
    with force_locale(language):
        text, html = _render(
            parts, invitee, language, invite_url(invitee), unsubscribe_url(invitee)
        )
    return language, text, html


def _render(
    parts: CampaignParts, invitee: Invitee, language: str, register_url: str, unsubscribe: str
) -> tuple[str, str]:
    """(text, html) in the current locale, with the templates and context built once."""
    text_template, html_template, shared = parts.rendering(language)
    context = {
        **shared,
        "invitee": invitee,
        "register_url": register_url,
        "unsubscribe_url": unsubscribe,
    }
    return text_template.render(context), html_template.render(context)


def campaign_email(
    parts: CampaignParts, invitee: Invitee, language: str, key_suffix: str
) -> NewEmail:
    """The campaign's invitation to one invitee, rendered in `language` (the current locale)."""
    token = invitee_token(invitee)
    register = external_url("registration.register", slug=parts.series.slug, invite=token)
    unsubscribe = external_url("unsubscribe.unsubscribe", token=token)
    text, html = _render(parts, invitee, language, register, unsubscribe)
    return NewEmail(
        kind="campaign_invitation",
        purpose_key=f"campaign:{parts.campaign.id}:{invitee.id}:{key_suffix}",
        to_email=invitee.email,
        to_name=clean_one_line(invitee.full_name),
        language=language,
        subject=parts.subject(language),
        body_text=text,
        body_html=html,
        series=parts.series,
        calendar_method="PUBLISH" if parts.calendar(language) else None,
        calendar_ics=parts.calendar(language) or None,
        sender_email=parts.sender_email,
        sender_name=parts.sender_name,
        extra_headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def queue_campaign_emails(
    parts: CampaignParts, invitees: list[Invitee], key_suffix: str
) -> dict[int, int]:
    """Queue the invitation to a batch of invitees in one INSERT (no commit).

    Returns {invitee id: outbox row id} for those queued now; an invitee whose email for this
    key was already queued is left out. Rendered one language at a time (one locale switch).
    """
    by_language: dict[str, list[Invitee]] = {}
    for invitee in invitees:
        by_language.setdefault(parts.language(invitee), []).append(invitee)
    emails: list[NewEmail] = []
    for language, group in by_language.items():
        with force_locale(language):
            emails.extend(campaign_email(parts, i, language, key_suffix) for i in group)
    queued = queue_emails(emails)
    prefix = f"campaign:{parts.campaign.id}:"
    return {
        invitee.id: queued[key]
        for invitee in invitees
        if (key := f"{prefix}{invitee.id}:{key_suffix}") in queued
    }


TEST_MARK = "[TEST]"


def queue_test_email(
    parts: CampaignParts, sample: Invitee, language: str, to_email: str, to_name: str = ""
) -> int:
    """The invitation as `sample` gets it in `language`, sent to the organiser with [TEST]
    before the subject (no commit). Its links carry no invitee's token; it counts as no send."""
    with force_locale(language):
        email = campaign_email(parts, sample, language, "test")
    test = replace(
        email,
        purpose_key=f"campaign:{parts.campaign.id}:test:{secrets.token_hex(8)}",
        to_email=to_email,
        to_name=clean_one_line(to_name),
        subject=f"{TEST_MARK} {email.subject}",
    )
    return next(iter(queue_emails([test]).values()))
