"""Organiser page: set the recording link and send a held module's follow-up."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from webinar_app.core import module_life
from webinar_app.core.access import editor_required
from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.followups.forms import FollowupForm
from webinar_app.followups.services import (
    are_followups_held,
    has_published_summary,
    queue_followups,
)
from webinar_app.models import Module, OutboxMessage, Series

bp = Blueprint("followups", __name__)


def _module_or_404(slug: str, number: int) -> Module:
    module = db.session.scalar(
        select(Module).join(Series).where(Series.slug == slug, Module.number == number)
    )
    if module is None:
        abort(404)
    return module


def _page(module: Module, form: FollowupForm, not_yet: str | None, status: int = 200):
    sent = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "followup", OutboxMessage.module_id == module.id)) or 0
    return render_template("followups/followup.html", series=module.series, module=module,
                           form=form, sent=sent, has_summary=has_published_summary(module),
                           not_yet=not_yet), status


@bp.route("/<slug>/modules/<int:number>/followup", methods=["GET", "POST"])
@editor_required
def followup(slug: str, number: int):
    module = _module_or_404(slug, number)
    form = FollowupForm(recording_url=module.recording_url)
    not_yet = module_life.refusal(module, module_life.Purpose.FOLLOWUPS)
    if not_yet is None and are_followups_held(module):
        not_yet = _("They were held when the summary was published: release them from the "
                    "summary page.")
    if form.is_submitted() and not_yet:
        return _page(module, form, not_yet, 422)
    if form.validate_on_submit():
        module.recording_url = form.recording_url.data or ""
        queued = queue_followups(module)
        record_event("followups.sent", module=module, people=queued, summary=ngettext(
            "Sent the follow-up of module %(number)s: %(num)d email queued",
            "Sent the follow-up of module %(number)s: %(num)d emails queued", queued,
            number=module.number), details={"queued": queued})
        db.session.commit()
        flash(ngettext("%(num)s follow-up email queued.", "%(num)s follow-up emails queued.",
                       queued) if queued else
              _("No follow-up queued: everyone registered already has theirs."), "success")
        return redirect(url_for(".followup", slug=slug, number=number))
    return _page(module, form, not_yet)
