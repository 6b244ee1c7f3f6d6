"""Organiser page: set the recording link and send a module's follow-up."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from webinar_app.auth.access import editor_required
from webinar_app.extensions import db
from webinar_app.followups.forms import FollowupForm
from webinar_app.followups.services import has_published_summary, queue_followups
from webinar_app.models import Module, OutboxMessage, Series

bp = Blueprint("followups", __name__)


def _module_or_404(slug: str, number: int) -> Module:
    module = db.session.scalar(
        select(Module).join(Series).where(Series.slug == slug, Module.number == number)
    )
    if module is None:
        abort(404)
    return module


@bp.route("/<slug>/modules/<int:number>/followup", methods=["GET", "POST"])
@editor_required
def followup(slug: str, number: int):
    module = _module_or_404(slug, number)
    form = FollowupForm(recording_url=module.recording_url)
    if form.validate_on_submit():
        module.recording_url = form.recording_url.data or ""
        queued = queue_followups(module)
        db.session.commit()
        flash(_("%(n)s follow-up emails queued.", n=queued), "success")
        return redirect(url_for(".followup", slug=slug, number=number))
    sent = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "followup", OutboxMessage.module_id == module.id)) or 0
    return render_template("followups/followup.html", series=module.series, module=module,
                           form=form, sent=sent, has_summary=has_published_summary(module))
