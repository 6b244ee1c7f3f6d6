"""Link tokens: random, never stored; the database keeps a salt and a hash.

A token is HMAC-SHA256(SECRET_KEY, purpose + salt) with a random 128-bit salt per person
(`derive_token`, the one HMAC of the site: personal links and invitation links), so the
system can put the same link in every later email (a reminder, an update) while the database
alone reveals nothing: a copy of it without the secret key cannot open anyone's page.
Reissuing draws a new salt, which revokes the old link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy import select

from webinar_app.core.urls import external_url
from webinar_app.extensions import db
from webinar_app.models import Person, utcnow


def derive_token(purpose: str, salt: str, key: bytes | None = None) -> str:
    """The token for this purpose and salt: HMAC-SHA256 keyed with SECRET_KEY, URL-safe."""
    key = key if key is not None else current_app.config["SECRET_KEY"].encode()
    digest = hmac.digest(key, purpose.encode() + b":" + salt.encode(), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _derive(salt: str) -> str:
    return derive_token("personal-link", salt)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, so a database copy opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(person: Person) -> str:
    """Give the person a new personal link (revoking any old one) and return its token."""
    person.token_salt = secrets.token_hex(16)
    token = _derive(person.token_salt)
    person.token_hash = hash_token(token)
    person.token_issued_at = utcnow()
    return token


def personal_token(person: Person) -> str:
    """The person's current token, issuing one if they have none."""
    if not person.token_salt:
        return issue_token(person)
    return _derive(person.token_salt)


def revoke_token(person: Person) -> None:
    """Make the person's link stop working, without issuing a new one."""
    person.token_salt = None
    person.token_hash = None


def find_person_by_token(token: str) -> Person | None:
    """The person whose link carries this token, or None."""
    if not token or len(token) > 100:
        return None
    person = db.session.scalar(select(Person).where(Person.token_hash == hash_token(token)))
    if person is None or person.is_erased:
        return None
    return person


def personal_url(person: Person) -> str:
    """The person's personal page, in every email and calendar."""
    return external_url("me.page", token=personal_token(person))
