"""Routes of the api blueprint: /api/v1/series, /api/v1/series/SLUG, .../modules.

The JSON is the same for everyone, so it is kept in the public page cache under the series'
version (and expires with the pages, for `is_open_for_registration`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from flask import Blueprint, Response, abort, current_app

from webinar_app.api import services
from webinar_app.core import public_cache as cache
from webinar_app.public import services as public

bp = Blueprint("api", __name__)


def _series_or_404(slug: str):
    series = public.get_public_series(slug)
    if series is None:
        abort(404)
    return series


def _version_or_404(slug: str):
    version = cache.series_version(slug)
    if version is None:
        abort(404)
    return version


def _json(key: Hashable, version: Hashable, build: Callable[[], dict]) -> Response:
    """The JSON document for key at this data version, with an ETag (304 when unchanged)."""
    entry = cache.shared(("api", key), version, lambda: current_app.json.response(build()).data)
    return cache.public_response(entry, mimetype=current_app.json.mimetype, vary=())


@bp.route("/series")
def series_index():
    """Every series, without modules."""

    def build() -> dict:
        return {"series": [services.series_json(s) for s in public.list_series()]}

    return _json("series", cache.all_series_version(), build)


@bp.route("/series/<slug>")
def series_detail(slug: str):
    """One series with its public modules."""

    def build() -> dict:
        series = _series_or_404(slug)
        modules = public.get_public_series_modules(series, with_agenda=True)
        return services.series_json(series, modules)

    return _json(("series", slug), _version_or_404(slug), build)


@bp.route("/series/<slug>/modules")
def series_modules(slug: str):
    """The public modules of a series: {"modules": [...]}."""

    def build() -> dict:
        series = _series_or_404(slug)
        modules = public.get_public_series_modules(series, with_agenda=True)
        return {"modules": [services.module_json(series, m) for m in modules]}

    return _json(("modules", slug), _version_or_404(slug), build)
