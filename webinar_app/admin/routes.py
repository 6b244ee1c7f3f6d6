"""Routes of the admin blueprint."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from webinar_app.auth.access import staff_required  # noqa: E402


@bp.route("/")
@staff_required
def dashboard():
    return "TODO"
