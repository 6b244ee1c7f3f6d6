"""Helpers shared by the registration, personal-page and organiser tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from webinar_app.core.tokens import personal_token
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, Person, Registration


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form at url."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no csrf token in {url}"
    return match.group(1)


def form_data(**overrides) -> dict:
    data = {
        "full_name": "Amina Diallo",
        "email": "Amina.Diallo@Example.org",
        "organisation": "Ministry of Justice",
        "organisation_type": "government",
        "country": "SN",
        "job_title": "Legal adviser",
        "language": "en",
        "timezone": "Africa/Dakar",
        "modules": ["1"],
        "has_data_consent": "y",
    }
    data.update(overrides)
    return data


def register(client, slug: str = "test-series", **overrides):
    """POST the registration form as a browser would (with its CSRF token)."""
    url = f"/series/{slug}/register"
    data = form_data(**overrides)
    data["csrf_token"] = csrf_token(client, url)
    return client.post(url, data=data)


def person_by_email(email: str) -> Person | None:
    db.session.expire_all()
    return db.session.scalar(select(Person).where(Person.email == email.lower()))


def registrations_of(person: Person) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.scalars(select(Registration).where(Registration.person_id == person.id))
    return {r.module.number: r.status for r in rows}


def outbox(kind: str | None = None, person: Person | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if person is not None:
        query = query.where(OutboxMessage.person_id == person.id)
    return list(db.session.scalars(query))


def token_of(person: Person) -> str:
    token = personal_token(person)
    db.session.commit()
    return token


def text(response) -> str:
    """The page's text with tags removed and white space collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
