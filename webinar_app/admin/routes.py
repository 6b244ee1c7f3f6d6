"""Organiser pages: series, modules, agenda and background notes under /admin/."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from webinar_app import timefmt
from webinar_app.admin.cockpit import awaiting_summaries, home_overview, series_cockpit
from webinar_app.admin.forms import (
    AgendaItemForm,
    ConfirmForm,
    ModuleForm,
    NoteForm,
    RescheduleForm,
    SeriesForm,
)
from webinar_app.core import module_life
from webinar_app.core.access import editor_required, staff_required
from webinar_app.core.module_changes import ModuleChange
from webinar_app.extensions import db
from webinar_app.models import AgendaItem, BackgroundNote, Module, ModuleStatus, Series
from webinar_app.notes.services import NoteFileError, check_pdf, max_upload_bytes, too_large_message
from webinar_app.privacy.services import retention_status, set_retention_days
from webinar_app.schedule import services
from webinar_app.schedule.services import (
    AgendaItemData,
    ModuleData,
    NoteData,
    ScheduleError,
    SeriesData,
)

bp = Blueprint("admin", __name__)

NOTE_FORM_ENDPOINTS = {"admin.new_note", "admin.edit_note"}
FORM_FIELDS_MARGIN = 256 * 1024


# --- helpers ------------------------------------------------------------------------------


def _series_or_404(slug: str) -> Series:
    return services.get_series(slug) or abort(404)


def _module_or_404(slug: str, number: int) -> Module:
    return services.get_module(_series_or_404(slug), number) or abort(404)


def _item_or_404(module: Module, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    return item if item and item.module_id == module.id else abort(404)


def _note_or_404(module: Module, note_id: int) -> BackgroundNote:
    note = db.session.get(BackgroundNote, note_id)
    return note if note and note.module_id == module.id else abort(404)


def _show_error(form, error: ScheduleError) -> None:
    """Put a service's message next to the field it names (or at the top)."""
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _module_url(module: Module, anchor: str | None = None) -> str:
    return url_for(
        "admin.module_detail", slug=module.series.slug, number=module.number, _anchor=anchor
    )


def _to_local(value, tz: str):
    return timefmt.local(value, tz).replace(tzinfo=None) if value else None


def _to_utc(value, tz: str):
    return timefmt.parse_local(value, tz) if value else None


def _module_data(form: ModuleForm, tz: str, module: Module | None) -> ModuleData:
    editable = module is None or module.status in services.EDITABLE_STATUSES
    return ModuleData(
        number=form.number.data,
        title=form.title.data or "",
        pillar=form.pillar.data or "",
        thematic_focus=form.thematic_focus.data or "",
        description=form.description.data or "",
        title_fr=form.title_fr.data or "",
        pillar_fr=form.pillar_fr.data or "",
        thematic_focus_fr=form.thematic_focus_fr.data or "",
        description_fr=form.description_fr.data or "",
        starts_at=_to_utc(form.starts_at.data, tz),
        duration_minutes=form.duration_minutes.data,
        status=form.status.data if editable else None,
        capacity=form.capacity.data,
        registration_opens_at=_to_utc(form.registration_opens_at.data, tz),
        registration_closes_at=_to_utc(form.registration_closes_at.data, tz),
        join_url=form.join_url.data or "",
        is_chatham_house=form.is_chatham_house.data,
    )


def _module_form_values(module: Module) -> dict:
    tz = module.series.timezone
    return dict(
        number=module.number,
        pillar=module.pillar,
        title=module.title,
        thematic_focus=module.thematic_focus,
        description=module.description,
        title_fr=module.title_fr,
        pillar_fr=module.pillar_fr,
        thematic_focus_fr=module.thematic_focus_fr,
        description_fr=module.description_fr,
        starts_at=_to_local(module.starts_at, tz),
        duration_minutes=module.duration_minutes,
        status=module.status,
        capacity=module.capacity,
        registration_opens_at=_to_local(module.registration_opens_at, tz),
        registration_closes_at=_to_local(module.registration_closes_at, tz),
        join_url=module.join_url,
        is_chatham_house=module.is_chatham_house,
    )


def _agenda_data(form: AgendaItemForm) -> AgendaItemData:
    return AgendaItemData(
        title=form.title.data or "",
        title_fr=form.title_fr.data or "",
        kind=form.kind.data,
        start_offset_minutes=form.start_offset_minutes.data or 0,
        speakers=services.parse_speaker_lines(form.speakers.data or ""),
    )


