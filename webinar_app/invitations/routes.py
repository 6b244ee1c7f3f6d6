"""Organiser pages for invitee lists and campaigns (/admin/series/SLUG/invitations), and the
public opt-out page (/unsubscribe/TOKEN, with RFC 8058 one-click POST)."""

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
from flask_babel import force_locale, format_percent
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from webinar_app.core.access import editor_required, personal_data_required
from webinar_app.core.csv import csv_download, decode_text
from webinar_app.core.reference import LANGUAGE_LABELS
from webinar_app.core.urls import int_arg
from webinar_app.extensions import csrf, db
from webinar_app.i18n import localized
from webinar_app.invitations import sending, services
from webinar_app.invitations.csvfile import InviteeRow, UnreadableFile, check_list
from webinar_app.invitations.emails import (
    CampaignParts,
    queue_test_email,
    render_campaign_email,
)
from webinar_app.invitations.forms import (
    MARKDOWN_HINT,
    ActionForm,
    CampaignForm,
    ImportConfirmForm,
    ImportForm,
    InviteeFilterForm,
    InviteeForm,
    PreviewForm,
    ScheduleForm,
    SegmentForm,
    SendForm,
    TestSendForm,
)
from webinar_app.invitations.jobs import (
    MinuteCampaigns,
    dispatch_import,
    pick_up_imports,
    progress_of,
    send_campaign_now,
)
from webinar_app.models import (
    Campaign,
    CampaignStatus,
    ImportStatus,
    Invitee,
    InviteeImport,
    Series,
)
from webinar_app.timefmt import parse_local

bp = Blueprint("invitations", __name__)
public_bp = Blueprint("unsubscribe", __name__)


@bp.record_once
def _register_background_hook(state) -> None:
    """The outbox delivery thread (`make run`) also starts the invitee lists left waiting and
    sends the scheduled campaigns whose time has come."""
    hooks = state.app.extensions.setdefault("background_hooks", [])
    hooks.extend([pick_up_imports, MinuteCampaigns()])


def _series_or_404(slug: str) -> Series:
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        abort(404)
    return series


