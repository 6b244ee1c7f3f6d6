"""E-mail addresses: the one normalisation used for registrations, invitations and accounts."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class InvalidEmail(ValueError):
    """The email address cannot be used."""


def normalise_email(value: str) -> str:
    """The address normalised by email-validator and lower-cased for matching."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc
    return checked.normalized.lower()
