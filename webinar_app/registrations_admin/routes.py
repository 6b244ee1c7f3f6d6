"""Organiser pages for a series' registrations, under /admin/series/SLUG/registrations."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from webinar_app.core.access import editor_required, personal_data_required
from webinar_app.core.csv import csv_download
from webinar_app.core.reference import country_name, organisation_type_label
from webinar_app.core.tokens import issue_token, revoke_token
from webinar_app.core.transaction import run_write_transaction
from webinar_app.core.urls import external_url, int_arg, safe_next
from webinar_app.extensions import db
from webinar_app.i18n import sort_for_people
from webinar_app.models import Series
from webinar_app.registration.services import move_registration, resend_invitation
from webinar_app.registrations_admin.forms import (
    STATUS_LABELS,
    ActionForm,
    MoveForm,
    RegistrationFilterForm,
)
from webinar_app.registrations_admin.services import (
    PAGE_SIZE,
    STATUS_FILTERS,
    RegistrationFilter,
    count_by,
    list_registrations,
    person_in_series,
    record_registrations_export,
    registration_in_series,
    registrations_csv,
)

bp = Blueprint("registrations_admin", __name__)


def _series_or_404(slug: str) -> Series:
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        abort(404)
    return series


def _wanted(form: RegistrationFilterForm) -> RegistrationFilter:
    status = form.status.data if form.status.data in STATUS_FILTERS else "active"
    return RegistrationFilter(
        module_number=int_arg("module", 0, minimum=0) or None,
        search=(form.q.data or "")[:200],
        status=status,
        country=form.country.data or "",
        organisation_type=form.organisation_type.data or "",
        page=int_arg("page", 1),
    )


def _back_url(slug: str, target: str | None) -> str:
    """target when it is a page of this series' registration list, else the list."""
    prefix = url_for(".registrations", slug=slug)
    target = safe_next(target, prefix)
    return target if target.startswith(prefix) else prefix


def _back(slug: str, target: str | None) -> Response:
    return redirect(_back_url(slug, target))


def _most_first(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(name, count) pairs, largest count first, ties in the reader's alphabetical order."""
    ordered = sort_for_people(counts, key=lambda pair: pair[0])
    return sorted(ordered, key=lambda pair: -pair[1])


@bp.route("/<slug>/registrations")
@personal_data_required
def registrations(slug: str):
    series = _series_or_404(slug)
    form = RegistrationFilterForm(request.args, modules=series.modules)
    wanted = _wanted(form)
    rows, total = list_registrations(series, wanted)
    page_count = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    by_country = _most_first([(country_name(c) or _("Not given"), n)
                              for c, n in count_by(series, wanted, "country")])
    by_type = _most_first([(organisation_type_label(t) or _("Not given"), n)
                           for t, n in count_by(series, wanted, "organisation_type")])
    return render_template(
        "registrations_admin/list.html", series=series, form=form, wanted=wanted, rows=rows,
        total=total, page_count=page_count, by_country=by_country, by_type=by_type,
        status_labels=STATUS_LABELS,
        country_name=country_name, organisation_type_label=organisation_type_label,
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/<slug>/registrations.csv")
@personal_data_required
def registrations_export(slug: str):
    series = _series_or_404(slug)
    wanted = _wanted(RegistrationFilterForm(request.args, modules=series.modules))
    suffix = f"-module-{wanted.module_number}" if wanted.module_number else ""
    record_registrations_export(series, wanted)
    db.session.commit()
    return csv_download(registrations_csv(series, wanted),
                        f"registrations-{series.slug}{suffix}.csv")


@bp.route("/<slug>/registrations/<int:registration_id>/move", methods=["POST"])
@editor_required
def move(slug: str, registration_id: int):
    series = _series_or_404(slug)
    registration = registration_in_series(series, registration_id) or abort(404)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    to = form.to.data
    run_write_transaction(lambda: move_registration(registration, to))
    flash(_("%(name)s moved to the list: %(status)s.", name=registration.person.full_name,
            status=STATUS_LABELS[to]), "success")
    return _back(slug, form.next.data)


@bp.route("/<slug>/registrations/<int:registration_id>/resend", methods=["POST"])
@editor_required
def resend(slug: str, registration_id: int):
    series = _series_or_404(slug)
    registration = registration_in_series(series, registration_id) or abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if run_write_transaction(lambda: resend_invitation(registration)):
        flash(_("The invitation will be sent again to %(name)s.",
                name=registration.person.full_name), "success")
    else:
        flash(_("Only a registered person who has not deleted their data can get an invitation."),
              "error")
    return _back(slug, form.next.data)


@bp.route("/<slug>/people/<int:person_id>/token/revoke", methods=["POST"])
@editor_required
def revoke(slug: str, person_id: int):
    series = _series_or_404(slug)
    person = person_in_series(series, person_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    revoke_token(person)
    db.session.commit()
    flash(_("The personal link of %(name)s no longer works.", name=person.full_name), "success")
    return _back(slug, request.form.get("next"))


@bp.route("/<slug>/people/<int:person_id>/token/reissue", methods=["POST"])
@editor_required
def reissue(slug: str, person_id: int):
    series = _series_or_404(slug)
    person = person_in_series(series, person_id) or abort(404)
    if not ActionForm().validate_on_submit() or person.is_erased:
        abort(400)
    token = issue_token(person)
    db.session.commit()
    link = external_url("me.page", token=token)
    return render_template("registrations_admin/new_link.html", series=series, person=person,
                           link=link, next=_back_url(slug, request.form.get("next")))
