"""Error pages in the site's look."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_errors(app: Flask) -> None:
    """Register handlers for 400, 403, 404, 413, 429 and 500."""

    def page(code: int, title: str, message: str):
        if _wants_json():
            return {"error": title, "status": code}, code
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(_e):
        return page(400, _("Bad request"), _("The request could not be understood."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(
            400,
            _("Form expired"),
            _("The form was open too long or came from elsewhere. Go back, reload and try again."),
        )

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("Not allowed"), _("Your account cannot open this page."))

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
