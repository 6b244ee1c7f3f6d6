"""Decorators that keep organiser pages for the right roles, and the per-series scope.

Accounts with a global role (admin, organiser, reviewer) see every series. Accounts whose
global role is "none" see only the series where they have a SeriesRole: `scope_to_series`
runs before every request and, for any URL under /admin/series/<slug>/, refuses a series
where such an account has no role, and otherwise sets the role it has there, which the
decorators below (and `current_user.can_edit` in templates) then use.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from webinar_app.extensions import db
from webinar_app.models import Role, Series

SERIES_PAGES_PREFIX = "/admin/series/"


def scope_to_series() -> None:
    """Before each request: limit accounts without a global role to their own series."""
    if not request.path.startswith(SERIES_PAGES_PREFIX) or not current_user.is_authenticated:
        return
    user = current_user._get_current_object()
    user.scoped_role = None
    slug = (request.view_args or {}).get("slug")
    if not isinstance(slug, str) or user.role in (Role.ADMIN, Role.ORGANISER):
        return  # nothing a series role could add
    series_id = db.session.scalar(select(Series.id).where(Series.slug == slug))
    user.scoped_role = user.role_in_series(series_id) if series_id is not None else None
    if not user.has_global_role and user.scoped_role is None:
        abort(403, description=_(
            "Your account has no role in this series, so its pages are closed to you. "
            "If your work needs them, ask an admin to give you a role in it."
        ))


def staff_required(view):
    """Any logged-in organiser, reviewer or admin; others are sent to log in."""
    return login_required(view)


def editor_required(view):
    """Organisers and admins only; a reviewer gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_edit:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Admins only."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def reviewer_required(view):
    """Reviewers and admins only; an organiser gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_review:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def personal_data_required(view):
    """Organisers and admins, and reviewers an admin allowed; other reviewers get 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.may_see_personal_data:
            abort(403, description=_(
                "This page shows participants' personal data, which reviewers do not see: "
                "reviewers read and review summaries. If your work needs this page, ask an "
                "admin to allow your account to see personal data."
            ))
        return view(*args, **kwargs)

    return wrapped