def _campaign_or_404(series: Series, campaign_id: int) -> Campaign:
    campaign = services.campaign_in_series(series, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _default_language(series: Series) -> str:
    return series.language_codes[0] if series.language_codes else "en"


@bp.route("/<slug>/invitations")
@personal_data_required
def invitees(slug: str):
    series = _series_or_404(slug)
    form = InviteeFilterForm(request.args)
    wanted = services.InviteeFilter(search=(form.q.data or "")[:200],
                                    country=(form.country.data or "")[:100])
    page = int_arg("page", 1)
    rows, total = services.invitee_statuses(series, wanted, page)
    return render_template("invitations/list.html", series=series, form=form, rows=rows,
                           total=total, page=page, page_size=services.PAGE_SIZE,
                           campaigns=services.list_campaigns(series),
                           imports=[(i, progress_of(i)) for i in services.recent_imports(series)])


@bp.route("/<slug>/invitations/export.csv")
@personal_data_required
def export(slug: str):
    series = _series_or_404(slug)
    services.record_invitees_export(series)
    db.session.commit()
    return csv_download(services.invitees_csv(series), f"invitees-{series.slug}.csv")


@bp.route("/<slug>/invitations/import", methods=["GET", "POST"])
@editor_required
def import_list(slug: str):
    series = _series_or_404(slug)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        upload.close()  # a large upload is spooled to a temporary file
        try:
            check = check_list(decode_text(data), _default_language(series),
                               services.known_emails(series).__contains__)
        except UnreadableFile as exc:
            form.file.errors.append(str(exc))
        else:
            record = services.record_import(series, current_user.id, upload.filename or "",
                                            data, check)
            db.session.commit()
            return redirect(url_for(".import_status", slug=slug, import_id=record.id))
    return render_template("invitations/import.html", series=series, form=form)


@bp.route("/<slug>/invitations/imports/<int:import_id>")
@personal_data_required
def import_status(slug: str, import_id: int):
    series = _series_or_404(slug)
    record = _import_or_404(series, import_id)
    if record.status == ImportStatus.CHECKED:
        return render_template("invitations/import_preview.html", series=series,
                               record=record, form=ImportConfirmForm())
    return render_template("invitations/import_progress.html", series=series, record=record,
                           progress=progress_of(record), form=ImportConfirmForm())


@bp.route("/<slug>/invitations/imports/<int:import_id>/confirm", methods=["POST"])
@editor_required
def import_confirm(slug: str, import_id: int):
    series = _series_or_404(slug)
    record = _import_or_404(series, import_id)
    if not ImportConfirmForm().validate_on_submit():
        flash(_("The import could not be confirmed (the form expired); please confirm again."),
              "error")
        return redirect(url_for(".import_status", slug=slug, import_id=import_id))
    try:
        services.queue_import(record)
    except services.InvitationError:
        flash(_("This list was already started; its progress is below."), "info")
        return redirect(url_for(".import_status", slug=slug, import_id=import_id))
    db.session.commit()
    dispatch_import(record.id)
    return redirect(url_for(".import_status", slug=slug, import_id=import_id))


def _import_or_404(series: Series, import_id: int) -> InviteeImport:
    record = services.import_in_series(series, import_id)
    if record is None:
        abort(404)
    return record


@bp.route("/<slug>/invitations/add", methods=["GET", "POST"])
@editor_required
def add(slug: str):
    series = _series_or_404(slug)
    form = InviteeForm(language=_default_language(series))
    if form.validate_on_submit():
        row = InviteeRow(0, form.normalised_email, form.full_name.data,
                         form.organisation.data or "", form.country.data or "",
                         form.language.data)
        _invitee, created = services.add_invitee(series, row)
        db.session.commit()
        flash(_("Invitee added.") if created else _("Invitee updated."), "success")
        return redirect(url_for(".invitees", slug=slug))
    return render_template("invitations/add.html", series=series, form=form)


def _campaign_form(series: Series, **kwargs) -> CampaignForm:
    form = CampaignForm(**kwargs).for_languages(series.language_codes)
    form.modules.choices = [SelectChoice(m.number, f"{m.number}. {m.title}")
                            for m in series.modules]
    return form


@bp.route("/<slug>/invitations/campaigns/new", methods=["GET", "POST"])
@editor_required
def new_campaign(slug: str):
    series = _series_or_404(slug)
    form = _campaign_form(series)
    if request.method == "GET":
        for code in form.languages:
            with force_locale(code):
                form[f"subject_{code}"].data = _("Invitation: %(title)s",
                                                 title=localized(series, "title", code))
    if form.validate_on_submit():
        texts = form.texts()
        first = texts[form.languages[0]]
        campaign = services.create_campaign(series, first[0], first[1],
                                            form.modules.data or [], texts)
        db.session.commit()
        return redirect(url_for(".campaign", slug=slug, campaign_id=campaign.id))
    return render_template("invitations/campaign_form.html", series=series, form=form,
                           markdown_hint=MARKDOWN_HINT)


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_campaign(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    if not campaign.is_editable:
        flash(_("This campaign can no longer be edited: its sending started. "
                "Create a new campaign instead."), "error")
        return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))
    form = _campaign_form(series)
    if request.method == "GET":
        form.fill(campaign)
    if form.validate_on_submit():
        try:
            services.update_campaign(campaign, form.texts(), form.modules.data or [])
        except services.InvitationError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))
    return render_template("invitations/campaign_form.html", series=series, form=form,
                           campaign=campaign, markdown_hint=MARKDOWN_HINT)


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>")
@personal_data_required
def campaign(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    page = int_arg("page", 1)
    rows, total = services.invitee_statuses(series, services.InviteeFilter(), page, campaign)
    figures = services.campaign_figures(campaign)
    return render_template(
        "invitations/campaign.html", series=series, campaign=campaign, rows=rows, total=total,
        page=page, page_size=services.PAGE_SIZE, figures=figures,
        registered_rate=format_percent(figures.registered_rate),
        last_departure=services.campaign_last_departure(campaign),
        modules=services.campaign_modules(campaign),
        new_count=services.count_audience(campaign, "new"),
        segment_form=SegmentForm(formdata=None), action_form=ActionForm())


def _preview_choice(series: Series, campaign: Campaign) -> tuple[Invitee, str, PreviewForm]:
    """The invitee (or a sample) and the language the organiser previews as."""
    form = PreviewForm(request.args)
    found = services.preview_invitees(series, form.q.data or "")
    wanted = services.invitee_in_series(series, int_arg("invitee", 0))
    invitee = wanted or (found[0] if found else None) or _sample_invitee(series)
    if wanted is not None and wanted not in found:
        found.insert(0, wanted)
    form.invitee.choices = [SelectChoice(str(i.id), f"{i.full_name} <{i.email}> ({i.language})")
                            for i in found]
    form.invitee.data = str(invitee.id) if invitee.id else ""
    codes = series.language_codes or ["en"]
    form.language.choices = [SelectChoice(c, LANGUAGE_LABELS.get(c, c)) for c in codes]
    language = request.args.get("language", "")
    if language not in codes:
        language = invitee.language if invitee.language in codes else codes[0]
    form.language.data = language
    return invitee, language, form


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/preview")
@personal_data_required
def preview(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    invitee, language, form = _preview_choice(series, campaign)
    parts = CampaignParts(campaign)
    language, text, _html = render_campaign_email(parts, invitee, language)
    return render_template(
        "invitations/preview.html", series=series, campaign=campaign, text=text,
        language=language, invitee=invitee, form=form, subject=parts.subject(language),
        test_form=TestSendForm(invitee=form.invitee.data, language=language),
        email_url=url_for(".preview_email", slug=slug, campaign_id=campaign_id,
                          invitee=form.invitee.data or None, language=language))


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/preview/email.html")
@personal_data_required
def preview_email(slug: str, campaign_id: int):
    """The email's HTML part alone, as a document with its own policy (inline styles kept)."""
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    invitee, language, _form = _preview_choice(series, campaign)
    _language, _text, html = render_campaign_email(CampaignParts(campaign), invitee, language)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    response.headers["Cache-Control"] = "no-store"
    return response


def _sample_invitee(series: Series) -> Invitee:
    sample = Invitee(series=series, email="name@example.org", full_name=_("Invitee's name"),
                     language=_default_language(series), token_salt="preview", token_hash="")  # noqa: S106
    return sample


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/test", methods=["POST"])
@editor_required
def test_send(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = services.invitee_in_series(series, int(form.invitee.data or 0))
    sample = _sample_invitee(series)
    if chosen is not None:
        sample.full_name, sample.language = chosen.full_name, chosen.language
    language = form.language.data or sample.language
    queue_test_email(CampaignParts(campaign), sample, language, current_user.email)
    db.session.commit()
    flash(_("A test was sent to %(email)s.", email=current_user.email), "success")
    return redirect(url_for(".preview", slug=slug, campaign_id=campaign_id,
                            invitee=chosen.id if chosen else None, language=language))


def _segment(form) -> services.InviteeFilter:
    return services.InviteeFilter(country=(form.country.data or "")[:100],
                                  organisation=(form.organisation.data or "")[:200],
                                  language=form.language.data or "")


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/confirm")
@editor_required
def confirm(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    segment_form = SegmentForm(request.args)
    return _confirm_page(series, campaign, _segment(segment_form), segment_form)


def _confirm_page(series, campaign, wanted: services.InviteeFilter, segment_form,
                  schedule_form=None) -> str:
    """The page that states who the campaign goes to, with its send and schedule forms."""
    hidden = dict(country=wanted.country, organisation=wanted.organisation,
                  language=wanted.language)
    return render_template(
        "invitations/confirm.html", series=series, campaign=campaign, wanted=wanted,
        segments=services.audience_segments(campaign, wanted), segment_form=segment_form,
        send_form=SendForm(formdata=None, **hidden),
        schedule_form=schedule_form or ScheduleForm(formdata=None, **hidden),
        zone=series.timezone)


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/send", methods=["POST"])
@editor_required
def send(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    form = SendForm()
    if not form.validate_on_submit():
        flash(_("The sending could not be confirmed (the form expired); please confirm again."),
              "error")
        return redirect(url_for(".confirm", slug=slug, campaign_id=campaign_id))
    counts = send_campaign_now(campaign, _segment(form))
    if counts is None:
        flash(_("This campaign is already being sent."), "error")
    else:
        flash(_("%(n)s invitations queued.", n=counts.queued), "success")
    return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/schedule", methods=["POST"])
@editor_required
def schedule(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            services.schedule_campaign(campaign, parse_local(form.send_at.data, series.timezone),
                                       _segment(form))
        except services.InvitationError as exc:
            form.send_at.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Scheduled."), "success")
            return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))
    wanted = _segment(form)
    segment_form = SegmentForm(formdata=None, **wanted.__dict__)
    return _confirm_page(series, campaign, wanted, segment_form, schedule_form=form), 400


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/unschedule", methods=["POST"])
@editor_required
def unschedule(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.cancel_schedule(campaign)
    except services.InvitationError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The scheduled sending is cancelled; the campaign is a draft again."), "success")
    return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/remind", methods=["POST"])
@editor_required
def remind(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    reminder = services.create_reminder(campaign)
    db.session.commit()
    flash(_("A reminder campaign was drafted: check its texts, preview it, then send it."),
          "success")
    return redirect(url_for(".edit_campaign", slug=slug, campaign_id=reminder.id))


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/invitees/<int:invitee_id>/resend",
          methods=["POST"])
@editor_required
def resend(slug: str, campaign_id: int, invitee_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    invitee = services.invitee_in_series(series, invitee_id)
    if invitee is None or not ActionForm().validate_on_submit():
        abort(400)
    if campaign.status != CampaignStatus.SENT:
        flash(_("Send the campaign first; a draft or scheduled campaign is sent to no one."),
              "error")
        return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))
    queued = sum(c.queued for c in sending.send_campaign(campaign, "selected",
                                                          invitee_ids=[invitee.id]))
    db.session.commit()
    if queued:
        flash(_("Invitation sent again to %(email)s.", email=invitee.email), "success")
    else:
        flash(_("Not sent: the address opted out or was sent this invitation a moment ago."),
              "error")
    return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))


@public_bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    invitee = services.get_invitee_by_token(token)
    if invitee is None:
        return render_template("invitations/unsubscribe.html", invitee=None), 404
    if request.method == "POST":
        services.opt_out(invitee)
        db.session.commit()
        return render_template("invitations/unsubscribe.html", invitee=invitee, done=True)
    return render_template("invitations/unsubscribe.html", invitee=invitee, done=False)
