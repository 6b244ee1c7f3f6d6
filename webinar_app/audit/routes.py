"""The audit log pages: per series (editors) and site-wide (admins), each with a CSV export.

The log names organisers (their emails) but never participants; it is kept for organisers and
admins, and reviewers get 403 like on the other pages that are about running the series.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.audit.services import (
    ACTION_KINDS,
    PAGE_SIZE,
    audit_csv_header,
    audit_csv_rows,
    audit_query,
    audit_row,
)
from webinar_app.core.access import admin_required, editor_required
from webinar_app.core.csv import csv_download, csv_lines
from webinar_app.core.urls import int_arg
from webinar_app.extensions import db
from webinar_app.models import Series

bp = Blueprint("audit", __name__)

SITE_ZONE = "UTC"


def _kind() -> str:
    kind = request.args.get("kind", "")
    return kind if kind in ACTION_KINDS else ""


def _series_or_404(slug: str) -> Series:
    return db.first_or_404(select(Series).where(Series.slug == slug))


def _render(series: Series | None, tz_name: str):
    kind = _kind()
    page = db.paginate(audit_query(series, kind), page=int_arg("page", 1), per_page=PAGE_SIZE,
                       error_out=False)
    rows = [audit_row(event, tz_name) for event in page.items]
    return render_template("audit/log.html", series=series, page=page, rows=rows, kind=kind,
                           kinds=ACTION_KINDS, zone=timefmt.city_name(tz_name))


@bp.get("/series/<slug>/audit")
@editor_required
def series_log(slug: str):
    series = _series_or_404(slug)
    return _render(series, series.timezone)


@bp.get("/series/<slug>/audit.csv")
@editor_required
def series_csv(slug: str):
    series = _series_or_404(slug)
    kind = _kind()
    return csv_download(
        csv_lines(audit_csv_header(series.timezone),
                  audit_csv_rows(series, kind, series.timezone)),
        f"{series.slug}-audit.csv",
    )


@bp.get("/audit")
@admin_required
def site_log():
    return _render(None, SITE_ZONE)


@bp.get("/audit.csv")
@admin_required
def site_csv():
    kind = _kind()
    return csv_download(
        csv_lines(audit_csv_header(SITE_ZONE), audit_csv_rows(None, kind, SITE_ZONE)),
        "audit.csv",
    )
