"""Public pages: the series, its modules and their pre-reading."""

from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale

from webinar_app import timefmt
from webinar_app.i18n import LANGUAGE_COOKIE
from webinar_app.public import services

bp = Blueprint("public", __name__)

TZ_COOKIE_MAX_AGE = 365 * 24 * 3600
NOTE_CACHE_CONTROL = "public, max-age=300"


def _locale() -> str:
    return str(get_locale() or "en")


def _render_series(series, visitor_tz: str | None) -> str:
    modules = services.get_public_series_modules(series)
    view = services.series_view(
        series,
        modules,
        locale=_locale(),
        now=timefmt.now_utc(),
        base_url=current_app.config["BASE_URL"],
        visitor_tz=visitor_tz,
    )
    return render_template("public/series.html", series=view)


@bp.route("/")
def index():
    """The current series if there is exactly one, otherwise the list of series."""
    all_series = services.list_series()
    current = services.current_series(all_series, timefmt.now_utc())
    if current is not None:
        return _render_series(current, _remembered_tz())
    return _render_series_list(all_series)


@bp.route("/series/")
def series_list():
    """Every series with its dates."""
    return _render_series_list(services.list_series())


def _render_series_list(all_series) -> str:
    summaries = services.series_summaries(all_series, _locale())
    return render_template("public/index.html", series_list=summaries)


@bp.route("/series/<slug>")
def series_page(slug: str):
    """A series and its modules in order."""
    series = services.get_public_series(slug)
    if series is None:
        abort(404)
    return _render_series(series, _remembered_tz())


@bp.route("/series/<slug>/modules/<int:number>")
def module_page(slug: str, number: int):
    """A module with agenda, pre-reading, and its times in a zone the visitor picks."""
    module = services.get_public_module(slug, number)
    if module is None:
        abort(404)
    requested = request.args.get("tz")
    visitor_tz, is_unknown_tz = services.visitor_timezone(requested, _remembered_tz())
    base_url = current_app.config["BASE_URL"]
    view = services.module_view(
        module, module.series, locale=_locale(), now=timefmt.now_utc(),
        visitor_tz=visitor_tz, base_url=base_url, with_details=True,
    )
    response = current_app.make_response(render_template(
        "public/module.html",
        module=view,
        series=module.series,
        series_url=url_for("public.series_page", slug=slug),
        webcal_url=services.webcal_url(base_url, f"/series/{slug}/calendar.ics"),
        tz_options=services.timezone_options(visitor_tz or module.series.timezone),
        tz_requested=requested if is_unknown_tz else None,
        visitor_tz=visitor_tz,
    ))
    if requested and not is_unknown_tz:
        response.set_cookie(services.TZ_COOKIE, requested, max_age=TZ_COOKIE_MAX_AGE,
                            samesite="Lax", httponly=True)
    return response


@bp.route("/series/<slug>/modules/<int:number>/notes/<int:note_id>/<filename>")
def note_download(slug: str, number: int, note_id: int, filename: str):
    """A published background note's PDF, with an ETag for conditional requests."""
    note = services.get_public_note(slug, number, note_id)
    if note is None:
        abort(404)
    if note.file_sha256 in request.if_none_match:
        response = Response(status=304)
        response.set_etag(note.file_sha256)
        response.headers["Cache-Control"] = NOTE_CACHE_CONTROL
        return response
    response = send_file(
        BytesIO(services.note_file_data(note)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=services.note_filename(note),
        etag=note.file_sha256,
        conditional=True,
        max_age=300,
    )
    response.headers["Cache-Control"] = NOTE_CACHE_CONTROL
    return response


def _remembered_tz() -> str | None:
    name = request.cookies.get(services.TZ_COOKIE)
    return name if timefmt.is_valid_timezone(name) else None


@bp.route("/language/<code>")
def set_language(code: str):
    """Remember the chosen language in a cookie and go back."""
    target = request.args.get("next") or url_for("public.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.index")
    response = redirect(target)
    if code in ("en", "fr"):
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.route("/healthz")
def healthz():
    from sqlalchemy import text

    from webinar_app.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
