"""iCalendar files: pure functions from modules to bytes (RFC 5545, 5546, 6047).

Decisions, the same everywhere (emails and feeds):
- UID: ``module.calendar_uid + "@" + host of BASE_URL`` (kept as is if it already has an "@").
- DTSTART/DTEND in UTC ("Z"); local times only in the human-readable text.
- Emails are REQUEST/CANCEL with exactly one ATTENDEE; feeds are PUBLISH without ATTENDEE.
- Feeds take DTSTAMP/LAST-MODIFIED from the rows' updated_at and a fixed calendar UID, so the
  same data always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vDuration, vText

from webinar_app import timefmt
from webinar_app.core.speakers import speaker_credits
from webinar_app.core.text import clean_multiline, clean_one_line, typeset
from webinar_app.core.urls import external_url, site_host
from webinar_app.i18n import current_language, localized
from webinar_app.models import (
    BackgroundNote,
    Module,
    ModuleStatus,
    Person,
    Registration,
    RegistrationStatus,
    Series,
)
from webinar_app.timefmt import human_size

FEED_REFRESH = timedelta(hours=6)
METHODS = ("REQUEST", "CANCEL")


def event_uid(module: Module, base_url: str) -> str:
    """The module's calendar UID for life, identical in every email and feed."""
    if "@" in module.calendar_uid:
        return module.calendar_uid
    return f"{module.calendar_uid}@{site_host(base_url)}"


def module_url(module: Module) -> str:
    """The public page of the module."""
    return external_url("public.module_page", slug=module.series.slug, number=module.number)


def event_summary(module: Module) -> str:
    """'Module 1 — Prevention: Title' (one line)."""
    if module.pillar:
        text = _(
            "Module %(number)s — %(pillar)s: %(title)s",
            number=module.number,
            pillar=localized(module, "pillar"),
            title=localized(module, "title"),
        )
    else:
        text = _(
            "Module %(number)s: %(title)s", number=module.number, title=localized(module, "title")
        )
    return clean_one_line(text)


def _cn(text: str) -> str:
    """A CN parameter value: one line, no double quotes (older clients ignore RFC 6868)."""
    return clean_one_line(text).replace('"', "'")


def _text(value: str, multiline: bool = False) -> vText:
    """A TEXT value for icalendar to escape: no stored character can end the line or the file;
    in the typography of the calendar's language (French spacing)."""
    text = clean_multiline(value) if multiline else clean_one_line(value)
    return vText(typeset(text, current_language()))


def _uri(value: str) -> str:
    """A URI or mailto address on one line, without spaces or control characters."""
    return "".join(clean_one_line(value).split())


@dataclass(frozen=True)
class Prereading:
    """A published pre-reading note, ready to show: title, kind ('PDF, 412 KB') and link."""

    title: str
    kind: str
    url: str
    abstract: str


def prereading(module: Module) -> list[Prereading]:
    """The module's published pre-reading notes with their type, size and link."""
    items: list[Prereading] = []
    notes: Iterable[BackgroundNote] = module.notes
    for note in notes:
        if not (note.is_published and note.is_prereading):
            continue
        if note.has_file and note.file_name:
            url = external_url("public.note_download", slug=module.series.slug,
                               number=module.number, note_id=note.id, filename=note.file_name)
            kind = f"PDF, {human_size(note.file_size or 0)}"
        elif note.external_url:
            url, kind = note.external_url, _("web page")
        else:
            continue
        items.append(
            Prereading(localized(note, "title"), kind, url, localized(note, "abstract"))
        )
    return items


def agenda_lines(module: Module) -> list[str]:
    """The agenda in brief: one line per item, its speakers named as the module's rule allows."""
    lines = []
    for item in module.agenda_items:
        speakers = [credit.label for credit in speaker_credits(item, module)]
        line = f"- {localized(item, 'title')}"
        if speakers:
            line += f" ({'; '.join(speakers)})"
        lines.append(clean_one_line(line))
    return lines


