"""Accounts: look-up, authentication, creation, passwords and sessions."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from webinar_app.auth.emails import link_hours, queue_account_link_email
from webinar_app.core.addresses import InvalidEmail, normalise_email
from webinar_app.core.audit import record_event
from webinar_app.core.tokens import hash_token
from webinar_app.extensions import db
from webinar_app.models import (
    AccountLink,
    AccountLinkPurpose,
    Role,
    Series,
    SeriesRole,
    User,
    utcnow,
)
from webinar_app.models.user import SERIES_ROLES

PASSWORD_MIN_LENGTH = 12


class AccountError(ValueError):
    """A rule about accounts was broken; the message is shown next to `field` (if any)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active user whose id and current session token match."""
    account_id, _, token = user_id.partition(".")
    if not account_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(account_id))
    if user is None or not user.is_active or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    user.scoped_role = None  # set per request by core.access.scope_to_series
    return user


def _account_email(email: str) -> str:
    """The address normalised like every other (core.addresses), or AccountError."""
    try:
        return normalise_email(email)
    except InvalidEmail as exc:
        raise AccountError(str(exc), "email") from exc


@cache
def dummy_password_hash() -> str:
    """A hash made like real ones, checked when there is no account so failing takes as long."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; unknown accounts cost one hash too."""
    user = None
    if "\x00" not in email:  # PostgreSQL refuses NUL in text; no account has one
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        check_password_hash(dummy_password_hash(), password)
        return None
    if not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def check_new_password(password: str) -> None:
    """Raise AccountError when the password is too short to be accepted."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise AccountError(
            _("The password must have at least %(num)d characters.", num=PASSWORD_MIN_LENGTH),
            "new_password",
        )


def create_user(email: str, password: str, role: str) -> User:
    """A new account; raises AccountError for a bad role, a short password or a taken email."""
    if role not in {r.value for r in Role}:
        raise AccountError(_("Unknown role \"%(role)s\".", role=role), "role")
    check_new_password(password)
    address = _account_email(email)
    if db.session.scalar(select(User.id).where(User.email == address)):
        raise AccountError(_("An account for %(email)s exists already.", email=address), "email")
    user = User(email=address, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Every session of this account, on every device, stops working at the next request."""
    user.rotate_session_token()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends every session of the account."""
    if not user.check_password(current):
        raise AccountError(_("The current password is not right."), "current_password")
    check_new_password(new)
    user.set_password(new)
    end_all_sessions(user)
    record_account_event("account.password_changed", user, _(
        "%(email)s changed their password; their other sessions ended", email=user.email))


def find_user(email: str) -> User | None:
    """The account with this email address, or None."""
    if "\x00" in email:
        return None
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def set_personal_data_access(user: User, allowed: bool) -> None:
    """Let a reviewer see registrations, exports, attendance, invitees and the outbox, or not."""
    if allowed == user.can_see_personal_data:
        return
    user.can_see_personal_data = allowed
    record_account_event(
        "account.personal_data_granted" if allowed else "account.personal_data_revoked", user,
        _("Allowed %(email)s to see personal data", email=user.email) if allowed
        else _("Stopped %(email)s from seeing personal data", email=user.email))


# --- people and permissions -------------------------------------------------------------------

def record_account_event(action: str, user: User, summary: str,
                         series: Series | None = None) -> None:
    """The one place where account actions meet the audit log (invite, roles, activation)."""
    record_event(action, series=series, summary=summary, details={"account_id": user.id})


def issue_account_link(user: User, purpose: str) -> str:
    """A new set-password link token for this account; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(AccountLink(
        user=user, purpose=purpose, token_hash=hash_token(token), created_at=now,
        expires_at=now + timedelta(hours=link_hours()),
    ))
    db.session.flush()
    return token


def find_account_link(token: str) -> AccountLink | None:
    """The link with this token, used or not, or None."""
    if not token or len(token) > 200 or "\x00" in token:
        return None
    return db.session.scalar(select(AccountLink).where(AccountLink.token_hash == hash_token(token)))


def link_refusal(link: AccountLink | None) -> str | None:
    """Why this link cannot set a password now (with what to do), or None when it can."""
    if link is None:
        return _("This link is not valid: check that you copied all of it, or ask for a new one "
                 "with “Forgot your password?” on the login page.")
    if link.used_at is not None:
        return _("This link was already used: each link sets a password once. If you do not "
                 "know your password, ask for a new link with “Forgot your password?” on the "
                 "login page.")
    if link.expires_at <= utcnow():
        return _("This link has expired: links are valid for %(hours)d hours. Ask for a new one "
                 "with “Forgot your password?” on the login page, or ask an admin to send it "
                 "again.", hours=link_hours())
    if not link.user.is_active:
        return _("This account is deactivated. Ask an admin to reactivate it.")
    return None


def set_password_with_link(link: AccountLink, password: str) -> User:
    """Set the password, use up every open link of the account and end its sessions."""
    refusal = link_refusal(link)
    if refusal:
        raise AccountError(refusal)
    check_new_password(password)
    user = link.user
    user.set_password(password)
    now = utcnow()
    for other in db.session.scalars(
        select(AccountLink).where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
    ):
        other.used_at = now
    end_all_sessions(user)
    record_account_event("account.password_set_by_link", user, _(
        "%(email)s set their password with an emailed link; their other sessions ended",
        email=user.email))
    return user


