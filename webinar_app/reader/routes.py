"""The Reader: organiser builds under /admin/series/SLUG/reader, the public download."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webinar_app.core.access import editor_required, staff_required
from webinar_app.core.forms import SiteForm
from webinar_app.extensions import db
from webinar_app.i18n import current_language
from webinar_app.models import ReaderBuild, Series
from webinar_app.reader.forms import BuildForm
from webinar_app.reader.jobs import BUILDS, get_job, is_waiting_long, latest_job, queue_build
from webinar_app.reader.services import (
    ReaderError,
    get_build,
    list_builds,
    missing_summaries,
    publish_build,
    published_build,
    unpublish_builds,
)
from webinar_app.schedule import services as schedule

bp = Blueprint("reader", __name__)
public_bp = Blueprint("reader_public", __name__)


@bp.record_once
def _register_background_hook(state) -> None:
    """The outbox delivery thread (`make run`) also starts the builds left waiting."""
    state.app.extensions.setdefault("background_hooks", []).append(BUILDS.pick_up)


def _series_or_404(slug: str) -> Series:
    return schedule.get_series(slug) or abort(404)


def _pdf_response(build: ReaderBuild, filename: str, *, public: bool) -> Response:
    response = Response(build.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response.set_etag(f"reader-{build.id}")
    return response.make_conditional(request)


@bp.route("/<slug>/reader")
@staff_required
def index(slug: str):
    series = _series_or_404(slug)
    return render_template("reader/builds.html", series=series, builds=list_builds(series),
                           missing=missing_summaries(series), latest_job=latest_job(series),
                           form=SiteForm(), build_form=BuildForm(formdata=None),
                           default_build=published_build(series))


@bp.route("/<slug>/reader/builds", methods=["POST"])
@editor_required
def build(slug: str):
    """Queue a build of the Reader in one language and show its page, which refreshes itself
    until it is done."""
    series = _series_or_404(slug)
    form = BuildForm()
    if not form.validate_on_submit():
        abort(400)
    language = form.language.data or current_language()
    try:
        job = queue_build(series, current_user, language)
    except ReaderError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".index", slug=slug))
    db.session.commit()
    BUILDS.dispatch(job.id)
    return redirect(url_for(".job", slug=slug, job_id=job.id))


@bp.route("/<slug>/reader/jobs/<int:job_id>")
@staff_required
def job(slug: str, job_id: int):
    """A build request: building, done (download, publish) or failed (reason, try again)."""
    series = _series_or_404(slug)
    found = get_job(series, job_id) or abort(404)
    return render_template("reader/job.html", series=series, job=found,
                           is_waiting_long=is_waiting_long(found), form=SiteForm())


@bp.route("/<slug>/reader/builds/<int:build_id>.pdf")
@staff_required
def download(slug: str, build_id: int):
    series = _series_or_404(slug)
    found = get_build(series, build_id) or abort(404)
    return _pdf_response(found, f"{series.slug}-reader-build-{found.number}.pdf", public=False)


@bp.route("/<slug>/reader/builds/<int:build_id>/publish", methods=["POST"])
@editor_required
def publish(slug: str, build_id: int):
    series = _series_or_404(slug)
    found = get_build(series, build_id) or abort(404)
    if not SiteForm().validate_on_submit():
        abort(400)
    try:
        publish_build(found)
    except ReaderError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".index", slug=slug))
    db.session.commit()
    flash(_("Build %(number)s is now the Reader offered for download.", number=found.number),
          "success")
    return redirect(url_for(".index", slug=slug))


@bp.route("/<slug>/reader/unpublish", methods=["POST"])
@editor_required
def unpublish(slug: str):
    series = _series_or_404(slug)
    if not SiteForm().validate_on_submit():
        abort(400)
    unpublish_builds(series)
    db.session.commit()
    flash(_("The Reader is no longer offered for download."), "success")
    return redirect(url_for(".index", slug=slug))


@public_bp.route("/series/<slug>/reader.pdf")
def download_published(slug: str):
    """The published Reader in the series' first language (or the one published)."""
    series = _series_or_404(slug)
    found = published_build(series) or abort(404)
    return _pdf_response(found, f"{series.slug}-reader.pdf", public=True)


@public_bp.route("/series/<slug>/reader.<any(en, fr):lang>.pdf")
def download_language(slug: str, lang: str):
    """The published Reader in this language."""
    series = _series_or_404(slug)
    found = published_build(series, lang) or abort(404)
    return _pdf_response(found, f"{series.slug}-reader.{lang}.pdf", public=True)
