"""Calendar feeds: /series/SLUG/calendar.ics and /series/SLUG/modules/N/calendar.ics."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select

from webinar_app.calendar import ics
from webinar_app.extensions import db
from webinar_app.models import Module, ModuleStatus, Series

bp = Blueprint("calendar", __name__)

FEED_MAX_AGE = 15 * 60


def calendar_response(ics_bytes: bytes, filename: str, *, private: bool = False) -> Response:
    """A text/calendar response with an ETag that answers 304 to a matching If-None-Match."""
    response = Response(ics_bytes, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.cache_control.max_age = FEED_MAX_AGE
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.add_etag()
    return response.make_conditional(request)


def _fallback_sender() -> str:
    from webinar_app.outbox.services import default_sender

    return default_sender()[1]


def _series_or_404(slug: str) -> Series:
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        abort(404)
    return series


@bp.get("/series/<slug>/calendar.ics")
def series_calendar(slug: str):
    series = _series_or_404(slug)
    data = ics.series_feed(series, current_app.config["BASE_URL"], _fallback_sender())
    return calendar_response(data, f"{series.slug}.ics")


@bp.get("/series/<slug>/modules/<int:number>/calendar.ics")
def module_calendar(slug: str, number: int):
    series = _series_or_404(slug)
    module = db.session.scalar(
        select(Module).where(Module.series_id == series.id, Module.number == number)
    )
    if module is None or module.status == ModuleStatus.DRAFT or module.starts_at is None:
        abort(404)
    data = ics.module_feed(module, current_app.config["BASE_URL"], _fallback_sender())
    return calendar_response(data, f"{series.slug}-module-{module.number}.ics")


def personal_calendar(person, registrations) -> Response:
    """The /me/TOKEN/calendar.ics response: the person's modules with join links (private)."""
    from webinar_app.registration.emails import personal_url

    data = ics.personal_feed(
        person,
        registrations,
        current_app.config["BASE_URL"],
        personal_url=personal_url(person),
        fallback_sender=_fallback_sender(),
    )
    return calendar_response(data, f"{person.series.slug}-my-modules.ics", private=True)
