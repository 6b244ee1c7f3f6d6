"""Routes of the api blueprint: /api/v1/series, /api/v1/series/SLUG, .../modules."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify

from webinar_app.api import services
from webinar_app.public import services as public

bp = Blueprint("api", __name__)


def _base_url() -> str:
    return current_app.config["BASE_URL"]


def _series_or_404(slug: str):
    series = public.get_public_series(slug)
    if series is None:
        abort(404)
    return series


@bp.route("/series")
def series_index():
    """Every series, without modules."""
    base = _base_url()
    return jsonify(series=[services.series_json(s, base) for s in public.list_series()])


@bp.route("/series/<slug>")
def series_detail(slug: str):
    """One series with its public modules."""
    series = _series_or_404(slug)
    modules = public.get_public_series_modules(series, with_agenda=True)
    return jsonify(services.series_json(series, _base_url(), modules))


@bp.route("/series/<slug>/modules")
def series_modules(slug: str):
    """The public modules of a series: {"modules": [...]}."""
    series = _series_or_404(slug)
    modules = public.get_public_series_modules(series, with_agenda=True)
    base = _base_url()
    return jsonify(modules=[services.module_json(series, m, base) for m in modules])
