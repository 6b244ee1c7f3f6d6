"""Turning outbox rows into MIME messages and delivering them (Flask-Mail or .eml files).

Messages are built with the standard library's `email.message.EmailMessage` (SMTP policy,
CRLF) and `email.headerregistry.Address`; the email package writes the headers, the
boundaries and the encodings. MIME shape of a calendar email (RFC 6047; Outlook looks only in
the first child):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8                      (quoted-printable)
        text/html; charset=utf-8                       (quoted-printable)
        text/calendar; charset=utf-8; method=REQUEST   (quoted-printable, inline, last)
      application/ics; charset=utf-8; invite.ics       (attachment, base64, the same bytes)

A programme to hold the dates (METHOD:PUBLISH, campaigns): multipart/mixed of the
multipart/alternative (text, html) and a `text/calendar; charset=utf-8; method=PUBLISH`
attachment programme.ics (base64). Without a calendar: multipart/alternative of text/plain
and text/html. Every email carries `Auto-Submitted: auto-generated` (RFC 3834): all of them
are sent by the system, none by a person. Bodies are always quoted-printable or base64, never
raw 8bit (Flask-Mail registers 8bit as the utf-8 body encoding process-wide, and a line over
998 octets would be refused).

DTSTAMP is "the time of sending": the calendar is rendered when the row is queued (its
SEQUENCE fixed by the change that caused it) and its DTSTAMP line is replaced with the time of
the delivery attempt, so the inline part and the attachment always carry the same bytes.

Delivery goes over Flask-Mail's connection (`flask_mail.Connection`, configured by MAIL_SERVER,
MAIL_PORT, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD and MAIL_MAX_EMAILS), one
connection per batch. `OutboxMail` is a thin `flask_mail.Message` that hands Flask-Mail the
bytes of our EmailMessage (Flask-Mail cannot put `method=` on the calendar part). Each row is
claimed with a lease, which is renewed just before the row is sent (a row another process has
taken meanwhile is skipped); "sent" is committed as soon as the server accepts the message, in
this thread, so a crash repeats at most the message in flight. Without MAIL_SERVER each message
is written as an .eml file under MAIL_OUTBOX_DIR.

Each batch is reserved against the relay's quotas before it is claimed (`quota`). A 421, 451 or
452 answer is throttling: the message waits with back-off and its attempts are untouched (after
a 421 smtplib has closed the connection, so the untried rest goes back too). A 5xx at RCPT or
DATA marks the address undeliverable for the sender (`undeliverable`); rows to marked addresses
are recorded "undeliverable" without being attempted.
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy
from pathlib import Path

import flask_mail
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from webinar_app.core.dberrors import DATABASE_UNAVAILABLE, one_line_error
from webinar_app.extensions import db, mail
from webinar_app.models import OutboxMessage, utcnow
from webinar_app.outbox import quota, services, undeliverable
from webinar_app.outbox.services import DeliveryCounts

DTSTAMP_LINE = re.compile(r"^DTSTAMP:\d{8}T\d{6}Z\r$", re.MULTILINE)
SMTP_TIMEOUT = 30.0
RECONNECT_DELAY = timedelta(seconds=5)  # untried rows of a batch whose connection dropped
THROTTLE_CODES = frozenset({421, 451, 452})  # "try again later": wait, never fail for it
CLOSING_CODE = 421  # ... and the server closes the connection
BUSY_DELAY = timedelta(minutes=1)  # untried rows of a batch the server closed with 421
UNFOLDED_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
ADDRESS_HEADERS = frozenset({"from", "to"})
MAX_LINE = 998


class _OutboxPolicy(EmailPolicy):
    """The SMTP policy, except for two kinds of header that it would damage by folding.

    - Our own List-Unsubscribe headers: the policy writes a long URL as encoded words, which
      mail clients do not read (plain ASCII that we generate, never user input).
    - An address whose display name needs quotes (commas, <, >, quotes): Python before
      3.11.12/3.12.9 drops the quotes when it folds a long quoted-string (CPython gh-80222), so
      `"Long name <evil@attacker.example>, Bob" <bob@example.org>` became two mailboxes. Such a
      header is written on one line, as the email package quoted it (at most 998 octets, which
      RFC 5322 allows; names are at most 200 characters). Non-ASCII names are encoded words,
      which fold safely.
    """

    def header_store_parse(self, name, value):
        """As EmailPolicy's, remembered: most headers of a campaign's emails are identical, and
        header objects are immutable (parsing them is most of the cost of building a message)."""
        if isinstance(value, str) and not hasattr(value, "name"):
            return name, _parsed_header(self, name, value)
        return super().header_store_parse(name, value)

    def header_max_count(self, name):
        """As EmailPolicy's, remembered (it builds a header class on every call)."""
        return _max_count(self, name.lower())

    def fold(self, name: str, value: str) -> str:
        if _keeps_one_line(name, value, self.utf8):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if _keeps_one_line(name, value, self.utf8):
            return f"{name}: {value}{self.linesep}".encode()
        if hasattr(value, "name"):  # a header object: immutable, so its folding can be kept
            return _folded(self, name, type(value), value)
        return super().fold_binary(name, value)


