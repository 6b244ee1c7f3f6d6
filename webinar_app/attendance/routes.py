"""Organiser pages: import a module's attendance report, correct by hand, see the rates."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webinar_app.attendance.forms import AttendanceUploadForm, MarkForm
from webinar_app.attendance.parsers import AttendanceFileError, parse_attendance
from webinar_app.attendance.services import (
    AttendanceError,
    attendance_by_module,
    import_attendance,
    module_attendance,
    module_registrations,
    registration_in_module,
    set_attendance,
)
from webinar_app.auth.access import editor_required, staff_required
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
@staff_required
def overview(slug: str):
    series = _series_or_404(slug)
    return render_template("attendance/overview.html", series=series,
                           rows=attendance_by_module(series))


def _module_page(module: Module, form: AttendanceUploadForm, status: int = 200):
    return render_template(
        "attendance/module.html", series=module.series, module=module, form=form,
        counts=module_attendance(module), registrations=module_registrations(module),
        mark_form=MarkForm(), value_labels=VALUE_LABELS,
    ), status


@bp.route("/<slug>/modules/<int:number>/attendance", methods=["GET", "POST"])
@staff_required
def module_page(slug: str, number: int):
    module = _module_or_404(slug, number)
    form = AttendanceUploadForm()
    if not form.is_submitted():
        return _module_page(module, form)
    if not current_user.can_edit:
        abort(403)
    if not form.validate():
        return _module_page(module, form, 400)
    try:
        report = parse_attendance(form.file.data.read())
        result = import_attendance(module, report, min_minutes=form.min_minutes.data or 0)
    except (AttendanceFileError, AttendanceError) as error:
        db.session.rollback()
        target = form.min_minutes if isinstance(error, AttendanceError) else form.file
        target.errors = [*target.errors, str(error)]
        return _module_page(module, form, 400)
    db.session.commit()
    return render_template("attendance/result.html", series=module.series, module=module,
                           result=result, counts=module_attendance(module),
                           reason_labels=REASON_LABELS)


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
