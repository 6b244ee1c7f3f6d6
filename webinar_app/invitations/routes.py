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
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from webinar_app.core.access import editor_required, personal_data_required
from webinar_app.core.csv import csv_download, decode_text
from webinar_app.core.urls import int_arg
from webinar_app.extensions import csrf, db
from webinar_app.invitations import sending, services
from webinar_app.invitations.csvfile import InviteeRow, UnreadableFile, check_list
from webinar_app.invitations.emails import CampaignParts, render_campaign_email
from webinar_app.invitations.forms import (
    ActionForm,
    CampaignForm,
    ImportConfirmForm,
    ImportForm,
    InviteeFilterForm,
    InviteeForm,
    SendForm,
)
from webinar_app.invitations.jobs import dispatch_import, pick_up_imports, progress_of
from webinar_app.models import Campaign, ImportStatus, Invitee, InviteeImport, Series

bp = Blueprint("invitations", __name__)
public_bp = Blueprint("unsubscribe", __name__)


@bp.record_once
def _register_background_hook(state) -> None:
    """The outbox delivery thread (`make run`) also starts the invitee lists left waiting."""
    state.app.extensions.setdefault("background_hooks", []).append(pick_up_imports)


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


@bp.route("/<slug>/invitations/campaigns/new", methods=["GET", "POST"])
@editor_required
def new_campaign(slug: str):
    series = _series_or_404(slug)
    form = CampaignForm()
    form.modules.choices = [SelectChoice(m.number, f"{m.number}. {m.title}")
                            for m in series.modules]
    if request.method == "GET":
        form.title.data = _("Invitation: %(title)s", title=series.title)
    if form.validate_on_submit():
        campaign = services.create_campaign(series, form.title.data, form.message.data or "",
                                            form.modules.data or [])
        db.session.commit()
        return redirect(url_for(".campaign", slug=slug, campaign_id=campaign.id))
    return render_template("invitations/campaign_form.html", series=series, form=form)


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>")
@personal_data_required
def campaign(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    page = int_arg("page", 1)
    rows, total = services.invitee_statuses(series, services.InviteeFilter(), page, campaign)
    return render_template(
        "invitations/campaign.html", series=series, campaign=campaign, rows=rows, total=total,
        page=page, page_size=services.PAGE_SIZE, counts=services.campaign_counts(campaign),
        last_departure=services.campaign_last_departure(campaign),
        modules=services.campaign_modules(campaign),
        new_count=services.count_audience(campaign, "new"),
        unregistered_count=services.count_audience(campaign, "not_registered"),
        send_form=SendForm(audience="new"), nudge_form=SendForm(audience="not_registered"),
        action_form=ActionForm())


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/preview")
@personal_data_required
def preview(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    invitee = db.session.scalar(select(Invitee).where(Invitee.series_id == series.id)
                                .order_by(Invitee.id).limit(1))
    sample = invitee or _sample_invitee(series)
    language, text, html = render_campaign_email(CampaignParts(campaign), sample)
    if request.args.get("format") == "html":
        return Response(html, mimetype="text/html")
    return render_template("invitations/preview.html", series=series, campaign=campaign,
                           text=text, language=language, invitee=invitee)


def _sample_invitee(series: Series) -> Invitee:
    sample = Invitee(series=series, email="name@example.org", full_name=_("Invitee's name"),
                     language=_default_language(series), token_salt="preview", token_hash="")  # noqa: S106
    return sample


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/send", methods=["POST"])
@editor_required
def send(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    form = SendForm()
    if not form.validate_on_submit():
        flash(_("Choose whom to send to."), "error")
        return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))
    wanted = services.InviteeFilter(country=form.country.data or "",
                                    organisation=form.organisation.data or "",
                                    language=form.language.data or "")
    queued = 0
    for counts in sending.send_campaign(campaign, form.audience.data, wanted):
        db.session.commit()
        queued = counts.queued
    flash(_("%(n)s invitations queued.", n=queued), "success")
    return redirect(url_for(".campaign", slug=slug, campaign_id=campaign_id))


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/invitees/<int:invitee_id>/resend",
          methods=["POST"])
@editor_required
def resend(slug: str, campaign_id: int, invitee_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    invitee = services.invitee_in_series(series, invitee_id)
    if invitee is None or not ActionForm().validate_on_submit():
        abort(400)
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
