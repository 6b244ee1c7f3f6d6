"""The invitation email of a campaign: identical parts built once, one outbox row per invitee."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale
from icalendar import Calendar

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.i18n import localized
from webinar_app.invitations.services import campaign_modules, invite_url, unsubscribe_url
from webinar_app.models import Campaign, Invitee, Module, OutboxMessage
from webinar_app.outbox.services import default_sender, queue_email


@dataclass(frozen=True)
class ProgrammeItem:
    """One module as the invitation shows it: display-ready strings."""

    summary: str
    when: str
    focus: str
    url: str
    prereading: list[ics.Prereading]


def _when(module: Module) -> str:
    tz = module.series.timezone
    assert module.starts_at is not None and module.ends_at is not None
    return (
        f"{timefmt.fmt_datetime(module.starts_at, tz)}–{timefmt.fmt_time(module.ends_at, tz)}"
        f" ({timefmt.city(tz)}, {timefmt.utc_offset(module.starts_at, tz)})"
    )


def programme_calendar(modules: list[Module], base_url: str, fallback_sender: str) -> bytes:
    """A METHOD:PUBLISH calendar of the given modules (the public feed, no join link)."""
    if not modules:
        return b""
    feed = Calendar.from_ical(ics.series_feed(modules[0].series, base_url, fallback_sender))
    wanted = {ics.event_uid(m, base_url) for m in modules}
    feed.subcomponents[:] = [
        c for c in feed.subcomponents if c.name != "VEVENT" or str(c.get("uid")) in wanted
    ]
    return feed.to_ical()


class CampaignParts:
    """What every invitation of a campaign shares, built once (per language where it differs)."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.series = campaign.series
        self.base_url = current_app.config["BASE_URL"]
        name, address = default_sender()
        self.sender_email = self.series.sender_email or address
        self.sender_name = ics.one_line(self.series.sender_name or self.series.organiser or name)
        self.modules = campaign_modules(campaign)
        self.calendar = programme_calendar(self.modules, self.base_url, self.sender_email)
        self.subject = ics.one_line(campaign.title)
        self._programmes: dict[str, list[ProgrammeItem]] = {}
        codes = self.series.language_codes or ["en"]
        self.languages = codes

    def language(self, invitee: Invitee) -> str:
        return invitee.language if invitee.language in self.languages else self.languages[0]

    def programme(self, language: str) -> list[ProgrammeItem]:
        """The programme in the series' time zone, in the given language (cached)."""
        if language not in self._programmes:
            with force_locale(language):
                self._programmes[language] = [
                    ProgrammeItem(
                        summary=ics.event_summary(m),
                        when=_when(m),
                        focus=localized(m, "thematic_focus"),
                        url=ics.module_url(m, self.base_url),
                        prereading=ics.prereading(m, self.base_url),
                    )
                    for m in self.modules
                ]
        return self._programmes[language]


def render_campaign_email(parts: CampaignParts, invitee: Invitee) -> tuple[str, str, str]:
    """(language, text, html) of the invitation as this invitee will see it."""
    language = parts.language(invitee)
    with force_locale(language):
        context = {
            "campaign": parts.campaign,
            "series": parts.series,
            "invitee": invitee,
            "language": language,
            "subject": parts.subject,
            "programme": parts.programme(language),
            "register_url": invite_url(invitee),
            "unsubscribe_url": unsubscribe_url(invitee),
            "series_url": f"{parts.base_url}/series/{parts.series.slug}",
            "has_calendar": bool(parts.calendar),
        }
        text = render_template("email/invitation_campaign.txt", **context)
        html = render_template("email/invitation_campaign.html", **context)
    return language, text, html


def queue_campaign_email(
    parts: CampaignParts, invitee: Invitee, key_suffix: str
) -> OutboxMessage | None:
    """Queue the campaign's invitation to one invitee (None if already queued for this key)."""
    language, text, html = render_campaign_email(parts, invitee)
    unsubscribe = unsubscribe_url(invitee)
    return queue_email(
        kind="campaign_invitation",
        purpose_key=f"campaign:{parts.campaign.id}:{invitee.id}:{key_suffix}",
        to_email=invitee.email,
        to_name=ics.one_line(invitee.full_name),
        language=language,
        subject=parts.subject,
        body_text=text,
        body_html=html,
        series=parts.series,
        calendar_method="PUBLISH" if parts.calendar else None,
        calendar_ics=parts.calendar or None,
        sender_email=parts.sender_email,
        sender_name=parts.sender_name,
        extra_headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
