"""Organiser page of a series' reminders, under /admin/series/SLUG/reminders."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.core.access import editor_required, staff_required
from webinar_app.extensions import db
from webinar_app.models import Module, Series
from webinar_app.reminders.forms import OffsetsForm, SwitchForm
from webinar_app.reminders.jobs import MinuteReminders
from webinar_app.reminders.services import (
    offsets_text,
    parse_offsets_text,
    reminder_overview,
    series_offsets,
    set_reminder_enabled,
    set_series_offsets,
)

bp = Blueprint("reminders", __name__)


@bp.record_once
def _register_background_hook(state) -> None:
    """The outbox delivery thread (`make run`) also queues the due reminders, once a minute."""
    state.app.extensions.setdefault("background_hooks", []).append(MinuteReminders())


def offset_label(minutes: int) -> str:
    """10080 -> '7 days before'; 60 -> '1 hour before'."""
    if minutes % 1440 == 0:
        return ngettext("%(num)d day before", "%(num)d days before", minutes // 1440)
    if minutes % 60 == 0:
        return ngettext("%(num)d hour before", "%(num)d hours before", minutes // 60)
    return ngettext("%(num)d minute before", "%(num)d minutes before", minutes)


def _series_or_404(slug: str) -> Series:
    return db.first_or_404(select(Series).where(Series.slug == slug))


def _page(series: Series, form: OffsetsForm, status: int = 200):
    modules = []
    for item in reminder_overview(series):
        rows = [{
            "offset": row.offset,
            "label": offset_label(row.offset),
            "when": (timefmt.fmt_datetime(row.send_at, series.timezone)
                     if row.send_at else _("no date yet")),
            "is_enabled": row.is_enabled,
            "is_sent": row.is_sent,
            "is_past": row.is_past,
            "form": SwitchForm(enabled="off" if row.is_enabled else "on", formdata=None),
        } for row in item.rows]
        modules.append({"module": item.module, "audience": item.audience, "rows": rows})
    return render_template("reminders/index.html", series=series, form=form, modules=modules,
                           zone=timefmt.city_name(series.timezone)), status


@bp.route("/<slug>/reminders", methods=["GET"])
@staff_required
def index(slug: str):
    series = _series_or_404(slug)
    return _page(series, OffsetsForm(offsets=offsets_text(series_offsets(series)), formdata=None))


@bp.route("/<slug>/reminders", methods=["POST"])
@editor_required
def set_offsets(slug: str):
    series = _series_or_404(slug)
    form = OffsetsForm()
    if not form.validate_on_submit():
        return _page(series, form, 422)
    set_series_offsets(series, parse_offsets_text(form.offsets.data))
    db.session.commit()
    flash(_("Reminders saved."), "success")
    return redirect(url_for(".index", slug=slug))


@bp.route("/<slug>/reminders/<int:number>/<int:offset>", methods=["POST"])
@editor_required
def switch(slug: str, number: int, offset: int):
    module = db.first_or_404(
        select(Module).join(Series).where(Series.slug == slug, Module.number == number))
    if offset not in series_offsets(module.series):
        abort(404)
    form = SwitchForm()
    if not form.validate_on_submit():
        abort(400)
    set_reminder_enabled(module, offset, form.enabled.data == "on")
    db.session.commit()
    flash(_("Reminder switched on.") if form.enabled.data == "on"
          else _("Reminder switched off."), "success")
    return redirect(url_for(".index", slug=slug))