def event_description(
    module: Module,
    *,
    join_url: str | None = None,
    personal_url: str | None = None,
    viewer_tz: str | None = None,
) -> str:
    """The DESCRIPTION: focus, time in words, join link, agenda, pre-reading, personal page."""
    parts: list[str] = []
    if module.thematic_focus:
        parts.append(localized(module, "thematic_focus"))
    if module.starts_at is not None:
        parts.append(_("When: %(when)s", when=when_text(module, viewer_tz)))
    if join_url:
        parts.append(_("Join the webinar: %(url)s", url=join_url))
    agenda = agenda_lines(module)
    if agenda:
        parts.append(_("Agenda:") + "\n" + "\n".join(agenda))
    notes = prereading(module)
    if notes:
        parts.append(
            _("Pre-reading:")
            + "\n"
            + "\n".join(f"- {n.title} ({n.kind}): {n.url}" for n in notes)
        )
    if personal_url:
        parts.append(_("Your registrations: %(url)s", url=personal_url))
    parts.append(_("Module page: %(url)s", url=module_url(module)))
    return "\n\n".join(parts)


def when_text(module: Module, viewer_tz: str | None = None) -> str:
    """'Wednesday 18 December 2030, 14:00–16:00 Brussels time (16:00–18:00 in Nairobi, your
    time zone)'."""
    assert module.starts_at is not None
    series_tz = module.series.timezone
    date = timefmt.fmt_date(module.starts_at, series_tz)
    pair = timefmt.fmt_time_pair(module.starts_at, series_tz, viewer_tz, ends_at=module.ends_at)
    return f"{date}, {pair}"


def organizer(series: Series, fallback_email: str = "") -> vCalAddress:
    """ORGANIZER: the series' sender as a mailto: address with its name."""
    email = _uri(series.sender_email or fallback_email or "") or "webinars@localhost"
    return vCalAddress.new(email, cn=_cn(series.sender_name or series.organiser or email))


def attendee(person: Person, is_request: bool) -> vCalAddress:
    """ATTENDEE: a REQUEST asks for an answer; a CANCEL asks for none (RSVP=FALSE, no PARTSTAT)."""
    extra = {"partstat": "NEEDS-ACTION", "rsvp": True} if is_request else {"rsvp": False}
    return vCalAddress.new(
        person.email or "",
        cn=_cn(person.full_name or person.email or ""),
        cutype="INDIVIDUAL",
        role="REQ-PARTICIPANT",
        **extra,
    )


def _calendar(base_url: str, method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", f"-//{site_host(base_url)}//Webinar series//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _event(
    module: Module,
    base_url: str,
    *,
    sequence: int,
    stamp: datetime,
    status: str,
    description: str,
    fallback_sender: str,
) -> Event:
    assert module.starts_at is not None and module.ends_at is not None
    event = Event()
    event.add("uid", event_uid(module, base_url))
    event.add("sequence", max(sequence, 0))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", module.starts_at.astimezone(UTC))
    event.add("dtend", module.ends_at.astimezone(UTC))
    event.add("summary", _text(event_summary(module)))
    event.add("description", _text(description, multiline=True))
    event.add("status", status)
    event.add("organizer", organizer(module.series, fallback_sender))
    return event


def module_invitation(
    module: Module,
    person: Person,
    sequence: int,
    method: str,
    stamp: datetime,
    base_url: str,
    personal_url: str,
    fallback_sender: str = "",
) -> bytes:
    """An iMIP calendar for one person and one module: METHOD REQUEST or CANCEL."""
    if method not in METHODS:
        raise ValueError(f"unsupported METHOD {method!r}")
    if not person.email:
        raise ValueError("the person has no email address")
    with force_locale(person.language or "en"):
        return _module_invitation(
            module, person, sequence, method, stamp, base_url, personal_url, fallback_sender
        )


