"""Organiser pages: import a module's attendance report, correct by hand, see the rates."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webinar_app.attendance.forms import AttendanceUploadForm, ConfirmImportForm, MarkForm
from webinar_app.attendance.parsers import AttendanceFileError, RowProblem
from webinar_app.attendance.services import (
    AttendanceError,
    AttendancePlan,
    ImportResult,
    apply_plan,
    attendance_by_module,
    discard_upload,
    held_upload,
    hold_upload,
    module_attendance,
    module_registrations,
    plan_attendance,
    read_report,
    registration_in_module,
    set_attendance,
)
from webinar_app.core import module_life
from webinar_app.core.access import editor_required, personal_data_required
from webinar_app.extensions import db
from webinar_app.models import Module, Series
from webinar_app.schedule import services as schedule

bp = Blueprint("attendance", __name__)

REASON_LABELS = {
    "no_email": _l("No email in the report"),
    "not_registered": _l("No registration with this email"),
    "cancelled": _l("Registration cancelled"),
    "too_short": _l("Stayed less than the minimum"),
}
VALUE_LABELS = {"attended": _l("attended"), "absent": _l("absent"), "": _l("not recorded")}


def _series_or_404(slug: str) -> Series:
    return schedule.get_series(slug) or abort(404)


def _module_or_404(slug: str, number: int) -> Module:
    return schedule.get_module(_series_or_404(slug), number) or abort(404)


@bp.route("/<slug>/attendance")
@personal_data_required
def overview(slug: str):
    series = _series_or_404(slug)
    return render_template("attendance/overview.html", series=series,
                           rows=attendance_by_module(series))


def _module_page(module: Module, form: AttendanceUploadForm, status: int = 200,
                 problems: list[RowProblem] | None = None):
    return render_template(
        "attendance/module.html", series=module.series, module=module, form=form,
        counts=module_attendance(module), registrations=module_registrations(module),
        mark_form=MarkForm(), value_labels=VALUE_LABELS, problems=problems or [],
        not_yet=module_life.refusal(module, module_life.Purpose.ATTENDANCE, needs_held=False),
        can_mark=module_life.is_held(module),
    ), status


def _result_page(module: Module, result: ImportResult):
    return render_template("attendance/result.html", series=module.series, module=module,
                           result=result, counts=module_attendance(module),
                           reason_labels=REASON_LABELS)


def _preview_page(module: Module, plan: AttendancePlan, upload_id: int,
                  has_moved: bool = False):
    form = ConfirmImportForm(upload_id=upload_id, digest=plan.digest, formdata=None)
    return render_template("attendance/preview.html", series=module.series, module=module,
                           plan=plan, result=plan.result, form=form, has_moved=has_moved,
                           reason_labels=REASON_LABELS)


@bp.route("/<slug>/modules/<int:number>/attendance", methods=["GET", "POST"])
@personal_data_required
def module_page(slug: str, number: int):
    module = _module_or_404(slug, number)
    form = AttendanceUploadForm()
    if not form.is_submitted():
        return _module_page(module, form)
    if not current_user.can_edit:
        abort(403)
    if not form.validate():
        return _module_page(module, form, 400)
    data, min_minutes = form.file.data.read(), form.min_minutes.data or 0
    try:
        plan = plan_attendance(module, read_report(module, data), min_minutes=min_minutes)
    except (AttendanceFileError, AttendanceError) as error:
        db.session.rollback()
        is_minimum = isinstance(error, AttendanceError) and error.field == "min_minutes"
        target = form.min_minutes if is_minimum else form.file
        target.errors = [*target.errors, str(error)]
        return _module_page(module, form, 400, getattr(error, "problems", None))
    if plan.needs_confirmation:
        upload = hold_upload(module, current_user.id, form.file.data.filename, data, min_minutes)
        db.session.commit()
        return _preview_page(module, plan, upload.id)
    result = apply_plan(plan)
    db.session.commit()
    return _result_page(module, result)


@bp.route("/<slug>/modules/<int:number>/attendance/confirm", methods=["POST"])
@editor_required
def confirm(slug: str, number: int):
    module = _module_or_404(slug, number)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    upload = held_upload(module, form.upload_id.data, current_user.id)
    if upload is None:
        flash(_("This preview has expired or was already answered; nothing was changed. "
                "Upload the report again."), "error")
        return redirect(url_for(".module_page", slug=slug, number=number))
    if form.discard.data:
        discard_upload(upload)
        db.session.commit()
        flash(_("Nothing was changed: the recorded attendance stays as it was."), "success")
        return redirect(url_for(".module_page", slug=slug, number=number))
    plan = plan_attendance(module, read_report(module, upload.data),
                           min_minutes=upload.min_minutes)
    if plan.digest != form.digest.data:
        return _preview_page(module, plan, upload.id, has_moved=True)
    result = apply_plan(plan)
    discard_upload(upload)
    db.session.commit()
    return _result_page(module, result)


@bp.route("/<slug>/modules/<int:number>/attendance/<int:registration_id>", methods=["POST"])
@editor_required
def mark(slug: str, number: int, registration_id: int):
    module = _module_or_404(slug, number)
    registration = registration_in_module(module, registration_id) or abort(404)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_attendance(registration, form.value.data or None)
    except AttendanceError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s: %(value)s.", name=registration.person.full_name,
                value=VALUE_LABELS[form.value.data or ""]), "success")
    return redirect(url_for(".module_page", slug=slug, number=number,
                            _anchor=f"registration-{registration.id}"))
