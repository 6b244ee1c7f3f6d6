"""/series/SLUG/good-practices: the catalogue page and its CSV and JSON exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from webinar_app.extensions import db
from webinar_app.good_practices import services
from webinar_app.good_practices.forms import PracticeFilterForm, practice_filter
from webinar_app.models import Series

bp = Blueprint("good_practices", __name__)


def _series_or_404(slug: str) -> Series:
    series = db.session.scalars(select(Series).where(Series.slug == slug)).first()
    return series or abort(404)


def _export_name(series: Series, extension: str) -> str:
    return f'attachment; filename="good-practices-{series.slug}.{extension}"'


@bp.route("/series/<slug>/good-practices")
def catalogue(slug: str):
    """Every good practice of the series, filtered by pillar, country, organisation, COVID-19."""
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
    series = _series_or_404(slug)
    found = services.catalogue(series, practice_filter(request.args))
    body = services.practices_csv(found.practices, current_app.config["BASE_URL"])
    response = Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = _export_name(series, "csv")
    return response


@bp.route("/series/<slug>/good-practices.json")
def catalogue_json(slug: str):
    """The filtered catalogue as JSON."""
    series = _series_or_404(slug)
    wanted = practice_filter(request.args)
    found = services.catalogue(series, wanted)
    base_url = current_app.config["BASE_URL"]
    return jsonify(
        series=series.slug,
        filters=wanted.as_dict(),
        count=len(found.practices),
        good_practices=[services.practice_record(p, base_url) for p in found.practices],
    )