def _note_data(form: NoteForm) -> NoteData:
    upload = form.file.data
    pdf = None
    if upload and getattr(upload, "filename", ""):
        try:
            pdf = check_pdf(upload.read(), upload.filename)
        except NoteFileError as exc:
            raise ScheduleError("file", str(exc)) from exc
    return NoteData(
        title=form.title.data or "",
        language=form.language.data,
        abstract=form.abstract.data or "",
        title_fr=form.title_fr.data or "",
        abstract_fr=form.abstract_fr.data or "",
        external_url=form.external_url.data or "",
        pdf=pdf,
        is_published=form.is_published.data,
        is_prereading=form.is_prereading.data,
    )


@bp.context_processor
def _admin_context() -> dict:
    can_edit = bool(getattr(current_user, "can_edit", False))
    return {
        "can_edit": can_edit,
        "timezones": timefmt.all_timezones(),
        "upload_limit": timefmt.human_size(max_upload_bytes()),
    }


@bp.url_value_preprocessor
def _allow_note_uploads(endpoint: str | None, _values) -> None:
    """Read a slightly over-limit upload so the form can say so and keep what was typed."""
    if endpoint in NOTE_FORM_ENDPOINTS and request.method == "POST":
        request.max_content_length = max_upload_bytes() + FORM_FIELDS_MARGIN


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(_error):
    """A request far over the limit: show the note form again with the message at the file."""
    args = request.view_args or {}
    series = services.get_series(args.get("slug", ""))
    module = services.get_module(series, args.get("number", 0)) if series else None
    if request.endpoint not in NOTE_FORM_ENDPOINTS or module is None:
        return render_template(
            "errors/error.html", code=413, title=_("File too large"), message=too_large_message()
        ), 413
    note = db.session.get(BackgroundNote, args["note_id"]) if "note_id" in args else None
    form = NoteForm(formdata=None, obj=note)
    form.file.errors = [too_large_message()]
    return render_template("admin/note_form.html", form=form, module=module, note=note), 413


# --- series -------------------------------------------------------------------------------


@bp.route("/")
@staff_required
def dashboard():
    visible = [s for s in services.list_series() if current_user.sees_series(s.id)]
    return render_template("admin/dashboard.html", all_series=visible,
                           overview=home_overview(visible),
                           awaiting=awaiting_summaries(visible, current_user))


@bp.route("/series/new", methods=["GET", "POST"])
@editor_required
def new_series():
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            series = services.create_series(SeriesData(**_series_values(form)))
        except ScheduleError as error:
            _show_error(form, error)
        else:
            set_retention_days(series, form.retention_days.data)
            db.session.commit()
            flash(_("Series created."), "success")
            return redirect(url_for("admin.series_detail", slug=series.slug))
    return render_template("admin/series_form.html", form=form, series=None)


@bp.route("/series/<slug>/edit", methods=["GET", "POST"])
@editor_required
def edit_series(slug: str):
    series = _series_or_404(slug)
    form = SeriesForm(obj=series)
    if form.validate_on_submit():
        try:
            services.update_series(series, SeriesData(**_series_values(form)))
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            set_retention_days(series, form.retention_days.data)
            db.session.commit()
            flash(_("Series saved."), "success")
            return redirect(url_for("admin.series_detail", slug=series.slug))
    return render_template("admin/series_form.html", form=form, series=series)


def _series_values(form: SeriesForm) -> dict:
    return {name: form[name].data or "" for name in SeriesData.__dataclass_fields__}


@bp.route("/series/<slug>")
@staff_required
def series_detail(slug: str):
    series = _series_or_404(slug)
    return render_template("admin/series_detail.html", series=series,
                           retention=retention_status(series), cockpit=series_cockpit(series))


# --- modules ------------------------------------------------------------------------------


@bp.route("/series/<slug>/modules/new", methods=["GET", "POST"])
@editor_required
def new_module(slug: str):
    series = _series_or_404(slug)
    form = ModuleForm(data={"number": services.next_module_number(series)})
    if form.validate_on_submit():
        try:
            module = services.create_module(series, _module_data(form, series.timezone, None))
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Module created."), "success")
            return redirect(_module_url(module))
    return render_template("admin/module_form.html", form=form, series=series, module=None)


@bp.route("/series/<slug>/modules/<int:number>/edit", methods=["GET", "POST"])
@editor_required
def edit_module(slug: str, number: int):
    module = _module_or_404(slug, number)
    series = module.series
    form = ModuleForm(data=_module_form_values(module))
    if form.validate_on_submit() and "edit_again" not in request.form:
        data = _module_data(form, series.timezone, module)
        try:
            plan = services.plan_module_update(module, data)
            if plan.needs_confirmation and request.form.get("confirm") != _plan_token(plan):
                return _confirm_module_update(module, form, plan)
            change = services.update_module(module, data)
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            _flash_change(change, series.timezone, _("Module saved."))
            return redirect(_module_url(module))
    registered, _waiting = services.module_audience(module)
    return render_template(
        "admin/module_form.html", form=form, series=series, module=module, registered=registered
    )


