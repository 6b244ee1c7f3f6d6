"""Login, logout, password change and the admins' account list."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from wtforms import SelectChoice

from webinar_app.auth.emails import link_hours
from webinar_app.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    GlobalRoleForm,
    InviteForm,
    LoginForm,
    NewPasswordForm,
    PersonalDataAccessForm,
    SeriesRoleForm,
)
from webinar_app.auth.services import (
    PASSWORD_MIN_LENGTH,
    AccountError,
    authenticate,
    change_password,
    end_all_sessions,
    find_account_link,
    find_series,
    invite_user,
    link_refusal,
    request_password_reset,
    send_account_link,
    series_role_labels,
    set_active,
    set_global_role,
    set_password_with_link,
    set_personal_data_access,
    set_series_role,
)
from webinar_app.core.access import admin_required, scope_to_series, staff_required
from webinar_app.core.urls import safe_next
from webinar_app.extensions import db, limiter
from webinar_app.i18n import sort_for_people
from webinar_app.models import AccountLinkPurpose, Role, Series, User, utcnow

bp = Blueprint("auth", __name__)
bp.before_app_request(scope_to_series)


def _pair_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def _account_and_address_key() -> str:
    """Failed logins count per (account, address): a stranger cannot lock the owner out."""
    account = (request.form.get("email") or "").strip().lower()[:254]
    return f"login-pair:{get_remote_address()}|{account}"


def _account_key() -> str:
    """Wrong current passwords count per account, so a stolen session cannot guess it."""
    return f"password-change:{current_user.id if current_user.is_authenticated else ''}"


def _failed(response) -> bool:
    return response.status_code != 302


def _start_session(user: User) -> None:
    """Log in with a session that ends after SESSION_HOURS without a request."""
    session.permanent = True
    login_user(user, remember=False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_pair_limit, key_func=_account_and_address_key, methods=["POST"],
               deduct_when=_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user:
            _start_session(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("admin.dashboard")))
        form.password.errors.append(_("Email or password is not right."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_all_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You are logged out, on this device and every other."), "info")
    return redirect(url_for("public.index"))


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(_pair_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
@staff_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current_password.data, form.new_password.data)
        except AccountError as exc:
            form[exc.field or "new_password"].errors.append(exc.message)
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Your password is changed. Every other session of your account has ended."),
                  "success")
            return redirect(url_for("admin.dashboard"))
    return render_template("auth/password.html", form=form, min_length=PASSWORD_MIN_LENGTH)


@bp.route("/accounts")
@admin_required
def accounts():
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("auth/accounts.html", users=users, form=PersonalDataAccessForm(),
                           reviewer=Role.REVIEWER.value,
                           series_roles={u.id: series_role_labels(u) for u in users})


@bp.route("/accounts/<int:user_id>/personal-data", methods=["POST"])
@admin_required
def personal_data_access(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = PersonalDataAccessForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    elif user.role not in (Role.REVIEWER, Role.NONE):
        flash(_("Only a reviewer's access can be changed: organisers and admins always see "
                "personal data."), "error")
    else:
        set_personal_data_access(user, form.can_see_personal_data.data)
        db.session.commit()
        message = (_("%(email)s may now see personal data.", email=user.email)
                   if user.can_see_personal_data
                   else _("%(email)s no longer sees personal data.", email=user.email))
        flash(message, "success")
    return redirect(url_for(".accounts"))


# --- forgotten passwords and emailed links ---------------------------------------------------

def _reset_address_limit() -> str:
    return current_app.config["PASSWORD_RESET_ADDRESS_RATE_LIMIT"]


def _reset_ip_limit() -> str:
    return current_app.config["PASSWORD_RESET_IP_RATE_LIMIT"]


def _reset_address_key() -> str:
    """Reset requests count per email address typed, whoever asks."""
    return "password-reset:" + (request.form.get("email") or "").strip().lower()[:254]


def _no_address_typed() -> bool:
    """An empty form sends nothing, so it does not count against anyone's address."""
    return not (request.form.get("email") or "").strip()


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_ip_limit, methods=["POST"])
@limiter.limit(_reset_address_limit, key_func=_reset_address_key, methods=["POST"],
               exempt_when=_no_address_typed)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        db.session.commit()
        return render_template("auth/forgot_sent.html", hours=link_hours())
    return render_template("auth/forgot.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TOKEN_RATE_LIMIT"])
