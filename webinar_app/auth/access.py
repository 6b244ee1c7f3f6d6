"""Decorators that keep organiser pages for the right roles."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


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
        if current_user.role not in ("reviewer", "admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped
