"""Organiser pages for invitee lists and campaigns (/admin/series/SLUG/invitations), and the
public opt-out page (/unsubscribe/TOKEN, with RFC 8058 one-click POST)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from wtforms import SelectChoice

from webinar_app.auth.access import editor_required, staff_required
from webinar_app.extensions import csrf, db
from webinar_app.invitations import services
from webinar_app.invitations.csvfile import InviteeRow, UnreadableFile, decode, parse_invitees
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
from webinar_app.models import Campaign, Invitee, Series

bp = Blueprint("invitations", __name__)
public_bp = Blueprint("unsubscribe", __name__)


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


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="invitee-import")


@bp.route("/<slug>/invitations")
@staff_required
def invitees(slug: str):
    series = _series_or_404(slug)
    form = InviteeFilterForm(request.args)
    wanted = services.InviteeFilter(search=(form.q.data or "")[:200],
                                    country=(form.country.data or "")[:100])
    page = max(form.page.data or 1, 1)
    rows, total = services.invitee_statuses(series, wanted, page)
    return render_template("invitations/list.html", series=series, form=form, rows=rows,
                           total=total, page=page, page_size=services.PAGE_SIZE,
                           campaigns=services.list_campaigns(series))


@bp.route("/<slug>/invitations/export.csv")
@staff_required
def export(slug: str):
    series = _series_or_404(slug)
    headers = {"Content-Disposition": f'attachment; filename="invitees-{series.slug}.csv"'}
    return Response(services.invitees_csv(series), mimetype="text/csv", headers=headers)


@bp.route("/<slug>/invitations/import", methods=["GET", "POST"])
@editor_required
def import_list(slug: str):
    series = _series_or_404(slug)
    form = ImportForm()
    if form.validate_on_submit():
        try:
            text = decode(form.file.data.read())
            parsed = parse_invitees(text, _default_language(series))
        except UnreadableFile as exc:
            form.file.errors.append(str(exc))
        else:
            confirm = ImportConfirmForm(payload=_signer().dumps({"s": series.id, "csv": text}))
            return render_template("invitations/import_preview.html", series=series,
                                   parsed=parsed, form=confirm)
    return render_template("invitations/import.html", series=series, form=form)


@bp.route("/<slug>/invitations/import/confirm", methods=["POST"])
@editor_required
def import_confirm(slug: str):
    series = _series_or_404(slug)
    form = ImportConfirmForm()
    try:
        data = _signer().loads(form.payload.data or "") if form.validate_on_submit() else None
    except BadSignature:
        data = None
    if not data or data.get("s") != series.id:
        flash(_("The import could not be confirmed; please upload the file again."), "error")
        return redirect(url_for(".import_list", slug=slug))
    counts = services.save_invitees(series, parse_invitees(data["csv"], _default_language(series)))
    db.session.commit()
    flash(_("Imported %(created)s new and %(updated)s updated invitees; %(skipped)s rows skipped.",
            created=counts.created, updated=counts.updated, skipped=counts.skipped), "success")
    return redirect(url_for(".invitees", slug=slug))


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
@staff_required
def campaign(slug: str, campaign_id: int):
    series = _series_or_404(slug)
    campaign = _campaign_or_404(series, campaign_id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = services.invitee_statuses(series, services.InviteeFilter(), page, campaign)
    return render_template(
        "invitations/campaign.html", series=series, campaign=campaign, rows=rows, total=total,
        page=page, page_size=services.PAGE_SIZE, counts=services.campaign_counts(campaign),
        modules=services.campaign_modules(campaign),
        new_count=services.count_audience(campaign, "new"),
        unregistered_count=services.count_audience(campaign, "not_registered"),
        send_form=SendForm(audience="new"), nudge_form=SendForm(audience="not_registered"),
        action_form=ActionForm())


@bp.route("/<slug>/invitations/campaigns/<int:campaign_id>/preview")
@staff_required
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
    for counts in services.send_campaign(campaign, form.audience.data, wanted):
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
    queued = sum(c.queued for c in services.send_campaign(campaign, "selected",
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
