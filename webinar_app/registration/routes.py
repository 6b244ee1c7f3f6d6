"""Routes of the registration blueprint: /series/SLUG/register and its confirmation."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from sqlalchemy import select

from webinar_app import timefmt
from webinar_app.core.module_life import closed_reason_label, registration_closed_reason
from webinar_app.core.transaction import run_write_transaction
from webinar_app.extensions import db, limiter
from webinar_app.i18n import localized
from webinar_app.invitations.services import prefill_registration_form
from webinar_app.models import Module, ModuleStatus, Series
from webinar_app.registration.forms import (
    LostLinkForm,
    RegistrationForm,
)
from webinar_app.registration.services import (
    ParticipantDetails,
    register_participant,
    request_personal_link,
)

bp = Blueprint("registration", __name__)

_OUTCOME_KEY = "registration_outcome"


def _series_or_404(slug: str) -> Series:
    series = db.session.scalar(select(Series).where(Series.slug == slug))
    if series is None:
        abort(404)
    return series


def _offered_modules(series: Series) -> list[Module]:
    return [m for m in series.modules if m.status != ModuleStatus.DRAFT and m.starts_at]


def _when(module: Module, series: Series, viewer_tz: str | None) -> str:
    """'Wednesday 17 December 2026, 14:00–16:00 Brussels time (16:00–18:00 in Nairobi, your
    time zone)'."""
    if module.starts_at is None:
        return ""
    date = timefmt.fmt_date(module.starts_at, series.timezone)
    pair = timefmt.fmt_time_pair(module.starts_at, series.timezone, viewer_tz,
                                 ends_at=module.ends_at)
    return f"{date}, {pair}"


def _module_label(module: Module, series: Series) -> str:
    when = _when(module, series, request.cookies.get("tz"))
    label = f"{module.number}. {localized(module, 'title')} — {when}"
    reason = registration_closed_reason(module)
    return f"{label} — {closed_reason_label(reason)}" if reason else label


def _preselected(modules: list[Module]) -> list[int]:
    """The module asked for by ?module=N when it is offered and open; otherwise none."""
    wanted = request.args.get("module", type=int)
    if any(m.number == wanted and registration_closed_reason(m) is None for m in modules):
        return [wanted]
    return []


def _details(form: RegistrationForm) -> ParticipantDetails:
    return ParticipantDetails(
        email=form.normalised_email,
        has_data_consent=form.has_data_consent.data,
        has_marketing_consent=form.has_marketing_consent.data,
        **form.details(),
    )


@bp.route("/series/<slug>/register", methods=["GET", "POST"])
def register(slug: str):
    series = _series_or_404(slug)
    series_id, modules = series.id, _offered_modules(series)
    form = RegistrationForm()
    form.modules.choices = [(m.number, _module_label(m, series)) for m in modules]
    remembered_tz = timefmt.canonical_zone(request.cookies.get("tz"))
    is_zone_chosen = request.method == "POST" or remembered_tz is not None
    if request.method == "GET":
        form.modules.data = _preselected(modules)
        form.timezone.data = remembered_tz or series.timezone
        form.language.data = str(get_locale() or "en")
        prefill_registration_form(form, series, request.args.get("invite"))
        is_zone_chosen = is_zone_chosen or form.timezone.data != (remembered_tz or series.timezone)
    form.offer_zones(series.timezone, remembered_tz)
    if form.validate_on_submit():
        details, numbers = _details(form), form.modules.data
        closed = {m.number: registration_closed_reason(m) for m in modules if m.number in numbers}
        run_write_transaction(lambda: register_participant(series_id, details, numbers))
        session[_OUTCOME_KEY] = {"slug": slug, "tz": form.timezone.data, "closed": closed}
        return redirect(url_for(".registered", slug=slug))
    return render_template("registration/register.html", series=series, form=form,
                           has_modules=bool(modules), detect_zone=not is_zone_chosen)


@bp.route("/series/<slug>/register/done")
def registered(slug: str):
    """The same answer whatever the address: what happened is in the email to the owner."""
    series = _series_or_404(slug)
    stored = session.get(_OUTCOME_KEY) or {}
    if stored.get("slug") != slug:
        return redirect(url_for(".register", slug=slug))
    closed = {int(n): reason for n, reason in (stored.get("closed") or {}).items()}
    chosen = [
        {"number": m.number, "title": localized(m, "title"),
         "when": _when(m, series, stored.get("tz")),
         "closed_label": closed_reason_label(closed[m.number]) if closed[m.number] else ""}
        for m in series.modules if m.number in closed
    ]
    return render_template("registration/registered.html", series=series, chosen=chosen)


def _lost_link_ip_limit() -> str:
    return current_app.config["LOST_LINK_IP_RATE_LIMIT"]


def _lost_link_address_limit() -> str:
    return current_app.config["LOST_LINK_ADDRESS_RATE_LIMIT"]


def _lost_link_address_key() -> str:
    """Requests count per address asked for (any IP), so nobody floods one mailbox."""
    return "lost-link:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/series/<slug>/lost-link", methods=["GET", "POST"])
@limiter.limit(_lost_link_ip_limit, methods=["POST"], scope="lost-link-ip")
@limiter.limit(_lost_link_address_limit, key_func=_lost_link_address_key, methods=["POST"],
               scope="lost-link-address")
def lost_link(slug: str):
    """"Lost your personal link?": emails it, and answers the same whatever the address."""
    series = _series_or_404(slug)
    series_id = series.id
    form = LostLinkForm()
    if form.validate_on_submit():
        address = form.email.data
        run_write_transaction(lambda: request_personal_link(series_id, address))
        return redirect(url_for(".lost_link_sent", slug=slug))
    return render_template("registration/lost_link.html", series=series, form=form)


@bp.route("/series/<slug>/lost-link/sent")
def lost_link_sent(slug: str):
    return render_template("registration/lost_link_sent.html", series=_series_or_404(slug))
