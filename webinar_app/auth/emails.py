"""The account emails: an invitation or a password reset, each with a set-password link."""

from __future__ import annotations

import hashlib

from flask import current_app, render_template
from flask_babel import gettext as _

from webinar_app.core.addresses import default_sender
from webinar_app.core.urls import external_url
from webinar_app.i18n import current_language, localized
from webinar_app.models import AccountLinkPurpose, OutboxMessage, User
from webinar_app.outbox.services import queue_email

LINK_HOURS_DEFAULT = 72


def link_hours() -> int:
    """How long an emailed set-password link stays valid (ACCOUNT_LINK_HOURS, 72 by default)."""
    return int(current_app.config.get("ACCOUNT_LINK_HOURS", LINK_HOURS_DEFAULT))


def set_password_url(token: str) -> str:
    """The absolute link to the set-password page, built from BASE_URL (works without a request)."""
    return external_url("auth.set_password", token=token)


def _roles_text(user: User) -> str:
    """What the account may do, in words, for the invitation."""
    labels = {
        "admin": _("admin of the whole site"),
        "organiser": _("organiser of every series"),
        "reviewer": _("reviewer of every series"),
    }
    parts = [labels[user.role]] if user.role in labels else []
    for series_role in sorted(user.series_roles, key=lambda r: r.series.slug):
        title = localized(series_role.series, "title")
        if series_role.role == "organiser":
            parts.append(_("organiser of %(title)s", title=title))
        else:
            parts.append(_("reviewer of %(title)s", title=title))
    return "; ".join(parts)


def queue_account_link_email(user: User, purpose: str, token: str) -> OutboxMessage | None:
    """Queue the invitation or reset email carrying a set-password link (no commit)."""
    is_invitation = purpose == AccountLinkPurpose.INVITATION
    subject = (_("You are invited to the webinar organiser pages") if is_invitation
               else _("Set a new password for the webinar organiser pages"))
    context = {
        "subject": subject,
        "is_invitation": is_invitation,
        "email": user.email,
        "roles": _roles_text(user),
        "link": set_password_url(token),
        "hours": link_hours(),
        "login_url": external_url("auth.login"),
    }
    sender_name, sender_email = default_sender()
    return queue_email(
        kind="account_" + purpose,
        purpose_key="account-link:" + hashlib.sha256(token.encode()).hexdigest()[:40],
        to_email=user.email,
        to_name="",
        language=current_language(),  # the body is written in the language of the page that sent it
        subject=subject,
        body_text=render_template("email/account_link.txt", **context),
        body_html=render_template("email/account_link.html", **context),
        sender_email=sender_email,
        sender_name=sender_name,
    )
