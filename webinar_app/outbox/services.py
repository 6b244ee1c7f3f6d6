"""The outbox: queue an email in the caller's transaction; claim and record deliveries.

Queuing never commits. A unique purpose key makes queuing the same email twice impossible:
the row is inserted inside a SAVEPOINT, so a duplicate key leaves the caller's transaction
intact and simply returns None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from webinar_app.calendar.ics import site_host
from webinar_app.extensions import db
from webinar_app.models import Module, OutboxMessage, OutboxStatus, Person, Series, utcnow

STALE_SENDING = timedelta(minutes=15)
MAX_CONNECTION_BACKOFF_MINUTES = 60


class OutboxError(ValueError):
    """An email that cannot be queued as given (a bad address or header)."""


@dataclass
class DeliveryCounts:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retrying

    def summary(self) -> str:
        return f"Sent {self.sent}, failed {self.failed}, retrying {self.retrying}."


def _check_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise OutboxError(f"{name} contains a line break")
    return value


def _check_address(name: str, address: str) -> str:
    _check_header(name, address)
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise OutboxError(f"{name}: {exc}") from exc


def _check_sender(address: str) -> str:
    """The sender comes from configuration or the series: one line and an addr-spec with @."""
    _check_header("sender", address)
    if parseaddr(address)[1] != address or "@" not in address:
        raise OutboxError(f"sender: {address!r} is not an email address")
    return address


def _extra_headers_text(headers: dict[str, str]) -> str:
    """Stored as 'Name: value' lines; names are tokens and values single lines."""
    lines = []
    for name, value in headers.items():
        if not name or not all(c.isascii() and (c.isalnum() or c == "-") for c in name):
            raise OutboxError(f"bad header name {name!r}")
        lines.append(f"{name}: {_check_header(name, value)}")
    return "\n".join(lines)


def default_sender() -> tuple[str, str]:
    """(name, address) from MAIL_DEFAULT_SENDER, which may be 'Name <address>'."""
    name, address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")
    return name, address or "webinars@localhost"


def message_domain() -> str:
    """The site's domain, for Message-IDs (never socket.getfqdn())."""
    return site_host(current_app.config["BASE_URL"])


def is_queued(purpose_key: str) -> bool:
    """True if an email with this purpose key is already in the outbox."""
    return (
        db.session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.purpose_key == purpose_key)
        )
        is not None
    )


def queue_email(
    kind: str,
    purpose_key: str,
    to_email: str,
    to_name: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str,
    series: Series | None = None,
    person: Person | None = None,
    module: Module | None = None,
    calendar_method: str | None = None,
    calendar_ics: bytes | str | None = None,
    sender_email: str | None = None,
    sender_name: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> OutboxMessage | None:
    """Add one email to the outbox (no commit); None if its purpose key was already queued.

    extra_headers are headers the application generates (List-Unsubscribe), never user input.
    """
    fallback_name, fallback_email = default_sender()
    sender_email = sender_email or (series.sender_email if series else "") or fallback_email
    sender_name = sender_name or (series.sender_name if series else "") or fallback_name
    to_email = _check_address("recipient", to_email)
    sender_email = _check_sender(sender_email)
    for name, value in (
        ("subject", subject),
        ("recipient name", to_name),
        ("sender name", sender_name),
        ("language", language),
        ("calendar method", calendar_method or ""),
    ):
        _check_header(name, value)
    if isinstance(calendar_ics, bytes):
        calendar_ics = calendar_ics.decode("utf-8")
    headers_text = _extra_headers_text(extra_headers or {})
    if is_queued(purpose_key):
        return None
    message = OutboxMessage(
        kind=kind,
        purpose_key=purpose_key,
        series_id=series.id if series else None,
        person_id=person.id if person else None,
        module_id=module.id if module else None,
        sender_email=sender_email,
        sender_name=sender_name,
        to_email=to_email,
        to_name=to_name,
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        calendar_method=calendar_method,
        calendar_ics=calendar_ics,
        extra_headers=headers_text,
        status=OutboxStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
        message_id=make_msgid(domain=message_domain()),
    )
    db.session.flush()  # the caller's own errors surface here, not as a duplicate key
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    return message


def _due_condition(now: datetime):
    stale = timedelta(seconds=current_app.config.get("MAIL_STALE_SENDING_SECONDS") or 0)
    stale = stale or STALE_SENDING
    return or_(
        and_(
            OutboxMessage.status == OutboxStatus.QUEUED.value,
            OutboxMessage.next_attempt_at <= now,
        ),
        and_(
            OutboxMessage.status == OutboxStatus.SENDING.value,
            OutboxMessage.updated_at <= now - stale,
        ),
    )


def count_due() -> int:
    """How many emails are due now."""
    from sqlalchemy import func

    now = utcnow()
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(_due_condition(now))) or 0


def claim_due(limit: int) -> list[OutboxMessage]:
    """Mark up to `limit` due rows as sending and commit; no other worker gets the same row.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED. Everywhere: each row is taken with a
    conditional UPDATE (compare and set), so two workers on SQLite never take the same row.
    """
    now = utcnow()
    query = (
        select(OutboxMessage.id)
        .where(_due_condition(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(query))
    claimed: list[int] = []
    for message_id in ids:
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due_condition(now))
            .values(status=OutboxStatus.SENDING.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(message_id)
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )
    return list(rows)


def record_sent(message: OutboxMessage) -> None:
    """Mark a message sent, now, and commit at once."""
    message.status = OutboxStatus.SENT.value
    message.sent_at = utcnow()
    message.attempts += 1
    message.last_error = ""
    db.session.commit()


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th ... failed attempt (max one hour)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_CONNECTION_BACKOFF_MINUTES))


def record_failure(message: OutboxMessage, error: str, *, permanent: bool, connection: bool) -> str:
    """Record a failed attempt and commit; return the new status ('queued' or 'failed').

    A message the server refused fails for good after MAIL_MAX_ATTEMPTS (or at once for a
    permanent 5xx refusal). A server that cannot be reached loses nothing: the row stays queued
    and is retried with back-off for as long as it takes.
    """
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 6)
    message.attempts += 1
    message.last_error = error[:2000]
    if not connection and (permanent or message.attempts >= max_attempts):
        message.status = OutboxStatus.FAILED.value
    else:
        message.status = OutboxStatus.QUEUED.value
        message.next_attempt_at = utcnow() + backoff(message.attempts)
    db.session.commit()
    return message.status


def retry(message: OutboxMessage) -> None:
    """Put a failed message back in the queue, due now (no commit)."""
    message.status = OutboxStatus.QUEUED.value
    message.next_attempt_at = utcnow()
    message.last_error = ""
    message.attempts = 0


def list_messages(status: str | None = None):
    """The outbox, newest first, optionally of one status (a select for pagination)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return query