def _module_invitation(
    module: Module,
    person: Person,
    sequence: int,
    method: str,
    stamp: datetime,
    base_url: str,
    personal_url: str,
    fallback_sender: str,
) -> bytes:
    is_request = method == "REQUEST"
    join_url = module.join_url if is_request and module.join_url else None
    cal = _calendar(base_url, method)
    event = _event(
        module,
        base_url,
        sequence=sequence,
        stamp=stamp,
        status="CONFIRMED" if is_request else "CANCELLED",
        description=event_description(
            module, join_url=join_url, personal_url=personal_url,
            viewer_tz=person.timezone,
        ),
        fallback_sender=fallback_sender,
    )
    event.add("attendee", attendee(person, is_request))
    event.add("url", _uri(join_url or module_url(module)))
    if join_url:
        event.add("location", _text(join_url))
    cal.add_component(event)
    return cal.to_ical()


def series_language(series: Series) -> str:
    """The series' first language: public feeds are the same bytes for everyone."""
    codes = series.language_codes
    return codes[0] if codes else "en"


def _in_feed(module: Module) -> bool:
    return module.status != ModuleStatus.DRAFT and module.starts_at is not None


def _feed_calendar(series: Series, base_url: str, uid: str, name: str) -> Calendar:
    cal = _calendar(base_url, "PUBLISH")
    cal.add("uid", uid)
    cal.add("name", _text(name))
    cal.add("x-wr-calname", _text(name))
    if series.short_description:
        cal.add("x-wr-caldesc", _text(localized(series, "short_description")))
    cal.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(FEED_REFRESH))
    return cal


def _public_event(module: Module, base_url: str, fallback_sender: str) -> Event:
    event = _event(
        module,
        base_url,
        sequence=module.sequence,
        stamp=module.updated_at,
        status="CANCELLED" if module.is_cancelled else "CONFIRMED",
        description=event_description(module),
        fallback_sender=fallback_sender,
    )
    event.add("last-modified", module.updated_at.astimezone(UTC))
    event.add("url", _uri(module_url(module)))
    return event


def series_feed(series: Series, base_url: str, fallback_sender: str = "") -> bytes:
    """The public feed of every scheduled, held or cancelled module (PUBLISH, no attendees)."""
    with force_locale(series_language(series)):
        return _series_feed(series, base_url, fallback_sender)


def _series_feed(series: Series, base_url: str, fallback_sender: str) -> bytes:
    cal = _feed_calendar(
        series, base_url, f"series-{series.id}@{site_host(base_url)}", localized(series, "title")
    )
    for module in sorted(series.modules, key=lambda m: (m.starts_at or m.created_at, m.id)):
        if _in_feed(module):
            cal.add_component(_public_event(module, base_url, fallback_sender))
    return cal.to_ical()


def module_feed(module: Module, base_url: str, fallback_sender: str = "") -> bytes:
    """The public calendar file of one module (PUBLISH, no attendees, no join link)."""
    if not _in_feed(module):
        raise ValueError("draft or unscheduled modules have no calendar")
    with force_locale(series_language(module.series)):
        return _module_feed(module, base_url, fallback_sender)


def _module_feed(module: Module, base_url: str, fallback_sender: str) -> bytes:
    cal = _feed_calendar(
        module.series,
        base_url,
        f"module-feed-{module.id}@{site_host(base_url)}",
        f"{localized(module.series, 'title')} — {event_summary(module)}",
    )
    cal.add_component(_public_event(module, base_url, fallback_sender))
    return cal.to_ical()


def personal_feed(
    person: Person,
    registrations: Iterable[Registration],
    base_url: str,
    personal_url: str = "",
    fallback_sender: str = "",
) -> bytes:
    """A person's own feed: their modules with join links, each at their calendar SEQUENCE.

    Waiting-list places are left out; a cancelled module or a place the person cancelled stays
    as STATUS:CANCELLED without a join link.
    """
    with force_locale(person.language or "en"):
        return _personal_feed(person, list(registrations), base_url, personal_url, fallback_sender)