@functools.lru_cache(maxsize=4096)
def _parsed_header(policy: EmailPolicy, name: str, value: str):
    """The header object for name and value (policies are immutable and hashable)."""
    return EmailPolicy.header_store_parse(policy, name, value)[1]


@functools.lru_cache(maxsize=4096)
def _folded(policy: EmailPolicy, name: str, kind: type, value) -> bytes:
    """EmailPolicy.fold_binary, once per distinct header (header objects compare as text)."""
    return EmailPolicy.fold_binary(policy, name, value)


@functools.lru_cache(maxsize=256)
def _max_count(policy: EmailPolicy, name: str) -> int | None:
    return EmailPolicy.header_max_count(policy, name)


def _keeps_one_line(name: str, value: str, utf8: bool) -> bool:
    """True for the headers written unfolded (see _OutboxPolicy): printable, fits a line."""
    lowered = name.lower()
    if lowered not in UNFOLDED_HEADERS and not (lowered in ADDRESS_HEADERS and '"' in value):
        return False
    text = str(value)
    return (
        (text.isascii() or utf8)
        and text.isprintable()
        and len(name) + 2 + len(text.encode("utf-8")) <= MAX_LINE
    )


POLICY = _OutboxPolicy(linesep="\r\n")  # as email.policy.SMTP: CRLF, headers folded at 78
POLICY_UTF8 = POLICY.clone(utf8=True)  # an internationalised address, sent with SMTPUTF8


class ConnectionProblem(Exception):
    """The mail server could not be reached or dropped the connection."""


class ServerBusy(ConnectionProblem):
    """The server answered 421/451/452 before any message (at connect, EHLO or login)."""


def stamp_calendar(ics: str, sent_at: datetime) -> bytes:
    """The stored calendar with DTSTAMP set to the time of sending, as CRLF bytes."""
    stamp = sent_at.strftime("DTSTAMP:%Y%m%dT%H%M%SZ\r")
    return DTSTAMP_LINE.sub(stamp, ics).encode("utf-8")


def _address(display_name: str, address: str) -> Address:
    """One mailbox; the email package quotes and folds the name (commas, <, > stay in it).

    The address was validated when queued; given as its parts, a non-ASCII local part (sent
    with SMTPUTF8) is accepted, as addr_spec= would refuse it.
    """
    username, _at, domain = address.rpartition("@")
    return Address(display_name=display_name or "", username=username, domain=domain)


def _text_part(content: str, subtype: str, params: dict[str, str] | None = None) -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part.set_content(content, subtype=subtype, charset="utf-8", cte="quoted-printable",
                     params=params)
    return part


