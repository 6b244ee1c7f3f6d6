"""Summary pages: organisers draft, reviewers send back, approve and publish (holding the
follow-ups or not); the public reads them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.core import module_life, public_cache
from webinar_app.core.access import editor_required, reviewer_required, staff_required
from webinar_app.core.public_cache import series_version
from webinar_app.extensions import db
from webinar_app.followups.services import pending_followup_counts
from webinar_app.i18n import select_locale
from webinar_app.models import Module, Series, Summary, SummaryState
from webinar_app.summaries import public, services
from webinar_app.summaries.forms import (
    BLANK_PRACTICE_ROWS,
    ActionForm,
    ApproveForm,
    CommentForm,
    CompareForm,
    PublishForm,
    SendBackForm,
    SummaryForm,
)
from webinar_app.summaries.rendering import render_markdown
from webinar_app.summaries.services import SummaryError

bp = Blueprint("summaries", __name__)

ADMIN_PATH = "/admin/series/<slug>/modules/<int:number>/summary"
# --- helpers ------------------------------------------------------------------------------


def _series_or_404(slug: str) -> Series:
    series = db.session.scalars(select(Series).where(Series.slug == slug)).first()
    return series or abort(404)


def _module_or_404(slug: str, number: int) -> Module:
    stmt = (
        select(Module).join(Module.series).where(Series.slug == slug, Module.number == number)
    )
    return db.session.scalars(stmt).first() or abort(404)


def _summary_or_404(module: Module) -> Summary:
    return services.get_summary(module) or abort(404)


def _summary_url(module: Module) -> str:
    return url_for("summaries.overview", slug=module.series.slug, number=module.number)


def _show_error(form, error: SummaryError) -> None:
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors") and not isinstance(field.errors, dict):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _practice_rows(summary: Summary | None, module: Module) -> list[dict]:
    rows = [p.snapshot() for p in summary.good_practices] if summary else []
    return rows + [{"pillar": module.pillar}] * BLANK_PRACTICE_ROWS


def _form_values(summary: Summary | None, module: Module) -> dict:
    if summary is None:
        return dict(attendance_figure=services.recorded_attendance(module),
                    practices=_practice_rows(None, module))
    figure = summary.attendance_figure
    if figure is None:
        figure = services.recorded_attendance(module)
    return dict(body_markdown=summary.body_markdown, key_takeaways=summary.key_takeaways,
                body_markdown_fr=summary.body_markdown_fr,
                key_takeaways_fr=summary.key_takeaways_fr, attendance_figure=figure,
                practices=_practice_rows(summary, module))


@bp.context_processor
def _summary_context() -> dict:
    return {
        "can_edit": bool(getattr(current_user, "can_edit", False)),
        "can_review": bool(getattr(current_user, "can_review", False)),
    }


def _render_overview(module: Module, summary: Summary | None, status: int = 200, **forms):
    forms.setdefault("send_back_form", SendBackForm(formdata=None))
    forms.setdefault("approve_form", ApproveForm(formdata=None))
    forms.setdefault("comment_form", CommentForm(formdata=None))
    compare_form = None
    if summary and len(summary.revisions) > 1:
        compare_form = _compare_form(summary, formdata=None)
    held = summary is not None and summary.has_held_followups
    body = render_template(
        "summaries/overview.html", module=module, series=module.series, summary=summary,
        body_html=render_markdown(summary.body_markdown) if summary else "",
        body_fr_html=render_markdown(summary.body_markdown_fr) if summary else "",
        compare_form=compare_form,
        recorded_attendance=services.recorded_attendance(module),
        held_followups=pending_followup_counts(module) if held else None, **forms,
    )
    return body, status


def _compare_form(summary: Summary, formdata=None) -> CompareForm:
    numbers = [r.number for r in summary.revisions]
    form = CompareForm(
        formdata=formdata, data={"old": numbers[-2], "new": numbers[-1], "view": "inline"}
    )
    choices = [(n, _("Revision %(number)s", number=n)) for n in numbers]
    form.old.choices = choices
    form.new.choices = choices
    return form


# --- organiser and reviewer pages ---------------------------------------------------------


@bp.route(ADMIN_PATH)
@staff_required
def overview(slug: str, number: int):
    """The summary's state, preview, comments, revisions, and the actions the user may take."""
    module = _module_or_404(slug, number)
    return _render_overview(module, services.get_summary(module))


@bp.route(f"{ADMIN_PATH}/edit", methods=["GET", "POST"])
@editor_required
def edit(slug: str, number: int):
    """Write the draft; every save is a revision."""
    module = _module_or_404(slug, number)
    summary = services.get_summary(module)
    form = SummaryForm(data=_form_values(summary, module))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            services.save_draft(module, form.summary_data(), current_user)
        except SummaryError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Draft saved as a new revision."), "success")
            return redirect(_summary_url(module))
    return render_template("summaries/edit.html", form=form, module=module,
                           series=module.series, summary=summary,
                           recorded_attendance=services.recorded_attendance(module)), status


def _transition(slug: str, number: int, change, message: str):
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(summary)
    except SummaryError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(_summary_url(module))


@bp.route(f"{ADMIN_PATH}/submit", methods=["POST"])
@editor_required
def submit(slug: str, number: int):
    """Send the draft to the reviewers."""
    change = lambda s: services.submit_for_review(s, current_user)  # noqa: E731
    return _transition(slug, number, change, _("Submitted for review."))


