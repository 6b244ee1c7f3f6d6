"""Organiser reports under /admin/series/SLUG/reports: tables, SVG charts and CSV."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from webinar_app.core.access import personal_data_required
from webinar_app.models import Series
from webinar_app.reports.services import REPORT_KINDS, bar_chart, build_report, report_csv
from webinar_app.schedule import services as schedule

bp = Blueprint("reports", __name__)


def _series_or_404(slug: str) -> Series:
    return schedule.get_series(slug) or abort(404)


@bp.route("/<slug>/reports")
@personal_data_required
def index(slug: str):
    series = _series_or_404(slug)
    reports = [build_report(series, kind) for kind in REPORT_KINDS]
    return render_template("reports/index.html", series=series,
                           sections=[(r, bar_chart(r)) for r in reports])


@bp.route("/<slug>/reports/<kind>.csv")
@personal_data_required
def export_csv(slug: str, kind: str):
    series = _series_or_404(slug)
    if kind not in REPORT_KINDS:
        abort(404)
    response = Response(report_csv(build_report(series, kind)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{series.slug}-{kind}.csv"'
    )
    return response


@bp.route("/<slug>/reports/<kind>.svg")
@personal_data_required
def export_svg(slug: str, kind: str):
    series = _series_or_404(slug)
    if kind not in REPORT_KINDS:
        abort(404)
    chart = bar_chart(build_report(series, kind))
    body = render_template("reports/chart.svg", chart=chart)
    response = Response(body, content_type="image/svg+xml; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{series.slug}-{kind}.svg"'
    return response
