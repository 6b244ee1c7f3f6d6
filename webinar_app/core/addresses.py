"""E-mail addresses: the one normalisation used for registrations, invitations and accounts,
and the site's default sender."""

from __future__ import annotations

from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app


class InvalidEmail(ValueError):
    """The email address cannot be used."""


def normalise_email(value: str) -> str:
    """The address normalised by email-validator and lower-cased for matching."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return checked.normalized.lower()


def default_sender() -> tuple[str, str]:
    """(name, address) from MAIL_DEFAULT_SENDER, which may be 'Name <address>'."""
    name, address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return name, address or "webinars@localhost"
