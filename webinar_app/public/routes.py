"""Public pages: the series, its modules and their pre-reading."""

from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from sqlalchemy import text

from webinar_app import timefmt
from webinar_app.calendar import ics
from webinar_app.core import public_cache as cache
from webinar_app.core.urls import external_url, safe_next
from webinar_app.extensions import db
from webinar_app.i18n import LANGUAGE_COOKIE, select_locale
from webinar_app.public import services
from webinar_app.reader.services import published_readers
from webinar_app.summaries.public import published_summary

bp = Blueprint("public", __name__)

TZ_COOKIE_MAX_AGE = 365 * 24 * 3600
NOTE_CACHE_CONTROL = "public, max-age=300"


def _locale() -> str:
    return str(get_locale() or "en")


def _page_locale() -> str:
    """The locale code the page will be rendered in, without building a Babel Locale."""
    return select_locale()


def _page(entry: cache.CachedPage) -> Response:
    """A cached page, publicly cacheable, that answers 304 to a matching If-None-Match."""
    return cache.public_response(entry)


def _render_series(series, visitor_tz: str | None) -> str:
    modules = services.get_public_series_modules(series)
    view = services.series_view(
        series,
        modules,
        locale=_locale(),
        now=timefmt.now_utc(),
        visitor_tz=visitor_tz,
    )
    return render_template("public/series.html", series=view,
                           readers=published_readers(series))


@bp.route("/")
def index():
    """The current series if there is exactly one, otherwise the list of series."""
    visitor_tz = _remembered_tz()

    def render() -> str:
        all_series = services.list_series()
        current = services.current_series(all_series, timefmt.now_utc())
        if current is not None:
            return _render_series(current, visitor_tz)
        return _render_series_list(all_series)

    version = cache.all_series_version()
    return _page(cache.cached(("index", _page_locale(), visitor_tz), version, render))


@bp.route("/series/")
def series_list():
    """Every series with its dates."""
    version = cache.all_series_version()
    render = lambda: _render_series_list(services.list_series())  # noqa: E731
    return _page(cache.cached(("series_list", _page_locale()), version, render))


def _render_series_list(all_series) -> str:
    summaries = services.series_summaries(all_series, _locale())
    return render_template("public/index.html", series_list=summaries)


@bp.route("/series/<slug>")
def series_page(slug: str):
    """A series and its modules in order."""
    version = cache.series_version(slug)
    if version is None:
        abort(404)
    visitor_tz = _remembered_tz()

    def render() -> str:
        return _render_series(services.get_public_series(slug), visitor_tz)

    return _page(cache.cached(("series", _page_locale(), visitor_tz), version, render))


@bp.route("/series/<slug>/modules/<int:number>")
def module_page(slug: str, number: int):
    """A module with agenda, pre-reading, and its times in a zone the visitor picks."""
    version = cache.series_version(slug)
    if version is None:
        abort(404)
    requested = request.args.get("tz")
    visitor_tz, is_unknown_tz = services.visitor_timezone(requested, _remembered_tz())

    def render() -> str:
        return _render_module(slug, number, visitor_tz, requested if is_unknown_tz else None)

    key = ("module", _page_locale(), visitor_tz, is_unknown_tz)
    response = _page(cache.cached(key, version, render, allowed_args=("tz",)))
    if requested and not is_unknown_tz:
        response.set_cookie(timefmt.TZ_COOKIE, requested, max_age=TZ_COOKIE_MAX_AGE,
                            samesite="Lax", httponly=True)
    return response


def _render_module(slug: str, number: int, visitor_tz: str | None, bad_tz: str | None) -> str:
    module = services.get_public_module(slug, number)
    if module is None:
        abort(404)
    view = services.module_view(
        module, module.series, locale=_locale(), now=timefmt.now_utc(),
        visitor_tz=visitor_tz, with_details=True,
    )
    return render_template(
        "public/module.html",
        module=view,
        series=module.series,
        series_url=url_for("public.series_page", slug=slug),
        webcal_url=ics.webcal_url(external_url("feeds.series_calendar", slug=slug)),
        tz_options=services.timezone_options(
            visitor_tz or module.series.timezone, [module.series.timezone, visitor_tz], _locale()
        ),
        tz_requested=bad_tz,
        visitor_tz=visitor_tz,
        summary=published_summary(module),
    )


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
    name = request.cookies.get(timefmt.TZ_COOKIE)
    return name if timefmt.is_valid_timezone(name) else None


@bp.route("/language/<code>")
def set_language(code: str):
    """Remember the chosen language in a cookie and go back."""
    response = redirect(safe_next(request.args.get("next"), url_for("public.index")))
    if code in ("en", "fr"):
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