def _plan_token(plan: services.ModuleUpdatePlan) -> str:
    """What the organiser confirmed: the module's SEQUENCE and who would be emailed."""
    ids = ",".join(str(reg.id) for reg in [*plan.registered, *plan.waiting])
    change = f"{plan.change.previous}|{plan.change.current}"
    return hashlib.sha256(f"{change}|{ids}".encode()).hexdigest()[:32]


def _confirm_module_update(module: Module, form: ModuleForm, plan: services.ModuleUpdatePlan):
    """The page that says who will be emailed, re-posting what was typed with a confirmation."""
    skipped = {"csrf_token", "confirm", "edit_again", "submit"}
    typed = [(k, v) for k, v in request.form.items(multi=True) if k not in skipped]
    return render_template(
        "admin/module_confirm.html",
        form=form,
        module=module,
        plan=plan,
        typed=typed,
        token=_plan_token(plan),
        is_stale="confirm" in request.form,
        rows=_change_rows(plan.change, module.series.timezone),
        moved=_moved_window_messages(plan.change, module.series.timezone, is_planned=True),
    )


def _change_rows(change: ModuleChange, tz: str) -> list[tuple[str, str, str]]:
    """(what, before, after) for each calendar field the change touches, display-ready."""
    before, after = change.previous, change.current
    none = _("(none)")

    def when(fields) -> str:
        if fields.starts_at is None:
            return none
        return (
            f"{timefmt.fmt_datetime(fields.starts_at, tz)}–{timefmt.fmt_time(fields.ends_at, tz)}"
            f" ({tz})"
        )

    rows = [
        (_("Number"), str(before.number), str(after.number)),
        (_("Pillar or theme"), before.pillar, after.pillar),
        (_("Title"), before.title, after.title),
        (_("Pillar or theme in French"), before.pillar_fr or none, after.pillar_fr or none),
        (_("Title in French"), before.title_fr or none, after.title_fr or none),
        (_("Time"), when(before), when(after)),
        (_("Join link"), before.join_url or none, after.join_url or none),
    ]
    return [row for row in rows if row[1] != row[2]]


def _moved_window_messages(change: ModuleChange, tz: str, is_planned: bool = False) -> list[str]:
    """'Registration now closes at …' (and opens) when a move took the window along."""
    messages = []
    if change.moved_closes_at is not None:
        when = f"{timefmt.fmt_datetime(change.moved_closes_at, tz)} ({tz})"
        messages.append(
            _("Saving moves the registration closing to %(when)s, with the start.", when=when)
            if is_planned
            else _("Registration now closes at %(when)s.", when=when)
        )
    if change.moved_opens_at is not None:
        when = f"{timefmt.fmt_datetime(change.moved_opens_at, tz)} ({tz})"
        messages.append(
            _("Saving moves the registration opening to %(when)s.", when=when)
            if is_planned
            else _("Registration now opens at %(when)s.", when=when)
        )
    return messages


def _flash_change(change: ModuleChange, tz: str, saved: str) -> None:
    """Say what was saved, whom it emailed, and how the registration window moved."""
    emailed = change.registered_emailed + change.waiting_emailed
    if emailed:
        saved += " " + ngettext(
            "%(num)d person is emailed about the change.",
            "%(num)d people are emailed about the change.",
            emailed,
        )
    flash(saved, "success")
    for message in _moved_window_messages(change, tz):
        flash(message, "info")


@bp.route("/series/<slug>/modules/<int:number>")
@staff_required
def module_detail(slug: str, number: int):
    module = _module_or_404(slug, number)
    return render_template(
        "admin/module_detail.html", module=module, series=module.series,
        state=module_life.state_in_words(module),
        not_yet_held=module_life.refusal(module, module_life.Purpose.HELD, needs_held=False),
    )


