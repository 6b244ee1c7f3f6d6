"""Addresses that refused mail for good: marked, held back at delivery, cleared by organisers.

A permanent refusal (a 5xx answer at RCPT or DATA, or a bounce report with Action: failed and a
5.x.x status) marks the address undeliverable for the sender it refused (a series' sender
address). Delivery does not attempt later emails from that sender to it: they take the status
"undeliverable" ("not sent: undeliverable" on the organiser pages) without using up a quota slot.
Clearing the mark lets the next email go; the ones held meanwhile can be retried from the outbox.
"""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, UndeliverableAddress, utcnow

REASON_MAX = 1000


def normalised(address: str) -> str:
    """The address as the outbox stores it (domain normalised); as given if it is not valid."""
    address = address.strip()
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return address


def find_mark(sender_email: str, email: str) -> UndeliverableAddress | None:
    return db.session.scalar(select(UndeliverableAddress).where(
        UndeliverableAddress.sender_email == sender_email,
        UndeliverableAddress.email == normalised(email),
    ))


def mark_undeliverable(
    email: str, sender_email: str, reason: str, *, series_id: int | None = None,
    source: str = "smtp", when: datetime | None = None,
) -> bool:
    """Mark email undeliverable for sender_email (no commit); False if it already was (the
    reason and time are brought up to date)."""
    values = dict(reason=reason[:REASON_MAX], source=source, marked_at=when or utcnow())
    mark = find_mark(sender_email, email)
    if mark is not None:
        for name, value in values.items():
            setattr(mark, name, value)
        if series_id is not None:
            mark.series_id = series_id
        return False
    mark = UndeliverableAddress(email=normalised(email), sender_email=sender_email,
                                series_id=series_id, **values)
    try:
        with db.session.begin_nested():
            db.session.add(mark)
    except IntegrityError:  # another process marked it meanwhile
        return False
    return True


def marked_pairs(rows: list[OutboxMessage]) -> set[tuple[str, str]]:
    """The (sender, address) pairs among these rows that are marked undeliverable."""
    if not rows:
        return set()
    senders = {row.sender_email for row in rows}
    addresses = {row.to_email for row in rows}
    found = db.session.execute(
        select(UndeliverableAddress.sender_email, UndeliverableAddress.email).where(
            UndeliverableAddress.sender_email.in_(senders),
            UndeliverableAddress.email.in_(addresses),
        )
    )
    return {(sender, email) for sender, email in found}


def list_marks():
    """Every mark, newest first (a select for pagination)."""
    return select(UndeliverableAddress).order_by(
        UndeliverableAddress.marked_at.desc(), UndeliverableAddress.id.desc()
    )


def clear_mark(mark: UndeliverableAddress) -> None:
    """Remove a mark, recorded in the audit log (no commit); later emails go out again."""
    record_event(
        "mail.undeliverable_cleared", series=mark.series,
        summary=_("Cleared an undeliverable mark: emails from %(sender)s to that address "
                  "will be attempted again", sender=mark.sender_email),
        people=1, details={"mark_id": mark.id, "marked_at": mark.marked_at,
                           "source": mark.source},
    )
    db.session.delete(mark)
