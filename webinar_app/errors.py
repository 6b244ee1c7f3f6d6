"""Error pages in the site's look."""

from __future__ import annotations

import contextlib

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden

from webinar_app.core.dberrors import (
    DATABASE_UNAVAILABLE,
    is_database_unavailable,
    one_line_error,
)
from webinar_app.core.urls import RefusedInput
from webinar_app.extensions import db, login_manager


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_errors(app: Flask) -> None:
    """Register handlers for 400, 403, 404, 413, 429, 500, and 503 while the database is down."""

    def page(code: int, title: str, message: str):
        if _wants_json():
            return {"error": title, "status": code}, code
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(e):
        if isinstance(e, RefusedInput):
            return page(400, _("Bad request"), e.description)
        return page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(
            400,
            _("Form expired"),
            _("The form was open too long or came from elsewhere. Go back, reload and try again."),
        )

    @app.errorhandler(403)
    def forbidden(e):
        if isinstance(e, Forbidden) and e.description != Forbidden.description:
            return page(403, _("Not allowed"), e.description)
        return page(403, _("Not allowed"), _(
            "Your account cannot open this page. If your work needs it, ask an admin."
        ))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Page not found"), _("There is nothing at this address."))

    @app.errorhandler(413)
    def too_large(_e):
        return page(413, _("File too large"), _("The file is larger than the upload limit."))

    @app.errorhandler(429)
    def too_many(_e):
        return page(429, _("Too many attempts"), _("Please wait a few minutes and try again."))

    @app.errorhandler(500)
    def server_error(_e):
        return page(500, _("Something went wrong"), _("The error was logged. Please try again."))

    _register_database_unavailable(app)


DATABASE_RETRY_AFTER_SECONDS = 30


def _register_database_unavailable(app: Flask) -> None:
    """While the database is unreachable: 503 with Retry-After, and one log line per request."""

    def database_unavailable(exc):
        if not is_database_unavailable(exc):
            raise exc  # a bug (e.g. a missing migration): the 500 page, logged with its traceback
        app.logger.error(
            "Database unavailable for %s %s: %s", request.method, request.path,
            one_line_error(exc),
        )
        _forget_session_state()
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
        title = _("Please try again in a moment")
        if _wants_json() or request.endpoint == "public.healthz":
            return {"error": title, "status": 503}, 503, headers
        message = _(
            "The site cannot reach its database just now. Wait a moment and try again; "
            "if you were sending a form, send it again."
        )
        body = render_template("errors/error.html", code=503, title=title, message=message)
        return body, 503, headers

    for exc_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(exc_class, database_unavailable)


def _forget_session_state() -> None:
    """Drop the failed transaction and show the page as to a visitor: nothing asks the database."""
    with contextlib.suppress(*DATABASE_UNAVAILABLE):
        db.session.rollback()
    g._login_user = login_manager.anonymous_user()
