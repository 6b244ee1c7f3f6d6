"""Accounts: look-up, authentication, creation."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from webinar_app.extensions import db
from webinar_app.models import Role, User, utcnow


class AccountError(ValueError):
    """A rule about accounts was broken; the message is shown to the user."""


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the active user with this id."""
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user and user.is_active else None


def normalise_email(email: str) -> str:
    """The normalised address, or AccountError."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(str(exc)) from exc


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    if "\x00" in email:  # PostgreSQL refuses NUL in text; no account has one
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def create_user(email: str, password: str, role: str) -> User:
    """A new account; raises AccountError for a bad role, a short password or a taken email."""
    if role not in {r.value for r in Role}:
        raise AccountError(f"Unknown role {role!r}.")
    if len(password) < 10:
        raise AccountError("The password must have at least 10 characters.")
    address = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == address)):
        raise AccountError(f"An account for {address} exists already.")
    user = User(email=address, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