def _fill_alternative(alternative: MIMEPart, row: OutboxMessage, calendar: bytes | None) -> None:
    """multipart/alternative: text, html if any, the inline calendar (iMIP) last if any."""
    alternative.make_alternative()
    alternative.attach(_text_part(row.body_text, "plain"))
    if row.body_html:
        alternative.attach(_text_part(row.body_html, "html"))
    if calendar is not None:
        method = (row.calendar_method or "").upper()
        alternative.attach(_text_part(calendar.decode("utf-8"), "calendar", {"method": method}))


def _attachment(row: OutboxMessage, calendar: bytes) -> MIMEPart:
    """The calendar as a file: programme.ics (PUBLISH) or invite.ics beside the iMIP part."""
    part = MIMEPart(policy=POLICY)
    if row.calendar_method == "PUBLISH":
        part.set_content(calendar.decode("utf-8"), subtype="calendar", charset="utf-8",
                         cte="base64", disposition="attachment", filename="programme.ics",
                         params={"method": "PUBLISH"})
    else:
        part.set_content(calendar, maintype="application", subtype="ics", cte="base64",
                         disposition="attachment", filename="invite.ics",
                         params={"charset": "utf-8"})
    return part


def build_message(row: OutboxMessage, sent_at: datetime) -> EmailMessage:
    """The MIME message for an outbox row (headers were checked for line breaks when queued)."""
    smtputf8 = not (row.sender_email + row.to_email).isascii()
    message = EmailMessage(policy=POLICY_UTF8 if smtputf8 else POLICY)
    message["From"] = _address(row.sender_name, row.sender_email)
    message["To"] = _address(row.to_name, row.to_email)
    message["Subject"] = row.subject
    message["Date"] = sent_at
    message["Message-ID"] = row.message_id or ""
    message["Auto-Submitted"] = "auto-generated"
    message["MIME-Version"] = "1.0"
    calendar = None
    if row.calendar_ics and row.calendar_method:
        calendar = stamp_calendar(row.calendar_ics, sent_at)
    inline = calendar if calendar is not None and row.calendar_method != "PUBLISH" else None
    if calendar is None:
        _fill_alternative(message, row, None)
    else:
        alternative = MIMEPart(policy=message.policy)
        _fill_alternative(alternative, row, inline)
        message.make_mixed()
        message.attach(alternative)
        message.attach(_attachment(row, calendar))
    for line in (row.extra_headers or "").splitlines():  # generated by us (List-Unsubscribe)
        name, _sep, value = line.partition(": ")
        message[name] = value
    message["Content-Language"] = row.language
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """The message as CRLF bytes, as it goes on the wire."""
    return message.as_bytes(policy=message.policy)


def build_message_bytes(row: OutboxMessage, sent_at: datetime) -> bytes:
    """build_message as bytes (the .eml files, the benchmark's prebuilt messages)."""
    return message_bytes(build_message(row, sent_at))


class OutboxMail(flask_mail.Message):
    """A flask_mail.Message whose bytes are an EmailMessage we built (see the module docstring).

    Flask-Mail's Connection.send reads sender, send_to, subject, reply_to (header checks),
    date, mail_options, rcpt_options and as_bytes(). Message.__init__ is not called: it would
    make a Message-ID with socket.getfqdn() that we do not use.
    """

    def __init__(self, row: OutboxMessage, message: EmailMessage) -> None:  # noqa: D107
        self.email = message
        self.sender = row.sender_email
        self.recipients = [row.to_email]
        self.cc: list = []
        self.bcc: list = []
        self.reply_to = None
        self.subject = row.subject
        self.body = None
        self.alts = {}
        self.attachments = []
        self.charset = None
        self.extra_headers = None
        self.msgId = row.message_id or ""
        self.date = time.time()
        international = not (row.sender_email + row.to_email).isascii()
        self.mail_options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        self.rcpt_options = []

    def as_bytes(self) -> bytes:
        return message_bytes(self.email)

    def as_string(self) -> str:
        return self.email.as_string(policy=self.email.policy)


