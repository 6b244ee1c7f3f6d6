"""The outbox: queue an email in the caller's transaction; claim and record deliveries.

Queuing never commits. A unique purpose key makes queuing the same email twice impossible:
the row is inserted inside a SAVEPOINT, so a duplicate key leaves the caller's transaction
intact and simply returns None. `queue_emails` does the same for a whole batch in one INSERT
... ON CONFLICT (purpose_key) DO NOTHING.

Delivery claims rows for one process: a claim writes `claimed_by` (host, pid and a random
part) and a lease (`lease_until`, MAIL_STALE_SENDING_SECONDS from now), renewed for each message
just before it is sent. Every later write (sent, failed, released) is conditional on the row
still being that process's claim, so a row whose lease ran out and that another process took is
never sent or marked twice; a dead process's rows are due again when their lease ends.

Marking a message sent commits at once, cheaply: SQLite runs WAL with synchronous=NORMAL (see
`_tune_sqlite`) and PostgreSQL's mark-sent transactions use `SET LOCAL synchronous_commit TO
OFF`. Both survive a crash of the process; a power loss can forget the last few "sent" marks,
which can only send those emails again, never lose one: the rows themselves were written by the
transactions of the changes that caused them, with the database's normal durability.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from webinar_app.core.addresses import default_sender
from webinar_app.core.text import clean_one_line, typeset
from webinar_app.core.urls import site_host
from webinar_app.extensions import db
from webinar_app.models import Module, OutboxMessage, OutboxStatus, Person, Series, utcnow

DEFAULT_LEASE_SECONDS = 90
LEGACY_STALE_SENDING = timedelta(minutes=15)  # "sending" rows claimed before leases existed
MAX_CONNECTION_BACKOFF_MINUTES = 60
HELD_ERROR = "not sent: the address is marked undeliverable for this sender"


class OutboxError(ValueError):
    """An email that cannot be queued as given (a bad address or header)."""


@dataclass
class DeliveryCounts:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    deferred: int = 0  # the server asked to wait (421/451/452)
    held: int = 0  # not attempted: the address is marked undeliverable
    quota_wait_until: datetime | None = None  # the quota is used up until then

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retrying + self.deferred + self.held

    def summary(self) -> str:
        text = f"Sent {self.sent}, failed {self.failed}, retrying {self.retrying}."
        if self.deferred:
            text += f" Deferred by the server {self.deferred}."
        if self.held:
            text += f" Not sent, undeliverable {self.held}."
        if self.quota_wait_until:
            text += f" Quota used up: the rest waits until {self.quota_wait_until:%H:%M:%S} UTC."
        return text


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


def series_sender(series: Series) -> tuple[str, str]:
    """(address, one-line name) the series' emails come from, with the site default as fallback."""
    name, address = default_sender()
    display = series.sender_name or series.organiser or name
    return series.sender_email or address, clean_one_line(display)


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


@dataclass(frozen=True)
class NewEmail:
    """One email to queue. extra_headers are generated by us (List-Unsubscribe), never input."""

    kind: str
    purpose_key: str
    to_email: str
    to_name: str
    language: str
    subject: str
    body_text: str
    body_html: str
    series: Series | None = None
    person: Person | None = None
    module: Module | None = None
    calendar_method: str | None = None
    calendar_ics: bytes | str | None = None
    sender_email: str | None = None
    sender_name: str | None = None
    extra_headers: dict[str, str] | None = None


