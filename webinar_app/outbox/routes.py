"""The outbox page for organisers, under /admin/outbox."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webinar_app.core.access import editor_required, personal_data_required
from webinar_app.core.urls import int_arg
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, OutboxStatus, UndeliverableAddress
from webinar_app.outbox import services, undeliverable
from webinar_app.outbox.forms import ClearMarkForm

bp = Blueprint("outbox", __name__)

PER_PAGE = 50


@bp.get("/")
@personal_data_required
def index():
    status = request.args.get("status", "")
    if status not in {s.value for s in OutboxStatus}:
        status = ""
    page = db.paginate(
        services.list_messages(status or None), page=int_arg("page", 1), per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "outbox/index.html", page=page, status=status, statuses=list(OutboxStatus)
    )


@bp.post("/<int:message_id>/retry")
@editor_required
def retry(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if message.status not in (OutboxStatus.FAILED, OutboxStatus.UNDELIVERABLE):
        flash(_("Only a failed email can be retried."), "error")
    else:
        services.retry(message)
        db.session.commit()
        flash(_("The email to %(to)s is queued again.", to=message.to_email), "success")
    return redirect(url_for("outbox.index", status=request.args.get("status") or None))


@bp.get("/undeliverable")
@personal_data_required
def undeliverable_addresses():
    page = db.paginate(undeliverable.list_marks(), page=int_arg("page", 1), per_page=PER_PAGE,
                       error_out=False)
    return render_template("outbox/undeliverable.html", page=page, form=ClearMarkForm())


@bp.post("/undeliverable/<int:mark_id>/clear")
@editor_required
def clear_undeliverable(mark_id: int):
    mark = db.session.get(UndeliverableAddress, mark_id)
    if mark is None:
        abort(404)
    if not ClearMarkForm().validate_on_submit():
        abort(400)
    address = mark.email
    undeliverable.clear_mark(mark)
    db.session.commit()
    flash(_("%(address)s is no longer marked undeliverable: the next email to it will be "
            "sent.", address=address), "success")
    return redirect(url_for("outbox.undeliverable_addresses"))
