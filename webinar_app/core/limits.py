"""The rate limit shared by every page reached through a personal link."""

from flask import current_app

from webinar_app.extensions import limiter


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


personal_link_limit = limiter.shared_limit(_token_limit, scope="personal-link")