@bp.route("/series/<slug>/modules/<int:number>/reschedule", methods=["GET", "POST"])
@editor_required
def reschedule_module(slug: str, number: int):
    module = _module_or_404(slug, number)
    tz = module.series.timezone
    start = _to_local(module.starts_at, tz)
    form = RescheduleForm(data={"starts_at": start, "duration_minutes": module.duration_minutes})
    if form.validate_on_submit():
        try:
            change = services.reschedule_module(
                module, _to_utc(form.starts_at.data, tz), form.duration_minutes.data
            )
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            if change.is_time_changed:
                _flash_change(change, tz, _("Module rescheduled."))
            else:
                flash(_("The time did not change."), "success")
            return redirect(_module_url(module))
    registered, waiting = services.module_audience(module)
    return render_template(
        "admin/reschedule.html", form=form, module=module, registered=registered, waiting=waiting
    )


@bp.route("/series/<slug>/modules/<int:number>/<any(cancel, held):action>", methods=["GET", "POST"])
@editor_required
def module_status(slug: str, number: int, action: str):
    module = _module_or_404(slug, number)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            if action == "cancel":
                emailed = services.cancel_module(module)
            else:
                queued = services.mark_held(module)
        except ScheduleError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(ngettext("Module cancelled; %(num)d person is told by email.",
                           "Module cancelled; %(num)d people are told by email.", emailed)
                  if action == "cancel" else _held_message(queued), "success")
        return redirect(_module_url(module))
    registered, waiting = services.module_audience(module)
    not_yet = None if action == "cancel" else _held_refusal(module)
    return render_template("admin/confirm_status.html", form=form, module=module, action=action,
                           registered=registered, waiting=waiting, not_yet=not_yet)


def _held_refusal(module: Module) -> str | None:
    """Why the module cannot be marked held now (and when it can), or None."""
    if module.status == ModuleStatus.HELD:
        return _("The module is already marked as held.")
    return module_life.refusal(module, module_life.Purpose.HELD, needs_held=False)


def _held_message(queued: int) -> str:
    """'Module marked as held.' and the follow-ups of its published summary, if any."""
    if not queued:
        return _("Module marked as held.")
    return ngettext(
        "Module marked as held; %(num)d follow-up email of its published summary is queued.",
        "Module marked as held; %(num)d follow-up emails of its published summary are queued.",
        queued,
    )


# --- agenda -------------------------------------------------------------------------------


