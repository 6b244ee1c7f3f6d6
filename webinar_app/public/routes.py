"""Public pages."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from webinar_app.i18n import LANGUAGE_COOKIE

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    return "TODO"


@bp.route("/language/<code>")
def set_language(code: str):
    """Remember the chosen language in a cookie and go back."""
    target = request.args.get("next") or url_for("public.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.index")
    response = redirect(target)
    if code in ("en", "fr"):
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.route("/healthz")
def healthz():
    from sqlalchemy import text

    from webinar_app.extensions import db

    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