def set_password(token: str):
    link = find_account_link(token)
    refusal = link_refusal(link)
    if refusal:
        return render_template("auth/link_refused.html", message=refusal), 410 if link else 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = set_password_with_link(link, form.new_password.data)
        except AccountError as exc:
            form.new_password.errors.append(exc.message)
        else:
            user.last_login_at = utcnow()
            db.session.commit()
            _start_session(user)
            flash(_("Your password is set and you are logged in. Any other session of your "
                    "account has ended."), "success")
            return redirect(url_for("admin.dashboard"))
    return render_template("auth/set_password.html", form=form, email=link.user.email,
                           is_invitation=link.purpose == AccountLinkPurpose.INVITATION,
                           min_length=PASSWORD_MIN_LENGTH)


# --- admins: invitations, roles, activation -------------------------------------------------

def _series_choices() -> list[SelectChoice]:
    series = sort_for_people(db.session.scalars(select(Series)), key=lambda s: s.title)
    return [SelectChoice(s.slug, f"{s.title} ({s.slug})") for s in series]


@bp.route("/accounts/invite", methods=["GET", "POST"])
@admin_required
def invite():
    form = InviteForm()
    form.series.choices = [SelectChoice("", _("(none: for a global role)")), *_series_choices()]
    if form.validate_on_submit():
        role, slug = form.chosen()
        series = find_series(slug) if slug else None
        if form.confirm.data != "yes":
            form.confirm.data = "yes"
            return render_template("auth/invite_confirm.html", form=form, series=series,
                                   role=role, hours=link_hours())
        try:
            user, _token = invite_user(form.email.data, role, series)
        except AccountError as exc:
            form.confirm.data = ""
            form[exc.field or "email"].errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("The invitation to %(email)s is on its way. The link in it is valid for "
                    "%(hours)d hours.", email=user.email, hours=link_hours()), "success")
            return redirect(url_for(".account", user_id=user.id))
    return render_template("auth/invite.html", form=form)


def _account_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _account_page(user: User, role_form: GlobalRoleForm | None = None,
                  series_form: SeriesRoleForm | None = None, status: int = 200):
    role_form = role_form or GlobalRoleForm(formdata=None, role=user.role)
    series_form = series_form or SeriesRoleForm(formdata=None, prefix="series_role")
    series_form.series.choices = _series_choices()
    roles = sorted(user.series_roles, key=lambda r: r.series.slug)
    return render_template("auth/account.html", user=user, role_form=role_form,
                           series_form=series_form, series_roles=roles), status


@bp.route("/accounts/<int:user_id>")
@admin_required
def account(user_id: int):
    return _account_page(_account_or_404(user_id))


@bp.route("/accounts/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id: int):
    user = _account_or_404(user_id)
    form = GlobalRoleForm()
    if form.validate_on_submit():
        try:
            set_global_role(user, form.role.data)
        except AccountError as exc:
            form.role.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("%(email)s is now: %(role)s.", email=user.email, role=user.role), "success")
            return redirect(url_for(".account", user_id=user.id))
    return _account_page(user, role_form=form, status=400)


@bp.route("/accounts/<int:user_id>/series-role", methods=["POST"])
@admin_required
def change_series_role(user_id: int):
    user = _account_or_404(user_id)
    form = SeriesRoleForm(prefix="series_role")
    form.series.choices = _series_choices()
    if form.validate_on_submit():
        series = find_series(form.series.data) or abort(404)
        set_series_role(user, series, form.role.data)
        db.session.commit()
        flash(_("The role of %(email)s in %(series)s is now: %(role)s.", email=user.email,
                series=series.title, role=form.role.data), "success")
        return redirect(url_for(".account", user_id=user.id))
    return _account_page(user, series_form=form, status=400)


@bp.route("/accounts/<int:user_id>/<any(deactivate, activate):action>", methods=["POST"])
@admin_required
def change_active(user_id: int, action: str):
    user = _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".account", user_id=user.id))
    try:
        set_active(user, action == "activate")
    except AccountError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(email)s is reactivated.", email=user.email) if user.is_active else
              _("%(email)s is deactivated: it cannot log in, and every session it had has "
                "ended.", email=user.email), "success")
    return redirect(url_for(".account", user_id=user.id))


@bp.route("/accounts/<int:user_id>/send-link", methods=["POST"])
@admin_required
def send_link(user_id: int):
    user = _account_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".account", user_id=user.id))
    try:
        send_account_link(user)
    except AccountError as exc:
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("A link to set a password is on its way to %(email)s (valid for %(hours)d "
                "hours).", email=user.email, hours=link_hours()), "success")
    return redirect(url_for(".account", user_id=user.id))
