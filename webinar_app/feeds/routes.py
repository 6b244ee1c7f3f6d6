"""Calendar feeds: /series/SLUG/calendar.ics and /series/SLUG/modules/N/calendar.ics.

The public feeds are the same bytes for everyone, so they are kept in the public page cache
(webinar_app/core/public_cache.py) under the series' version, which the flush hook bumps on
every change to a model of its PUBLIC_MODELS. Every feed answers through `feeds/responses.py`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webinar_app.calendar import ics
from webinar_app.core import public_cache as cache
from webinar_app.core.addresses import default_sender
from webinar_app.extensions import db
from webinar_app.feeds.responses import calendar_response
from webinar_app.models import AgendaItem, Module, ModuleStatus, Series

bp = Blueprint("feeds", __name__)


def _module_details():
    return (
        selectinload(Module.agenda_items).selectinload(AgendaItem.speakers),
        selectinload(Module.notes),
    )


def _version_or_404(slug: str):
    version = cache.series_version(slug)
    if version is None:
        abort(404)
    return version


def _series_feed(slug: str) -> bytes:
    stmt = select(Series).where(Series.slug == slug).options(
        *(selectinload(Series.modules).options(option) for option in _module_details())
    )
    series = db.session.scalar(stmt)
    if series is None:
        abort(404)
    return ics.series_feed(series, current_app.config["BASE_URL"], default_sender()[1])


def _module_feed(slug: str, number: int) -> bytes:
    stmt = (
        select(Module)
        .join(Module.series)
        .where(Series.slug == slug, Module.number == number)
        .options(*_module_details())
    )
    module = db.session.scalar(stmt)
    if module is None or module.status == ModuleStatus.DRAFT or module.starts_at is None:
        abort(404)
    return ics.module_feed(module, current_app.config["BASE_URL"], default_sender()[1])


@bp.get("/series/<slug>/calendar.ics")
def series_calendar(slug: str):
    version = _version_or_404(slug)
    entry = cache.shared(("calendar.series", slug), version, lambda: _series_feed(slug))
    return calendar_response(entry.body, f"{slug}.ics", etag=entry.etag)


@bp.get("/series/<slug>/modules/<int:number>/calendar.ics")
def module_calendar(slug: str, number: int):
    version = _version_or_404(slug)
    entry = cache.shared(
        ("calendar.module", slug, number), version, lambda: _module_feed(slug, number)
    )
    return calendar_response(entry.body, f"{slug}-module-{number}.ics", etag=entry.etag)