@bp.route("/series/<slug>/modules/<int:number>/agenda/new", methods=["GET", "POST"])
@bp.route("/series/<slug>/modules/<int:number>/agenda/<int:item_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_agenda_item(slug: str, number: int, item_id: int | None = None):
    module = _module_or_404(slug, number)
    item = _item_or_404(module, item_id) if item_id else None
    values = {} if item is None else dict(
        title=item.title, title_fr=item.title_fr, kind=item.kind,
        start_offset_minutes=item.start_offset_minutes,
        speakers=services.speaker_lines(item),
    )
    form = AgendaItemForm(data=values)
    if form.validate_on_submit():
        try:
            data = _agenda_data(form)
            if item is None:
                services.add_agenda_item(module, data)
            else:
                services.update_agenda_item(item, data)
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Agenda saved."), "success")
            return redirect(_module_url(module, "agenda"))
    return render_template("admin/agenda_form.html", form=form, module=module, item=item)


@bp.route(
    "/series/<slug>/modules/<int:number>/agenda/<int:item_id>/<any(up, down):action>",
    methods=["POST"],
)
@editor_required
def agenda_action(slug: str, number: int, item_id: int, action: str):
    module = _module_or_404(slug, number)
    item = _item_or_404(module, item_id)
    if ConfirmForm().validate_on_submit():
        services.move_agenda_item(item, -1 if action == "up" else 1)
        db.session.commit()
    return redirect(_module_url(module, "agenda"))


@bp.route(
    "/series/<slug>/modules/<int:number>/agenda/<int:item_id>/delete", methods=["GET", "POST"]
)
@editor_required
def delete_agenda_item(slug: str, number: int, item_id: int):
    module = _module_or_404(slug, number)
    item = _item_or_404(module, item_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_agenda_item(item)
        db.session.commit()
        flash(_("Agenda item deleted."), "success")
        return redirect(_module_url(module, "agenda"))
    return _confirm_delete(
        form, module, _("Delete the agenda item “%(title)s”?", title=item.title),
        _agenda_item_parts(item), _module_url(module, "agenda"),
    )


def _confirm_delete(form: ConfirmForm, module: Module, question: str, parts: list[str],
                    back_url: str, refusal: str | None = None, notes: list[str] | None = None):
    """The confirmation page of a deletion: what else goes with it, or why it cannot go."""
    return render_template("admin/confirm_delete.html", form=form, module=module,
                           series=module.series, question=question, parts=parts,
                           back_url=back_url, refusal=refusal, notes=notes or [])


def _speaker_label(speaker) -> str:
    return ", ".join(part for part in (speaker.name, speaker.role, speaker.organisation) if part)


def _agenda_item_parts(item: AgendaItem) -> list[str]:
    """'3 speakers: Expert, UNODC; ...' for the confirmation page."""
    if not item.speakers:
        return []
    names = "; ".join(_speaker_label(speaker) or _("(no name)") for speaker in item.speakers)
    return [ngettext("%(num)d speaker: %(names)s", "%(num)d speakers: %(names)s",
                     len(item.speakers), names=names)]


def _note_parts(note: BackgroundNote) -> list[str]:
    """The uploaded file (with its size) and where the note is shown, for the confirmation page."""
    parts = []
    if note.has_file:
        parts.append(_("the uploaded file %(name)s (%(size)s)", name=note.file_name,
                       size=timefmt.human_size(note.file_size or 0)))
    if note.is_published:
        parts.append(_("its place on the public module page and in the next Reader"))
    if note.is_prereading:
        parts.append(_("its mention as pre-reading in the reminders still to be sent"))
    return parts


def _module_parts(module: Module) -> list[str]:
    """The agenda, notes and summary that go with a module, for the confirmation page."""
    speakers = sum(len(item.speakers) for item in module.agenda_items)
    parts = []
    if module.agenda_items:
        parts.append(ngettext("%(num)d agenda item", "%(num)d agenda items",
                              len(module.agenda_items))
                     + " " + ngettext("with %(num)d speaker", "with %(num)d speakers", speakers))
    for note in module.notes:
        parts.append(_("the background note “%(title)s”", title=note.title)
                     + (f" ({timefmt.human_size(note.file_size or 0)})" if note.has_file else ""))
    if module.summary is not None:
        parts.append(_("its post-session summary, with its revisions and comments"))
    return parts


# --- background notes ---------------------------------------------------------------------


@bp.route("/series/<slug>/modules/<int:number>/notes/new", methods=["GET", "POST"])
@editor_required
def new_note(slug: str, number: int):
    module = _module_or_404(slug, number)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            services.add_note(module, _note_data(form))
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Background note added."), "success")
            return redirect(_module_url(module, "notes"))
    return render_template("admin/note_form.html", form=form, module=module, note=None)


@bp.route("/series/<slug>/modules/<int:number>/notes/<int:note_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_note(slug: str, number: int, note_id: int):
    module = _module_or_404(slug, number)
    note = _note_or_404(module, note_id)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        try:
            services.update_note(note, _note_data(form))
        except ScheduleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Background note saved."), "success")
            return redirect(_module_url(module, "notes"))
    return render_template("admin/note_form.html", form=form, module=module, note=note)


NOTE_ACTION_URL = (
    "/series/<slug>/modules/<int:number>/notes/<int:note_id>/<any(publish, unpublish):action>"
)


@bp.route(NOTE_ACTION_URL, methods=["POST"])
@editor_required
def note_action(slug: str, number: int, note_id: int, action: str):
    module = _module_or_404(slug, number)
    note = _note_or_404(module, note_id)
    if ConfirmForm().validate_on_submit():
        services.set_note_published(note, action == "publish")
        db.session.commit()
        flash(_("Background note updated."), "success")
    return redirect(_module_url(module, "notes"))


@bp.route("/series/<slug>/modules/<int:number>/notes/<int:note_id>/delete",
          methods=["GET", "POST"])
@editor_required
def delete_note(slug: str, number: int, note_id: int):
    module = _module_or_404(slug, number)
    note = _note_or_404(module, note_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.delete_note(note)
        db.session.commit()
        flash(_("Background note deleted."), "success")
        return redirect(_module_url(module, "notes"))
    return _confirm_delete(
        form, module, _("Delete the background note “%(title)s”?", title=note.title),
        _note_parts(note), _module_url(module, "notes"),
    )


@bp.route("/series/<slug>/modules/<int:number>/delete", methods=["GET", "POST"])
@editor_required
def delete_module(slug: str, number: int):
    module = _module_or_404(slug, number)
    series = module.series
    form = ConfirmForm()
    refusal = services.module_deletion_refusal(module)
    if refusal is None and form.validate_on_submit():
        services.delete_module(module)
        db.session.commit()
        flash(_("Module %(number)s deleted.", number=number), "success")
        return redirect(url_for("admin.series_detail", slug=series.slug))
    question = _("Delete module %(number)s, “%(title)s”?", number=number, title=module.title)
    status = 422 if refusal and form.is_submitted() else 200
    return _confirm_delete(form, module, question, _module_parts(module), _module_url(module),
                           refusal=refusal), status