def request_password_reset(email: str) -> bool:
    """Queue a reset link when an active account has this address; says nothing to the caller."""
    try:
        address = _account_email(email)
    except AccountError:
        return False
    user = find_user(address)
    if user is None or not user.is_active:
        return False
    token = issue_account_link(user, AccountLinkPurpose.PASSWORD_RESET)
    queue_account_link_email(user, AccountLinkPurpose.PASSWORD_RESET, token)
    return True


def find_series(slug: str) -> Series | None:
    """The series with this slug, or None."""
    return db.session.scalar(select(Series).where(Series.slug == slug))


def _active_admins_besides(user: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id
        )
    ) or 0


def _keep_an_admin(user: User) -> None:
    """Refuse to take away the last active admin: nobody could manage accounts any more."""
    if user.role == Role.ADMIN and user.is_active and not _active_admins_besides(user):
        raise AccountError(
            _("%(email)s is the last active admin: make another account admin first, so that "
              "someone can still manage accounts.", email=user.email),
            "role",
        )


def check_global_role(role: str) -> None:
    """Raise AccountError unless this is a global role (admin, organiser, reviewer or none)."""
    if role not in {r.value for r in Role}:
        raise AccountError(
            _("Unknown role “%(role)s”: use admin, organiser, reviewer or none.", role=role),
            "role",
        )


def check_series_role(role: str, *, allow_none: bool = False) -> None:
    """Raise AccountError unless this is a role that can be given in one series."""
    allowed = SERIES_ROLES + ((Role.NONE.value,) if allow_none else ())
    if role not in allowed:
        raise AccountError(
            _("In one series an account can be organiser or reviewer, not “%(role)s”.",
              role=role),
            "role",
        )


def invite_user(email: str, role: str, series: Series | None = None) -> tuple[User, str]:
    """A new account with a global role, or a role in one series; returns it and its link token."""
    address = _account_email(email)
    if find_user(address) is not None:
        raise AccountError(
            _("An account for %(email)s exists already: change its roles on its account page.",
              email=address),
            "email",
        )
    if series is None:
        check_global_role(role)
    else:
        check_series_role(role)
    user = User(email=address, role=role if series is None else Role.NONE.value)
    user.set_password(secrets.token_urlsafe(32))  # unknown to anyone until the link is used
    if series is not None:
        user.series_roles.append(SeriesRole(series=series, role=role))
    db.session.add(user)
    db.session.flush()
    token = issue_account_link(user, AccountLinkPurpose.INVITATION)
    queue_account_link_email(user, AccountLinkPurpose.INVITATION, token)
    record_account_event("account.invited", user, _("Invited %(email)s as %(roles)s",
                                                    email=address, roles=describe_roles(user)),
                         series=series)
    return user, token


def send_account_link(user: User) -> None:
    """Email a new set-password link: an invitation if never logged in, otherwise a reset."""
    if not user.is_active:
        raise AccountError(_("%(email)s is deactivated: reactivate the account first.",
                             email=user.email))
    purpose = (AccountLinkPurpose.INVITATION if user.last_login_at is None
               else AccountLinkPurpose.PASSWORD_RESET)
    token = issue_account_link(user, purpose)
    queue_account_link_email(user, purpose, token)


def set_global_role(user: User, role: str) -> None:
    """Change the global role; the last active admin keeps theirs."""
    check_global_role(role)
    if role == user.role:
        return
    if role != Role.ADMIN:
        _keep_an_admin(user)
    old = user.role
    user.role = role
    record_account_event("account.role_changed", user, _(
        "Changed the role of %(email)s from %(old)s to %(new)s", email=user.email, old=old,
        new=role))


def set_series_role(user: User, series: Series, role: str) -> None:
    """Give a role in one series, change it, or take it away (role "none")."""
    check_series_role(role, allow_none=True)
    current = next((r for r in user.series_roles if r.series_id == series.id), None)
    if role == Role.NONE:
        if current is not None:
            user.series_roles.remove(current)
    elif current is not None:
        current.role = role
    else:
        user.series_roles.append(SeriesRole(series=series, role=role))
    db.session.flush()
    record_account_event("account.role_changed", user, _(
        "Set the role of %(email)s in %(series)s to %(role)s", email=user.email,
        series=series.slug, role=role), series=series)


def set_active(user: User, active: bool) -> None:
    """Reactivate, or deactivate and end every session at once; the last admin stays."""
    if active == user.is_active:
        return
    if not active:
        _keep_an_admin(user)
        end_all_sessions(user)
    user.is_active = active
    record_account_event(
        "account.activated" if active else "account.deactivated", user,
        _("Reactivated %(email)s", email=user.email) if active
        else _("Deactivated %(email)s; its sessions ended", email=user.email))


def series_role_labels(user: User) -> list[str]:
    """"reviewer of slug" for each per-series role, sorted by series."""
    roles = sorted(user.series_roles, key=lambda r: r.series.slug)
    return [f"{r.role} of {r.series.slug}" for r in roles]


def describe_roles(user: User) -> str:
    """The global role and the series roles in one line, for the command line and the log."""
    parts = [user.role] if user.role != Role.NONE or not user.series_roles else []
    return ", ".join(parts + series_role_labels(user))