@bp.route(f"{ADMIN_PATH}/reopen", methods=["POST"])
@editor_required
def reopen(slug: str, number: int):
    """Take a published summary back to draft."""
    change = lambda s: services.reopen(s, current_user)  # noqa: E731
    return _transition(slug, number, change, _("The summary is a draft again and not public."))


@bp.route(f"{ADMIN_PATH}/send-back", methods=["POST"])
@reviewer_required
def send_back(slug: str, number: int):
    """Return the summary to the organisers with a comment."""
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    form = SendBackForm()
    if form.validate_on_submit():
        try:
            services.send_back(summary, current_user, form.reason.data)
        except SummaryError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Sent back to the organisers with your comment."), "success")
            return redirect(_summary_url(module))
    return _render_overview(module, summary, 422, send_back_form=form)


@bp.route(f"{ADMIN_PATH}/approve", methods=["POST"])
@reviewer_required
def approve(slug: str, number: int):
    """Approve the summary in review; publishing is the next, separate step."""
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            services.approve(summary, current_user, form.approval_note.data or "")
        except SummaryError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Approved. The author was told; publish it when you are ready."), "success")
            return redirect(_summary_url(module))
    return _render_overview(module, summary, 422, approve_form=form)


def _publish_page(module: Module, summary: Summary, form: PublishForm, status: int = 200):
    return render_template(
        "summaries/publish.html", module=module, series=module.series, summary=summary,
        form=form, counts=pending_followup_counts(module),
        not_held_yet=module_life.refusal(module, module_life.Purpose.FOLLOWUPS),
    ), status


@bp.route(f"{ADMIN_PATH}/publish", methods=["GET", "POST"])
@reviewer_required
def publish(slug: str, number: int):
    """Confirm publishing: the follow-ups that will go, sent now or held until released."""
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    if summary.state != SummaryState.APPROVED:
        flash(_("Only an approved summary can be published."), "error")
        return redirect(_summary_url(module))
    form = PublishForm()
    if not form.validate_on_submit():
        return _publish_page(module, summary, form, 422 if form.is_submitted() else 200)
    if not (form.send_now.data or form.hold.data):
        flash(_("Choose whether the follow-ups go now or are held."), "error")
        return _publish_page(module, summary, form, 422)
    queued = services.publish(summary, current_user, hold_followups=form.is_holding)
    db.session.commit()
    waiting = module_life.refusal(module, module_life.Purpose.FOLLOWUPS)
    if form.is_holding:
        flash(_("Published. The follow-ups are held; release them from this page."), "success")
    elif waiting is None:
        flash(_("Published. Follow-up emails queued: %(count)s.", count=queued), "success")
    else:
        flash(_("Published. Its follow-ups go out as soon as the module is held. %(why)s",
                why=waiting), "success")
    return redirect(_summary_url(module))


@bp.route(f"{ADMIN_PATH}/release-followups", methods=["POST"])
@staff_required
def release_followups(slug: str, number: int):
    """Let the follow-ups held at publication go."""
    change = lambda s: services.release_followups(s, current_user)  # noqa: E731
    return _transition(slug, number, change, _("Follow-ups released."))


@bp.route(f"{ADMIN_PATH}/comments", methods=["POST"])
@staff_required
def comment(slug: str, number: int):
    """Add a comment to the summary's discussion."""
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    form = CommentForm()
    if form.validate_on_submit():
        services.add_comment(summary, current_user, form.comment.data)
        db.session.commit()
        flash(_("Comment added."), "success")
        return redirect(_summary_url(module) + "#comments")
    return _render_overview(module, summary, 422, comment_form=form)


@bp.route(f"{ADMIN_PATH}/revisions/<int:revision>")
@staff_required
def revision(slug: str, number: int, revision: int):
    """One revision as it was saved."""
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    found = services.get_revision(summary, revision) or abort(404)
    return render_template("summaries/revision.html", module=module, series=module.series,
                           summary=summary, revision=found,
                           body_html=render_markdown(found.body_markdown),
                           body_fr_html=render_markdown(found.body_markdown_fr))


@bp.route(f"{ADMIN_PATH}/compare")
@staff_required
def compare(slug: str, number: int):
    """What changed between two revisions."""
    module = _module_or_404(slug, number)
    summary = _summary_or_404(module)
    if len(summary.revisions) < 2:
        flash(_("There is only one revision so far."), "info")
        return redirect(_summary_url(module))
    form = _compare_form(summary, formdata=request.args)
    comparison = None
    if form.validate():
        old = services.get_revision(summary, form.old.data)
        new = services.get_revision(summary, form.new.data)
        comparison = services.compare_revisions(old, new)
    status = 200 if comparison is not None else 422
    return render_template("summaries/compare.html", module=module, series=module.series,
                           summary=summary, form=form, comparison=comparison), status


# --- public ------------------------------------------------------------------------------


@bp.route("/series/<slug>/summaries")
def published(slug: str):
    """Every published summary of the series (from the public cache, with an ETag)."""
    version = series_version(slug)
    if version is None:
        abort(404)
    zone = request.cookies.get(timefmt.TZ_COOKIE)
    key = ("summaries", select_locale(), zone if timefmt.is_valid_timezone(zone) else None)
    return public_cache.public_response(
        public_cache.cached(key, version, lambda: _render_published(slug))
    )


def _render_published(slug: str) -> str:
    series = _series_or_404(slug)
    return render_template("summaries/public_list.html", series=series,
                           summaries=public.published_summaries(series),
                           practices_url=url_for("good_practices.catalogue", slug=slug))