class _Connection(flask_mail.Connection):
    """Flask-Mail's connection with a timeout and the site's name in EHLO.

    Flask-Mail 0.10 opens smtplib without a timeout (a silent server would hang delivery),
    lets smtplib call socket.getfqdn() for EHLO and starts TLS without checking the server's
    certificate; same settings, same order otherwise.
    """

    timeout: float = SMTP_TIMEOUT

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        settings = self.mail
        name = services.message_domain()
        host: smtplib.SMTP | smtplib.SMTP_SSL
        if settings.use_ssl:
            host = smtplib.SMTP_SSL(settings.server, settings.port, local_hostname=name,
                                    timeout=self.timeout, context=ssl.create_default_context())
        else:
            host = smtplib.SMTP(settings.server, settings.port, local_hostname=name,
                                timeout=self.timeout)
        host.set_debuglevel(int(settings.debug))
        if settings.use_tls:
            host.starttls(context=ssl.create_default_context())
        if settings.username and settings.password:
            host.login(settings.username, settings.password)
        return host


def _smtp_timeout() -> float:
    """Never longer than two thirds of the lease: a message is not in flight once it ends."""
    return min(SMTP_TIMEOUT, services.lease().total_seconds() * 2 / 3)


class _SmtpTransport:
    """One Flask-Mail connection for the whole batch."""

    def __init__(self) -> None:
        app = current_app
        # the app's MAIL_* settings as they are now (Flask-Mail reads them at init_app)
        self.connection = _Connection(mail.init_mail(app.config, app.debug, app.testing))
        self.connection.timeout = _smtp_timeout()
        self.opened = False

    def open(self) -> None:
        settings = self.connection.mail
        try:
            self.connection.__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            if throttle_code(exc):
                raise ServerBusy(_error_text(exc)) from exc
            raise ConnectionProblem(
                f"cannot reach {settings.server}:{settings.port}: {exc}"
            ) from exc
        self.opened = True

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        """Send one message; return once the server accepted it, or raise."""
        connection = self.connection
        before = connection.num_emails
        try:
            connection.send(OutboxMail(row, message), envelope_from=row.sender_email)
        except UnicodeEncodeError as exc:  # sanitize_address: formataddr refuses it
            raise UnsupportedAddress(
                "Flask-Mail cannot send to an address whose part before @ is not ASCII"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise UnsupportedAddress(
                "the mail server does not accept internationalised addresses (no SMTPUTF8)"
            ) from exc
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            raise  # the server answered about this message
        except OSError as exc:  # disconnected, timed out, reset (SMTPException is an OSError)
            if self._reconnect_failed_after_sending(before):
                raise AcceptedThenDisconnected(str(exc)) from exc
            raise ConnectionProblem(str(exc) or exc.__class__.__name__) from exc

    def _reconnect_failed_after_sending(self, before: int) -> bool:
        """True if the message went out and only MAIL_MAX_EMAILS' reconnection failed."""
        limit = self.connection.mail.max_emails
        return bool(limit) and before + 1 == limit and self.connection.num_emails == 0

    def close(self) -> None:
        if not self.opened:
            return
        self.opened = False
        try:
            self.connection.__exit__(None, None, None)  # QUIT
        except (OSError, smtplib.SMTPException):
            host = self.connection.host
            if host is not None:
                host.close()


class UnsupportedAddress(ValueError):
    """An address Flask-Mail 0.10 cannot put in the envelope (a non-ASCII local part)."""


class AcceptedThenDisconnected(ConnectionProblem):
    """The server accepted the message, then the connection could not go on."""


class _FileTransport:
    """Writes each message as an .eml file (when no MAIL_SERVER is set)."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, message: EmailMessage, row: OutboxMessage) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{row.id:06d}-{row.kind}.eml"
        path.write_bytes(message_bytes(message))

    def close(self) -> None:
        pass


def _transport() -> _SmtpTransport | _FileTransport:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return _SmtpTransport()
    return _FileTransport(config["MAIL_OUTBOX_DIR"])


def _error_text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_decode(text)}" for addr, (code, text) in exc.recipients.items()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, UnsupportedAddress):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}"


def _decode(text) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def throttle_code(exc: Exception) -> int | None:
    """The 421/451/452 code of an SMTP answer (at connect, MAIL, RCPT or DATA), else None."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
    else:
        codes = [getattr(exc, "smtp_code", None)]
    return next((code for code in codes if code in THROTTLE_CODES), None)


def _refuses_recipient(exc: Exception) -> bool:
    """A permanent refusal of the recipient: 5xx at RCPT or at DATA (a hard bounce)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, UnsupportedAddress):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def _count_failure(status: str, counts: DeliveryCounts) -> None:
    if status == "failed":
        counts.failed += 1
    elif status == "queued":
        counts.retrying += 1


def deliver_batch(
    rows: list[OutboxMessage],
    counts: DeliveryCounts,
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> None:
    """Send claimed rows over one connection, recording each result as soon as it is known.

    A server that cannot be reached gives every row an attempt (with back-off); a connection
    that drops mid-batch gives one to the message in flight and puts the untried rest back in
    the queue as they were.
    """
    transport = _transport()
    try:
        transport.open()
    except ServerBusy as exc:
        for row in rows:
            _count_deferral(row, str(exc), counts, on_result)
        return
    except ConnectionProblem as exc:
        for row in rows:
            _count_failure(
                services.record_failure(row, str(exc), permanent=False, connection=True), counts
            )
            if on_result:
                on_result(row)
        return
    renewed: bool | None = None  # the lease of this row, if the last commit renewed it
    bounced: set[tuple[str, str]] = set()  # (sender, address) refused for good in this batch
    try:
        for index, row in enumerate(rows):
            following = rows[index + 1] if index + 1 < len(rows) else None
            is_ours = services.renew_claim(row) if renewed is None else renewed
            renewed = None
            if not is_ours:
                continue  # our lease ran out and another process took it
            if (row.sender_email, row.to_email) in bounced:
                if services.record_undeliverable(row):
                    counts.held += 1
                continue
            try:
                transport.send(build_message(row, utcnow().replace(microsecond=0)), row)
            except AcceptedThenDisconnected:
                _record_sent(row, None, counts, on_result)
                services.release(rows[index + 1:], RECONNECT_DELAY)
                return
            except ConnectionProblem as exc:
                status = services.record_failure(row, str(exc), permanent=False, connection=True)
                _count_failure(status, counts)
                if on_result:
                    on_result(row)
                services.release(rows[index + 1:], RECONNECT_DELAY)
                return
            except (smtplib.SMTPException, ValueError) as exc:
                code = throttle_code(exc)
                if code:
                    _count_deferral(row, _error_text(exc), counts, on_result)
                    if code == CLOSING_CODE:  # smtplib closed the connection
                        services.release(rows[index + 1:], BUSY_DELAY)
                        return
                    continue
                if _refuses_recipient(exc):
                    _mark_bounced(row, _error_text(exc))
                    bounced.add((row.sender_email, row.to_email))
                status = services.record_failure(
                    row, _error_text(exc), permanent=_is_permanent(exc), connection=False
                )
                _count_failure(status, counts)
                if on_result:
                    on_result(row)
            else:
                renewed = _record_sent(row, following, counts, on_result)
    finally:
        transport.close()


def _count_deferral(
    row: OutboxMessage, error: str, counts: DeliveryCounts, on_result: Callable | None
) -> None:
    """The server asked to wait: the row waits with back-off, its attempts untouched."""
    if services.record_deferral(row, error):
        counts.deferred += 1
    if on_result:
        on_result(row)


def _mark_bounced(row: OutboxMessage, error: str) -> None:
    """A hard bounce: the address is undeliverable for the row's sender from now on."""
    undeliverable.mark_undeliverable(row.to_email, row.sender_email, error,
                                     series_id=row.series_id)
    db.session.commit()


def _record_sent(
    row: OutboxMessage,
    following: OutboxMessage | None,
    counts: DeliveryCounts,
    on_result: Callable | None,
) -> bool:
    """Commit the "sent" mark (and the next row's lease); True if the next row is still ours."""
    marked, renewed = services.record_sent(row, following)
    if not marked:  # cannot happen while a send is shorter than the lease; said if it does
        current_app.logger.warning("outbox: message %s was sent after its claim was lost", row.id)
    counts.sent += 1
    if on_result:
        on_result(row)
    return renewed


def _without_undeliverable(
    rows: list[OutboxMessage], counts: DeliveryCounts
) -> list[OutboxMessage]:
    """The rows to send; those to addresses marked undeliverable are recorded so, untried."""
    marked = undeliverable.marked_pairs(rows)
    db.session.rollback()  # end the read transaction
    if not marked:
        return rows
    for row in rows:
        if (row.sender_email, row.to_email) in marked and services.record_undeliverable(row):
            counts.held += 1
    return [row for row in rows if (row.sender_email, row.to_email) not in marked]


def deliver_due(
    limit: int | None = None,
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> DeliveryCounts:
    """Deliver every email that is due, in batches of MAIL_BATCH_SIZE; return the counts.

    Emails to addresses marked undeliverable are held untried; each batch is reserved against
    the relay's quotas before it is claimed, and once they are used up the rest waits for the
    next window (see `quota`).
    """
    batch_size = current_app.config.get("MAIL_BATCH_SIZE", 100)
    counts = DeliveryCounts()
    while limit is None or counts.total < limit:
        size = batch_size if limit is None else min(batch_size, limit - counts.total)
        grant = quota.reserve(size)
        if not grant.count:  # the quota is used up: the rest waits for the next window
            services.defer_due(grant.next_slot_at or utcnow() + quota.MINUTE)
            counts.quota_wait_until = grant.next_slot_at
            break
        claimed = services.claim_due(grant.count, services.new_claim_id())
        rows = _without_undeliverable(claimed, counts)
        quota.shrink(grant, len(rows))
        if not claimed:
            break
        if rows:
            deliver_batch(rows, counts, on_result)
    return counts


def deliver_round(
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> DeliveryCounts | None:
    """One delivery round that survives database errors; None if the database failed.

    Used by `flask mail deliver --loop`, the background thread and the Celery task. A lost
    database connection (restart, pg_terminate_backend) is logged in one line, rolled back and
    its pool emptied, and the next round starts afresh; no transaction stays open afterwards.
    """
    try:
        return deliver_due(on_result=on_result)
    except DATABASE_UNAVAILABLE as exc:
        current_app.logger.error("outbox delivery: database unavailable: %s", one_line_error(exc))
        _reset_session(dispose=True)
        return None
    except SQLAlchemyError:
        current_app.logger.exception("outbox delivery: database error")
        _reset_session(dispose=True)
        return None
    finally:
        _reset_session(dispose=False)


def _reset_session(dispose: bool) -> None:
    """End the session's transaction; with dispose, also drop the session and the pool's
    connections (one may be broken)."""
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    if dispose:
        db.session.remove()
        db.engine.dispose()


def due_count() -> int | None:
    """How many emails are due now; None if the database cannot be read (logged, reset)."""
    try:
        return services.count_due()
    except SQLAlchemyError as exc:
        current_app.logger.error("outbox: cannot count due emails: %s", one_line_error(exc))
        _reset_session(dispose=True)
        return None
    finally:
        _reset_session(dispose=False)