def _personal_feed(
    person: Person,
    registrations: list[Registration],
    base_url: str,
    personal_url: str,
    fallback_sender: str,
) -> bytes:
    cal = _feed_calendar(
        person.series,
        base_url,
        f"person-feed-{person.id}@{site_host(base_url)}",
        localized(person.series, "title"),
    )
    regs = [
        r
        for r in registrations
        if _in_feed(r.module) and r.status != RegistrationStatus.WAITING
    ]
    for reg in sorted(regs, key=lambda r: (r.module.starts_at, r.module.id)):
        module = reg.module
        is_live = reg.status == RegistrationStatus.REGISTERED and not module.is_cancelled
        join_url = module.join_url if is_live and module.join_url else None
        stamp = max(module.updated_at, reg.updated_at)
        event = _event(
            module,
            base_url,
            sequence=reg.calendar_sequence,
            stamp=stamp,
            status="CONFIRMED" if is_live else "CANCELLED",
            description=event_description(
                module, join_url=join_url, personal_url=personal_url or None,
                viewer_tz=person.timezone,
            ),
            fallback_sender=fallback_sender,
        )
        event.add("last-modified", stamp.astimezone(UTC))
        event.add("url", _uri(join_url or module_url(module)))
        if join_url:
            event.add("location", _text(join_url))
        cal.add_component(event)
    return cal.to_ical()


def webcal_url(feed_url: str) -> str:
    """The webcal:// form of a feed URL, for "subscribe" links."""
    return "webcal://" + feed_url.split("://", 1)[-1]


_LINK_TIME = "%Y%m%dT%H%M%SZ"
_OUTLOOK_TIME = "%Y-%m-%dT%H:%M:%SZ"
OUTLOOK_COM = "outlook.live.com"
MICROSOFT_365 = "outlook.office.com"


def _link_details(module: Module, join_url: str | None) -> str:
    """The event text of an add-to-calendar link: the join link when given, the module page."""
    if not join_url:
        return module_url(module)
    return "\n\n".join([
        _("Join the webinar: %(url)s", url=join_url),
        _("Module page: %(url)s", url=module_url(module)),
    ])


def _with_location(query: dict[str, str], key: str, join_url: str | None) -> dict[str, str]:
    return {**query, key: join_url} if join_url else query


def google_calendar_url(module: Module, join_url: str | None = None) -> str:
    """An "add to Google Calendar" link, in UTC; the join link (only for a registered person)
    as the place and in the details."""
    assert module.starts_at is not None and module.ends_at is not None
    dates = (
        f"{module.starts_at.astimezone(UTC).strftime(_LINK_TIME)}/"
        f"{module.ends_at.astimezone(UTC).strftime(_LINK_TIME)}"
    )
    query = {
        "action": "TEMPLATE",
        "text": event_summary(module),
        "dates": dates,
        "details": _link_details(module, join_url),
    }
    query = _with_location(query, "location", join_url)
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def _outlook_url(host: str, module: Module, join_url: str | None) -> str:
    """Outlook's compose deeplink (the same on Outlook.com and Microsoft 365), in UTC."""
    assert module.starts_at is not None and module.ends_at is not None
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event_summary(module),
        "startdt": module.starts_at.astimezone(UTC).strftime(_OUTLOOK_TIME),
        "enddt": module.ends_at.astimezone(UTC).strftime(_OUTLOOK_TIME),
        "body": _link_details(module, join_url),
    }
    query = _with_location(query, "location", join_url)
    return f"https://{host}/calendar/0/deeplink/compose?" + urlencode(query)


def outlook_calendar_url(module: Module, join_url: str | None = None) -> str:
    """An "add to Outlook.com" link (personal Microsoft accounts)."""
    return _outlook_url(OUTLOOK_COM, module, join_url)


def microsoft365_calendar_url(module: Module, join_url: str | None = None) -> str:
    """An "add to Microsoft 365" link (work and ministry accounts, Outlook on the web)."""
    return _outlook_url(MICROSOFT_365, module, join_url)


@dataclass(frozen=True)
class CalendarLinks:
    """The add-to-calendar links of one module for one reader."""

    google: str
    outlook: str
    microsoft365: str


def calendar_links(module: Module, join_url: str | None = None) -> CalendarLinks | None:
    """Google, Outlook.com and Microsoft 365 links for a module with a time (None without)."""
    if module.starts_at is None or module.ends_at is None:
        return None
    return CalendarLinks(
        google_calendar_url(module, join_url),
        outlook_calendar_url(module, join_url),
        microsoft365_calendar_url(module, join_url),
    )