def _row_values(email: NewEmail, domain: str) -> dict:
    """The checked column values of one outbox row (OutboxError for a bad address or header)."""
    series = email.series
    fallback_name, fallback_email = default_sender()
    sender_email = email.sender_email or (series.sender_email if series else "") or fallback_email
    sender_name = email.sender_name or (series.sender_name if series else "") or fallback_name
    to_email = _check_address("recipient", email.to_email)
    sender_email = _check_sender(sender_email)
    subject = typeset(email.subject, email.language)  # French spacing, as in the body
    for name, value in (
        ("subject", subject),
        ("recipient name", email.to_name),
        ("sender name", sender_name),
        ("language", email.language),
        ("calendar method", email.calendar_method or ""),
    ):
        _check_header(name, value)
    calendar_ics = email.calendar_ics
    if isinstance(calendar_ics, bytes):
        calendar_ics = calendar_ics.decode("utf-8")
    return dict(
        kind=email.kind,
        purpose_key=email.purpose_key,
        series_id=series.id if series else None,
        person_id=email.person.id if email.person else None,
        module_id=email.module.id if email.module else None,
        sender_email=sender_email,
        sender_name=sender_name,
        to_email=to_email,
        to_name=email.to_name,
        language=email.language,
        subject=subject,
        body_text=email.body_text,
        body_html=email.body_html,
        calendar_method=email.calendar_method,
        calendar_ics=calendar_ics,
        extra_headers=_extra_headers_text(email.extra_headers or {}),
        status=OutboxStatus.QUEUED.value,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
        message_id=make_msgid(domain=domain),
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
    email = NewEmail(
        kind, purpose_key, to_email, to_name, language, subject, body_text, body_html, series,
        person, module, calendar_method, calendar_ics, sender_email, sender_name, extra_headers,
    )
    values = _row_values(email, message_domain())
    if is_queued(purpose_key):
        return None
    message = OutboxMessage(**values)
    db.session.flush()  # the caller's own errors surface here, not as a duplicate key
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    return message


def queue_person_email(
    person: Person,
    module: Module,
    *,
    kind: str,
    purpose_key: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str,
    sender: tuple[str, str],
    calendar_method: str | None = None,
    calendar_ics: bytes | str | None = None,
) -> OutboxMessage | None:
    """queue_email for one email about a module to one person, from sender (address, name)."""
    assert person.email
    return queue_email(
        kind=kind,
        purpose_key=purpose_key,
        to_email=person.email,
        to_name=clean_one_line(person.full_name),
        language=language,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        series=module.series,
        person=person,
        module=module,
        calendar_method=calendar_method,
        calendar_ics=calendar_ics,
        sender_email=sender[0],
        sender_name=sender[1],
    )


def queue_emails(emails: list[NewEmail]) -> dict[str, int]:
    """Add a batch of emails in one INSERT (no commit): {purpose key: row id} of the new ones.

    Keys already in the outbox (or repeated in the batch)
    are skipped; a row that another transaction inserts meanwhile is skipped by ON CONFLICT.
    """
    if not emails:
        return {}
    domain = message_domain()
    rows: dict[str, dict] = {}
    for email in emails:
        values = _row_values(email, domain)
        rows.setdefault(values["purpose_key"], values)
    existing = set(db.session.scalars(
        select(OutboxMessage.purpose_key).where(OutboxMessage.purpose_key.in_(list(rows)))
    ))
    fresh = [values for key, values in rows.items() if key not in existing]
    if not fresh:
        return {}
    db.session.flush()
    table = OutboxMessage.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.purpose_key])
        .returning(table.c.id, table.c.purpose_key)
    )
    queued = {key: row_id for row_id, key in db.session.execute(statement, fresh)}
    if queued:
        # The Celery hook (webinar_app.tasks) looks for new rows after a flush; Core inserts
        # are not in session.new, so say so directly: the commit then enqueues a delivery.
        db.session.info["outbox_added"] = True
    return queued


def lease() -> timedelta:
    """How long a claim holds a row without being renewed (MAIL_STALE_SENDING_SECONDS)."""
    seconds = current_app.config.get("MAIL_STALE_SENDING_SECONDS") or DEFAULT_LEASE_SECONDS
    return timedelta(seconds=seconds)


def new_claim_id() -> str:
    """An id for one claim: this host, this process and a random part (threads differ)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(6)}"


def _due_condition(now: datetime):
    sending = OutboxMessage.status == OutboxStatus.SENDING.value
    return and_(
        # implied by what follows; lets the database use the status index, not read every row
        OutboxMessage.status.in_([OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value]),
        or_(
            and_(
                OutboxMessage.status == OutboxStatus.QUEUED.value,
                OutboxMessage.next_attempt_at <= now,
            ),
            and_(sending, OutboxMessage.lease_until <= now),
            and_(
                sending,
                OutboxMessage.lease_until.is_(None),
                OutboxMessage.updated_at <= now - LEGACY_STALE_SENDING,
            ),
        ),
    )


def count_due() -> int:
    """How many emails are due now."""
    now = utcnow()
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(_due_condition(now))) or 0


def claim_due(limit: int, claimed_by: str | None = None) -> list[OutboxMessage]:
    """Claim up to `limit` due rows for `claimed_by` (status sending, a lease) and commit.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED. Everywhere: the rows are taken with one
    conditional UPDATE ... RETURNING (compare and set), so two workers on SQLite never take the
    same row. The rows come back detached from the session (a snapshot for building the
    messages), so that the commit after each sent message does not expire the whole batch.
    """
    now = utcnow()
    claimed_by = claimed_by or new_claim_id()
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
    if ids:
        claimed = list(db.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), _due_condition(now))
            .values(status=OutboxStatus.SENDING.value, updated_at=now, claimed_by=claimed_by,
                    lease_until=now + lease())
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ))
    db.session.commit()
    if not claimed:
        return []
    rows = list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    ))
    for row in rows:
        db.session.expunge(row)
    db.session.rollback()  # end the read transaction (PostgreSQL would hold it open)
    return rows


_table = OutboxMessage.__table__


def _is_claimed_by(claimed_by: str):
    return and_(
        _table.c.claimed_by == claimed_by, _table.c.status == OutboxStatus.SENDING.value
    )


RENEW_CLAIM = (
    _table.update()
    .where(_table.c.id == bindparam("row_id"), _is_claimed_by(bindparam("claim")))
    .values(lease_until=bindparam("until"))
)
MARK_SENT = (
    _table.update()
    .where(_table.c.id == bindparam("row_id"), _is_claimed_by(bindparam("claim")))
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("now"),
        updated_at=bindparam("now"),
        attempts=_table.c.attempts + 1,
        last_error="",
        lease_until=None,
    )
)


def renew_claim(message: OutboxMessage) -> bool:
    """Extend the lease on a claimed row and commit; False if the row is no longer ours.

    Called just before each message is sent: a row another process took after our lease ran
    out is skipped, and ours cannot be taken while it is in flight.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    result = connection.execute(RENEW_CLAIM, {
        "row_id": message.id, "claim": message.claimed_by, "until": utcnow() + lease(),
    })
    db.session.commit()
    return result.rowcount == 1


