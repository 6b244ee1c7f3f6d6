"""/series/SLUG/good-practices: the catalogue page and its CSV and JSON exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from webinar_app.core import public_cache as cache
from webinar_app.core.public_cache import series_version
from webinar_app.extensions import db
from webinar_app.good_practices import services
from webinar_app.good_practices.forms import PracticeFilterForm, practice_filter
from webinar_app.i18n import select_locale
from webinar_app.models import Series

bp = Blueprint("good_practices", __name__)
FILTER_ARGS = ("pillar", "country", "organisation", "covid")


def _series_or_404(slug: str) -> Series:
    series = db.session.scalars(select(Series).where(Series.slug == slug)).first()
    return series or abort(404)


def _cached(slug: str, kind: str, render, mimetype: str = "text/html") -> Response:
    """The catalogue document for this filter, language and series version (ETag, 304)."""
    version = series_version(slug)
    if version is None:
        abort(404)
    key = ("good_practices", kind, select_locale())
    entry = cache.cached(key, version, render, allowed_args=FILTER_ARGS)
    return cache.public_response(entry, mimetype=mimetype, vary=("Accept-Language", "Cookie"))


def _export_name(slug: str, extension: str) -> str:
    return f'attachment; filename="good-practices-{slug}.{extension}"'


@bp.route("/series/<slug>/good-practices")
def catalogue(slug: str):
    """Every good practice of the series, filtered by pillar, country, organisation, COVID-19."""
    return _cached(slug, "page", lambda: _render_catalogue(slug))


def _render_catalogue(slug: str) -> str:
    series = _series_or_404(slug)
    wanted = practice_filter(request.args)
    found = services.catalogue(series, wanted)
    form = PracticeFilterForm(formdata=None)
    form.offer(found, wanted)
    query = {k: v for k, v in wanted.as_dict().items() if v}
    return render_template("good_practices/catalogue.html", series=series, form=form,
                           practices=found.practices, wanted=wanted, query=query)


@bp.route("/series/<slug>/good-practices.csv")
def catalogue_csv(slug: str):
    """The filtered catalogue as CSV (UTF-8 with BOM)."""
    def render() -> bytes:
        series = _series_or_404(slug)
        found = services.catalogue(series, practice_filter(request.args))
        return services.practices_csv(found.practices, current_app.config["BASE_URL"]).encode()

    response = _cached(slug, "csv", render, mimetype="text/csv")
    response.headers["Content-Disposition"] = _export_name(slug, "csv")
    return response


@bp.route("/series/<slug>/good-practices.json")
def catalogue_json(slug: str):
    """The filtered catalogue as JSON."""
    def render() -> bytes:
        series = _series_or_404(slug)
        wanted = practice_filter(request.args)
        found = services.catalogue(series, wanted)
        base_url = current_app.config["BASE_URL"]
        return jsonify(
            series=series.slug,
            filters=wanted.as_dict(),
            count=len(found.practices),
            good_practices=[services.practice_record(p, base_url) for p in found.practices],
        ).get_data()

    return _cached(slug, "json", render, mimetype=current_app.json.mimetype)
