"""The organiser's "New edition" page: /admin/series/SLUG/new-edition."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.auth.services import set_series_role
from webinar_app.core.access import editor_required
from webinar_app.core.audit import record_event
from webinar_app.editions import services
from webinar_app.editions.forms import (
    LOCAL_FORMATS,
    EditionForm,
    edition_form_class,
    module_field_name,
)
from webinar_app.editions.services import EditionRequest, EditionResult
from webinar_app.extensions import db
from webinar_app.models import Role, Series
from webinar_app.schedule.services import ScheduleError

bp = Blueprint("editions", __name__)


@bp.route("/<slug>/new-edition", methods=["GET", "POST"])
@editor_required
def new_edition(slug: str):
    source = db.first_or_404(select(Series).where(Series.slug == slug))
    suggested = _suggested_values(source) if request.method == "GET" else None
    form = edition_form_class(source)(data=suggested)
    if form.validate_on_submit():
        if form.compute.data:
            _fill_planned_starts(form, source)
        else:
            try:
                result = services.copy_series(source, _edition_request(form, source))
            except ScheduleError as error:
                db.session.rollback()
                _show_error(form, error)
            else:
                if current_user.role == Role.NONE:  # an organiser of one series keeps the copy
                    set_series_role(current_user, result.series, Role.ORGANISER)
                record_event("series.edition_created", series=result.series,
                             summary=_("New edition %(slug)s copied from %(source)s",
                                       slug=result.series.slug, source=source.slug))
                db.session.commit()
                _flash_result(result)
                return redirect(url_for("admin.series_detail", slug=result.series.slug))
    return render_template(
        "editions/new.html", form=form, source=source, rows=_module_rows(form, source)
    )


def _suggested_values(source: Series) -> dict:
    """The form's first values: next year's dates on the same weekday, slug and title."""
    today = timefmt.local(timefmt.now_utc(), source.timezone).replace(tzinfo=None)
    suggestion = services.suggest_edition(source, today)
    planned = services.planned_starts(source, suggestion.first_starts_at)
    return {
        "title": suggestion.title,
        "title_fr": source.title_fr or "",
        "slug": suggestion.slug,
        "first_starts_at": suggestion.first_starts_at,
        "planned_from": _as_text(suggestion.first_starts_at),
        **{module_field_name(number): start for number, start in planned.items()},
    }


def _as_text(value: datetime | None) -> str:
    return value.strftime(LOCAL_FORMATS[0]) if value else ""


def _parse_planned_from(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", LOCAL_FORMATS[0])
    except ValueError:
        return None


def _fill_planned_starts(form: EditionForm, source: Series) -> None:
    """Put the dates that follow from the first start into the module fields that are empty
    or still as computed before; dates changed by hand stay."""
    first = form.first_starts_at.data
    if first is None:
        form.first_starts_at.errors = [
            _("Give the start of the first module to compute the dates.")
        ]
        return
    previous = services.planned_starts(source, _parse_planned_from(form.planned_from.data))
    for number, start in services.planned_starts(source, first).items():
        field = form[module_field_name(number)]
        if field.data is None or field.data == previous.get(number):
            field.data, field.raw_data = start, None
    form.planned_from.data, form.planned_from.raw_data = _as_text(first), None


def _edition_request(form: EditionForm, source: Series) -> EditionRequest:
    """What was asked; a module date left as planned follows the (possibly new) first start."""
    planned_from = _parse_planned_from(form.planned_from.data)
    planned = services.planned_starts(source, planned_from if form.first_starts_at.data else None)
    overrides = {}
    for module in source.modules:
        value = form[module_field_name(module.number)].data
        if value is not None and value != planned.get(module.number):
            overrides[module.number] = value
    return EditionRequest(
        slug=(form.slug.data or "").strip(),
        title=(form.title.data or "").strip(),
        title_fr=(form.title_fr.data or "").strip(),
        first_starts_at=form.first_starts_at.data,
        starts_by_number=overrides,
        with_notes=form.with_notes.data,
    )


def _show_error(form: EditionForm, error: ScheduleError) -> None:
    """Put a service's message next to the field it names (or at the top)."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _module_rows(form: EditionForm, source: Series) -> list[dict]:
    """Each source module with its old start (display-ready) and its new start field."""
    tz = source.timezone
    return [
        {
            "field": form[module_field_name(module.number)],
            "old_start": timefmt.fmt_short(module.starts_at, tz) if module.starts_at else None,
        }
        for module in source.modules
    ]


def _flash_result(result: EditionResult) -> None:
    """Say what the new edition holds, and what it does not."""
    flash(
        _(
            "New edition created from the programme: %(modules)s, %(items)s, %(speakers)s "
            "and %(notes)s.",
            modules=ngettext("%(num)d module", "%(num)d modules", len(result.modules)),
            items=ngettext("%(num)d agenda item", "%(num)d agenda items", result.agenda_items),
            speakers=ngettext("%(num)d speaker", "%(num)d speakers", result.speakers),
            notes=ngettext("%(num)d pre-reading note", "%(num)d pre-reading notes", result.notes),
        ),
        "success",
    )
    flash(
        _(
            "Not copied: participants, registrations, invitees, invitations, attendance, "
            "summaries, emails and Reader builds. Join links are empty, since each meeting has "
            "its own: add them on each module's page."
        ),
        "info",
    )
    if result.unscheduled:
        flash(
            _(
                "Modules without a date stay drafts, hidden from the public: %(numbers)s.",
                numbers=", ".join(str(number) for number in result.unscheduled),
            ),
            "info",
        )
