"""Organiser pages: a module's recording and slides links, and the email that brings them to
attendees and absentees once the follow-ups have gone out (previewed before anything goes)."""

from __future__ import annotations

from babel import Locale
from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from webinar_app.core import module_life
from webinar_app.core.access import editor_required
from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.models import Module, Series
from webinar_app.recordings import services
from webinar_app.recordings.emails import links_digest, preview_recording_email
from webinar_app.recordings.forms import RecordingEmailForm, RecordingForm

bp = Blueprint("recordings", __name__)

PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " \
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _module(slug: str, number: int) -> Module:
    return db.first_or_404(select(Module).join(Series).where(
        Series.slug == slug, Module.number == number))


def _language_name(code: str) -> str:
    return Locale.parse(code).get_display_name(str(get_locale())) or code


@bp.route("/<slug>/modules/<int:number>/recording", methods=["GET", "POST"])
@editor_required
def edit(slug: str, number: int):
    module = _module(slug, number)
    form = RecordingForm(recording_url=module.recording_url, slides_url=module.slides_url)
    if form.validate_on_submit():
        changed = services.save_recording_links(
            module, form.recording_url.data or "", form.slides_url.data or "")
        if changed:
            record_event("module.recording_changed", module=module, summary=_(
                "Changed the recording and slides links of module %(number)s",
                number=module.number), details={"recording_url": module.recording_url,
                                                 "slides_url": module.slides_url})
        db.session.commit()
        if changed and services.is_email_offered(module):
            flash(_("Links saved. The follow-ups have gone out: check who gets the new link "
                    "before sending it."), "success")
            return redirect(url_for(".email", slug=slug, number=number))
        flash(_("Links saved.") if changed else _("Nothing changed."), "success")
        return redirect(url_for(".edit", slug=slug, number=number))
    return render_template(
        "recordings/edit.html", series=module.series, module=module, form=form,
        is_held=module_life.is_held(module), state=module_life.state_in_words(module),
        is_email_offered=services.is_email_offered(module),
    ), 422 if form.errors else 200


@bp.route("/<slug>/modules/<int:number>/recording/email", methods=["GET", "POST"])
@editor_required
def email(slug: str, number: int):
    module = _module(slug, number)
    form = RecordingEmailForm(links=links_digest(module))
    not_yet = module_life.refusal(module, module_life.Purpose.FOLLOWUPS)
    if form.validate_on_submit() and not not_yet:
        if form.links.data != links_digest(module):
            flash(_("The links changed since this preview: check it again."), "error")
            return redirect(url_for(".email", slug=slug, number=number))
        queued = services.queue_recording_emails(module)
        record_event("module.recording_sent", module=module, people=queued, summary=ngettext(
            "Sent the recording link of module %(number)s: %(num)d email queued",
            "Sent the recording link of module %(number)s: %(num)d emails queued", queued,
            number=module.number), details={"queued": queued})
        db.session.commit()
        flash(ngettext("%(num)s email queued.", "%(num)s emails queued.", queued) if queued
              else _("No email queued: everyone already has this link."), "success")
        return redirect(url_for(".edit", slug=slug, number=number))
    plan = services.recipient_plan(module)
    form.submit.label.text = ngettext("Send %(num)s email", "Send %(num)s emails",
                                      len(plan.recipients))
    previews = [(r, preview_recording_email(r)) for r in plan.samples]
    return render_template(
        "recordings/email.html", series=module.series, module=module, form=form, plan=plan,
        previews=previews, language_name=_language_name, not_yet=not_yet,
    ), 422 if form.is_submitted() else 200


@bp.route("/<slug>/modules/<int:number>/recording/email/preview")
@editor_required
def preview_html(slug: str, number: int):
    """The HTML part of a registrant's recording email, as a document with the email's styles."""
    module = _module(slug, number)
    registration = services.registrant(module, request.args.get("person", type=int))
    if registration is None:
        abort(404)
    response = make_response(preview_recording_email(registration).body_html)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response