def record_sent(
    message: OutboxMessage, following: OutboxMessage | None = None
) -> tuple[bool, bool]:
    """Mark a message sent, now, and commit at once (a cheap commit: see the module docstring).

    Only while the row is still this claim's. The same commit renews the lease of `following`,
    the next message to send (as renew_claim would), so a campaign costs one commit a message.
    Returns (marked, following still ours); False means another process took that row.
    """
    now = utcnow()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    result = connection.execute(MARK_SENT, {"row_id": message.id, "now": now,
                                            "claim": message.claimed_by})
    renewed = following is not None and connection.execute(RENEW_CLAIM, {
        "row_id": following.id, "claim": following.claimed_by, "until": now + lease(),
    }).rowcount == 1
    db.session.commit()
    if result.rowcount != 1:
        return False, renewed
    for name, value in (("status", OutboxStatus.SENT.value), ("sent_at", now),
                        ("updated_at", now), ("attempts", message.attempts + 1),
                        ("last_error", ""), ("lease_until", None)):
        set_committed_value(message, name, value)
    return True, renewed


def _record(message: OutboxMessage, **values) -> bool:
    """Write `values` to the message's row if it is still this claim's, and commit at once."""
    values["updated_at"] = utcnow()
    result = db.session.execute(
        _table.update()
        .where(_table.c.id == message.id, _is_claimed_by(message.claimed_by or ""))
        .values(**values)
    )
    db.session.commit()
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        set_committed_value(message, name, value)
    return True


def release(messages: list[OutboxMessage], delay: timedelta = timedelta(0)) -> None:
    """Give claimed rows back to the queue untried (attempts unchanged), due after `delay`."""
    due = utcnow() + delay
    for message in messages:
        _record(message, status=OutboxStatus.QUEUED.value, next_attempt_at=due,
                lease_until=None)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd, 4th ... failed attempt (max one hour)."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), MAX_CONNECTION_BACKOFF_MINUTES))


def record_failure(message: OutboxMessage, error: str, *, permanent: bool, connection: bool) -> str:
    """Record a failed attempt and commit; return the new status ('queued' or 'failed'), or
    'lost' if the row is no longer this claim's (another process took it; nothing written).

    A message the server refused fails for good after MAIL_MAX_ATTEMPTS (or at once for a
    permanent 5xx refusal). A server that cannot be reached loses nothing: the row stays queued
    and is retried with back-off for as long as it takes.
    """
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 6)
    attempts = message.attempts + 1
    values: dict = {"attempts": attempts, "last_error": error[:2000]}
    if not connection and (permanent or attempts >= max_attempts):
        values["status"] = OutboxStatus.FAILED.value
    else:
        values["status"] = OutboxStatus.QUEUED.value
        values["next_attempt_at"] = utcnow() + backoff(attempts)
    values["lease_until"] = None
    if not _record(message, **values):
        return "lost"
    return values["status"]


def record_deferral(message: OutboxMessage, error: str) -> bool:
    """The server asked to wait (421/451/452): back in the queue with back-off, its failure
    attempts untouched, and commit; False if the row is no longer this claim's."""
    deferrals = message.deferrals + 1
    return _record(message, status=OutboxStatus.QUEUED.value, deferrals=deferrals,
                   next_attempt_at=utcnow() + backoff(deferrals),
                   last_error=f"deferred by the server: {error}"[:2000], lease_until=None)


def record_undeliverable(message: OutboxMessage) -> bool:
    """Not attempted: the address is marked undeliverable for this sender (commits)."""
    return _record(message, status=OutboxStatus.UNDELIVERABLE.value, last_error=HELD_ERROR,
                   lease_until=None)


def defer_due(until: datetime) -> int:
    """Queued emails due now wait until `until` (the quota's next window) and commit; how many."""
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.QUEUED.value,
               OutboxMessage.next_attempt_at <= now)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def retry(message: OutboxMessage) -> None:
    """Put a failed message back in the queue, due now (no commit)."""
    message.status = OutboxStatus.QUEUED.value
    message.next_attempt_at = utcnow()
    message.last_error = ""
    message.attempts = 0
    message.deferrals = 0


def list_messages(status: str | None = None):
    """The outbox, newest first, optionally of one status (a select for pagination)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status:
        query = query.where(OutboxMessage.status == status)
    return query
