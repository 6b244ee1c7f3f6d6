"""What the personal page shows: the person's places, display-ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.core.module_life import is_held
from webinar_app.core.urls import external_url
from webinar_app.extensions import db
from webinar_app.i18n import localized, sort_for_people
from webinar_app.models import (
    Module,
    ModuleStatus,
    Person,
    Registration,
    RegistrationStatus,
    Series,
)
from webinar_app.registration.services import active_registrations, waiting_position


@dataclass
class PlaceView:
    """One module as the person sees it on their page."""

    registration_id: int
    number: int
    title: str
    pillar: str
    status: str
    is_module_cancelled: bool
    when_series: str
    when_person: str
    series_zone: str
    person_zone: str
    is_same_zone: bool
    position: int | None
    join_url: str
    recording_url: str = ""
    slides_url: str = ""
    calendar_links: ics.CalendarLinks | None = None


def _zone_text(tz_name: str, at: datetime | None) -> str:
    """'Bruxelles (UTC+01:00)': the zone's city in the page's language, and its offset then."""
    if at is None:
        return tz_name
    return f"{timefmt.city_name(tz_name)} ({timefmt.utc_offset(at, tz_name)})"


def _when(module: Module, tz_name: str) -> str:
    """'Monday 2 March 2026, 23:00 – 01:00 the next day' in tz_name, '' when undated."""
    if module.starts_at is None or module.ends_at is None:
        return ""
    return timefmt.fmt_day_span(module.starts_at, module.ends_at, tz_name)


def _place_view(person: Person, registration: Registration) -> PlaceView:
    module = registration.module
    series_zone = module.series.timezone
    person_zone = person.timezone or series_zone
    starts_at = module.starts_at
    is_live = registration.status == RegistrationStatus.REGISTERED and not module.is_cancelled
    is_held_place = registration.status == RegistrationStatus.REGISTERED \
        and is_held(module)
    return PlaceView(
        registration_id=registration.id,
        number=module.number,
        title=localized(module, "title"),
        pillar=localized(module, "pillar"),
        status=registration.status,
        is_module_cancelled=module.is_cancelled,
        when_series=_when(module, series_zone),
        when_person=_when(module, person_zone),
        series_zone=_zone_text(series_zone, starts_at),
        person_zone=_zone_text(person_zone, starts_at),
        is_same_zone=timefmt.zone(series_zone) == timefmt.zone(person_zone),
        position=waiting_position(registration),
        join_url=module.join_url if is_live else "",
        recording_url=module.recording_url if is_held_place else "",
        slides_url=module.slides_url if is_held_place else "",
        calendar_links=_calendar_links(registration, is_live),
    )


def _calendar_links(registration: Registration, is_live: bool) -> ics.CalendarLinks | None:
    """Add-to-calendar links for a module still to come; the join link only for a registered
    person (a waiting-list place gets the links without it)."""
    module = registration.module
    if module.is_cancelled or module.status != ModuleStatus.SCHEDULED:
        return None
    return ics.calendar_links(module, module.join_url if is_live else None)


def personal_places(person: Person) -> list[PlaceView]:
    """The person's registrations and waiting-list places, in module order."""
    return [_place_view(person, r) for r in active_registrations(person)]


def subscribe_url(token: str) -> str:
    """The webcal:// address of the person's own feed, for calendar apps to subscribe to."""
    return ics.webcal_url(external_url("me.calendar", token=token))


def series_with_public_modules() -> list[tuple[str, str]]:
    """(slug, title) of every series that shows a module to the public, for the page a
    personal link that does not work leads to."""
    stmt = select(Series).where(Series.modules.any(Module.status != ModuleStatus.DRAFT))
    titles = [(series.slug, localized(series, "title")) for series in db.session.scalars(stmt)]
    return sort_for_people(titles, key=lambda pair: pair[1])


@dataclass
class CancelQuestion:
    """The place the confirmation page asks about, display-ready."""

    number: int
    title: str
    when_series: str
    series_zone: str
    is_waiting: bool
    is_cancellable: bool


def cancel_question(registration: Registration) -> CancelQuestion:
    """What the 'cancel your place?' page shows for one registration."""
    place = _place_view(registration.person, registration)
    return CancelQuestion(
        number=place.number,
        title=place.title,
        when_series=place.when_series,
        series_zone=place.series_zone,
        is_waiting=place.status == RegistrationStatus.WAITING,
        is_cancellable=place.status != RegistrationStatus.CANCELLED
        and not place.is_module_cancelled,
    )
