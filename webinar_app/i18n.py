"""Language choice: the person's remembered choice, then the browser's Accept-Language."""

from __future__ import annotations

from flask import current_app, has_request_context, request

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """The locale for this request."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background work
        return current_app.config.get("BABEL_DEFAULT_LOCALE", supported[0])
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or supported[0]
