"""The text/calendar response of every feed: cache headers and an ETag answering 304."""

from __future__ import annotations

from flask import Response, current_app, request

from webinar_app.calendar import ics
from webinar_app.core import public_cache as cache
from webinar_app.core.addresses import default_sender
from webinar_app.core.tokens import personal_url

FEED_MAX_AGE = 15 * 60


def calendar_response(
    ics_bytes: bytes, filename: str, *, private: bool = False, etag: str | None = None
) -> Response:
    """A text/calendar response with an ETag that answers 304 to a matching If-None-Match."""
    response = Response(ics_bytes, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = (
        f"private, max-age={FEED_MAX_AGE}" if private else cache.PUBLIC_CACHE_CONTROL
    )
    if etag:
        response.set_etag(etag)
    else:
        response.add_etag()
    if cache.is_conditional():
        return response.make_conditional(request)
    return response


def personal_calendar(person, registrations) -> Response:
    """The /me/TOKEN/calendar.ics response: the person's modules with join links (private)."""
    data = ics.personal_feed(
        person,
        registrations,
        current_app.config["BASE_URL"],
        personal_url=personal_url(person),
        fallback_sender=default_sender()[1],
    )
    return calendar_response(data, f"{person.series.slug}-my-modules.ics", private=True)
