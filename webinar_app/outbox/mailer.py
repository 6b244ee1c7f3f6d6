"""Turning outbox rows into MIME messages and delivering them (SMTP or .eml files).

MIME shape of a calendar email (RFC 6047; Outlook looks only in the first child):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8                      (quoted-printable)
        text/html; charset=utf-8                       (quoted-printable)
        text/calendar; charset=utf-8; method=REQUEST   (quoted-printable, inline, last)
      application/ics; name=invite.ics                 (attachment, base64, the same bytes)

A programme to hold the dates (METHOD:PUBLISH, campaigns): multipart/mixed of the
multipart/alternative (text, html) and a text/calendar attachment programme.ics (base64).
Without a calendar: multipart/alternative of text/plain and text/html.

DTSTAMP is "the time of sending": the calendar is rendered when the row is queued (its
SEQUENCE fixed by the change that caused it) and its DTSTAMP line is replaced with the time of
the delivery attempt, so the inline part and the attachment always carry the same bytes.

The message is written directly as bytes (the same tree and headers the stdlib email classes
produce, at a fraction of the cost: a campaign sends thousands): bodies are quoted-printable
with binascii (C), the calendar's base64 is computed once per calendar and second, and headers
that are not short plain ASCII (names and subjects with accents, long lines) are folded and
encoded by the stdlib's SMTP policy. Each multipart gets a random boundary ("--====...");
it cannot occur in quoted-printable text (which writes "=" as =3D) nor in base64 lines.
Flask-Mail is not used: it cannot put `method=` on the calendar part, sends UTF-8 bodies as raw
8bit and calls socket.getfqdn().
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import queue
import re
import secrets
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.utils import format_datetime
from pathlib import Path

from flask import Flask, current_app

from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, utcnow
from webinar_app.outbox import services
from webinar_app.outbox.services import DeliveryCounts

DTSTAMP_LINE = re.compile(r"^DTSTAMP:\d{8}T\d{6}Z\r$", re.MULTILINE)
SMTP_TIMEOUT = 30
MAX_HEADER_LINE = 78
MAX_PLAIN_HEADER_LINE = 998  # our own ASCII headers (List-Unsubscribe URLs) are never folded
CRLF = b"\r\n"
DOT_LINE = re.compile(rb"(?m)^\.")  # dot-stuffing, as smtplib.SMTP.data does it
PLAIN_HEADER = re.compile(r"[\x20-\x7e]*")
ATOM_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
TEXT_PLAIN = b'Content-Type: text/plain; charset="utf-8"\r\n'
TEXT_HTML = b'Content-Type: text/html; charset="utf-8"\r\n'
QP = b"Content-Transfer-Encoding: quoted-printable\r\n"
BASE64 = b"Content-Transfer-Encoding: base64\r\n"


class ConnectionProblem(Exception):
    """The mail server could not be reached or dropped the connection."""


def stamp_calendar(ics: str, sent_at: datetime) -> bytes:
    """The stored calendar with DTSTAMP set to the time of sending, as CRLF bytes."""
    stamp = sent_at.strftime("DTSTAMP:%Y%m%dT%H%M%SZ\r")
    return DTSTAMP_LINE.sub(stamp, ics).encode("utf-8")


@functools.lru_cache(maxsize=64)
def _stamped(ics_hash: bytes, ics: str, sent_at: datetime) -> tuple[bytes, bytes]:
    """(calendar bytes, their base64 lines) for a calendar at a time; a campaign shares them."""
    data = stamp_calendar(ics, sent_at)
    return data, base64.encodebytes(data).replace(b"\n", CRLF)


def _quoted_printable(text: str) -> bytes:
    """Text as quoted-printable lines ending in CRLF (a final line break added if missing)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", CRLF)


SMTP_UTF8 = policy.SMTP.clone(utf8=True)


@functools.lru_cache(maxsize=256)
def _folded(name: str, value: str) -> bytes:
    """A header as the stdlib SMTP policy folds and encodes it (names, subjects, long lines).

    An internationalised address (sent with SMTPUTF8) keeps its UTF-8, as send_message does.
    """
    address = value.rpartition("<")[2] if name in ("From", "To") else ""
    chosen = policy.SMTP if address.isascii() else SMTP_UTF8
    return chosen.fold_binary(*chosen.header_store_parse(name, value))


def _header(name: str, value: str, fold: bool = True) -> bytes:
    """One header line; short plain ASCII as is, anything else through the stdlib policy.

    fold=False: our own ASCII headers (List-Unsubscribe) stay on one line however long; the
    policy would turn a long URL into encoded words that mail clients do not read.
    """
    limit = MAX_HEADER_LINE if fold else MAX_PLAIN_HEADER_LINE
    if len(name) + 2 + len(value) <= limit and PLAIN_HEADER.fullmatch(value):
        return f"{name}: {value}\r\n".encode("ascii")
    return _folded(name, value)


def _address_header(name: str, display_name: str, address: str) -> bytes:
    """From or To: a plain name as is, a name with dots, quotes or accents via the policy."""
    local, _at, domain = address.rpartition("@")
    if not display_name:
        value = address
    elif ATOM_NAME.fullmatch(display_name) and "=?" not in display_name:
        value = f"{display_name} <{address}>"
    else:
        value = str(Address(display_name=display_name, username=local, domain=domain))
    return _header(name, value)


def _boundary() -> str:
    return f"==============={secrets.randbelow(10**19):019d}=="


def _multipart(subtype: str, boundary: str) -> bytes:
    line = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'
    if len(line) > MAX_HEADER_LINE:
        line = f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"'
    return line.encode("ascii") + CRLF


def _join_parts(boundary: str, parts: list[bytes]) -> bytes:
    """The body of a multipart: each part (headers, blank line, body) between boundaries."""
    mark = boundary.encode("ascii")
    return b"--" + mark + CRLF + (CRLF + b"--" + mark + CRLF).join(parts) + (
        CRLF + b"--" + mark + b"--" + CRLF
    )


def _alternative(row: OutboxMessage, sent_at: datetime, calendar: bytes | None) -> list[bytes]:
    """The parts of the multipart/alternative: text, html, and an inline calendar if any."""
    parts = [TEXT_PLAIN + QP + CRLF + _quoted_printable(row.body_text)]
    if row.body_html:
        parts.append(TEXT_HTML + QP + CRLF + _quoted_printable(row.body_html))
    if calendar is not None:
        method = (row.calendar_method or "").upper()
        parts.append(
            QP
            + f'Content-Type: text/calendar; charset="utf-8"; method="{method}"\r\n'.encode()
            + CRLF
            + _quoted_printable(calendar.decode("utf-8"))
        )
    return parts


def build_message_bytes(row: OutboxMessage, sent_at: datetime) -> bytes:
    """The MIME message for an outbox row, as CRLF bytes ready for SMTP.

    Only the recipient's name and address are user input; they were checked when queued.
    """
    headers = [
        _address_header("From", row.sender_name, row.sender_email),
        _address_header("To", row.to_name, row.to_email),
        _header("Subject", row.subject),
        _header("Date", format_datetime(sent_at)),
        _header("Message-ID", row.message_id or "", fold=False),
        b"MIME-Version: 1.0\r\n",
    ]
    inline_calendar = attachment = None
    if row.calendar_ics and row.calendar_method:
        ics = row.calendar_ics
        data, encoded = _stamped(hashlib.sha256(ics.encode("utf-8")).digest(), ics, sent_at)
        if row.calendar_method == "PUBLISH":  # a programme to hold the dates
            attachment = (
                BASE64
                + b'Content-Disposition: attachment; filename="programme.ics"\r\n'
                + b'Content-Type: text/calendar; method="PUBLISH"\r\n'
                + CRLF + encoded
            )
        else:
            inline_calendar = data
            attachment = (
                b"Content-Type: application/ics\r\n" + BASE64
                + b'Content-Disposition: attachment; filename="invite.ics"\r\n'
                + CRLF + encoded
            )
    alternative = _boundary()
    body = _join_parts(alternative, _alternative(row, sent_at, inline_calendar))
    if attachment is None:
        headers.append(_multipart("alternative", alternative))
    else:
        mixed = _boundary()
        headers.append(_multipart("mixed", mixed))
        first = _multipart("alternative", alternative) + CRLF + body
        body = _join_parts(mixed, [first, attachment])
    for line in (row.extra_headers or "").splitlines():  # generated by us (List-Unsubscribe)
        name, _sep, value = line.partition(": ")
        headers.append(_header(name, value, fold=False))
    headers.append(_header("Content-Language", row.language))
    return b"".join(headers) + CRLF + body


class _SmtpTransport:
    """One SMTP connection for the whole batch.

    send() gets two callbacks: `before_dot` runs just before the final dot of a message (the
    caller waits there until the previous message's "sent" mark is committed, so that at most
    one accepted message is ever unmarked), `meanwhile` while the server reads the message (the
    next one is built then). Commands are not pipelined: each reply is read before the next
    command, as smtplib.sendmail does.
    """

    def __init__(self, config) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.in_data = False  # between DATA and the final dot: QUIT would be message text

    def open(self) -> None:
        host, port = self.config["MAIL_SERVER"], self.config.get("MAIL_PORT") or 25
        try:
            if self.config.get("MAIL_USE_SSL"):
                self.smtp = smtplib.SMTP_SSL(
                    host, port, timeout=SMTP_TIMEOUT, local_hostname=services.message_domain(),
                    context=ssl.create_default_context(),
                )
            else:
                self.smtp = smtplib.SMTP(
                    host, port, timeout=SMTP_TIMEOUT, local_hostname=services.message_domain()
                )
                if self.config.get("MAIL_USE_TLS"):
                    self.smtp.starttls(context=ssl.create_default_context())
            if self.config.get("MAIL_USERNAME"):
                password = self.config.get("MAIL_PASSWORD") or ""
                self.smtp.login(self.config["MAIL_USERNAME"], password)
            self.smtp.ehlo_or_helo_if_needed()
            # the final dot goes in its own small write: without this, Nagle's algorithm holds
            # it until the server's delayed ACK (40 ms a message)
            self.smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise ConnectionProblem(f"cannot reach {host}:{port}: {exc}") from exc

    def send(
        self,
        data: bytes,
        row: OutboxMessage,
        before_dot: Callable[[], None],
        meanwhile: Callable[[], None],
    ) -> None:
        """Send one message; return once the server accepted it, or raise."""
        assert self.smtp is not None
        try:
            if not (row.sender_email + row.to_email).isascii():
                before_dot()
                refused = self.smtp.sendmail(row.sender_email, [row.to_email], data,
                                             ("SMTPUTF8", "BODY=8BITMIME"))
                if refused:
                    code, text = next(iter(refused.values()))
                    raise smtplib.SMTPRecipientsRefused({row.to_email: (code, text)})
                meanwhile()
                return
            self._transaction(data, row, before_dot, meanwhile)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            raise  # the server answered about this message
        except OSError as exc:  # disconnected, timed out, reset (SMTPException is an OSError)
            raise ConnectionProblem(str(exc) or exc.__class__.__name__) from exc

    def _transaction(
        self,
        data: bytes,
        row: OutboxMessage,
        before_dot: Callable[[], None],
        meanwhile: Callable[[], None],
    ) -> None:
        """MAIL, RCPT, DATA as smtplib.sendmail does them, replies checked the same way."""
        smtp = self.smtp
        assert smtp is not None
        # the addresses were validated (plain addr-specs) when queued: quoteaddr's parsing
        # would only turn them into <address> again
        code, text = smtp.docmd("mail", f"FROM:<{row.sender_email}>")
        if code != 250:
            self._reset()
            raise smtplib.SMTPSenderRefused(code, text, row.sender_email)
        code, text = smtp.docmd("rcpt", f"TO:<{row.to_email}>")
        if code not in (250, 251):
            self._reset()
            raise smtplib.SMTPRecipientsRefused({row.to_email: (code, text)})
        code, text = smtp.docmd("data")
        if code != 354:
            self._reset()
            raise smtplib.SMTPDataError(code, text)
        self.in_data = True
        payload = data
        if payload.startswith(b".") or b"\n." in payload:
            payload = DOT_LINE.sub(b"..", payload)
        if not payload.endswith(CRLF):
            payload += CRLF
        smtp.send(payload)
        before_dot()
        smtp.send(b"." + CRLF)
        self.in_data = False
        meanwhile()
        code, text = smtp.getreply()
        if code != 250:
            self._reset()
            raise smtplib.SMTPDataError(code, text)

    def _reset(self) -> None:
        assert self.smtp is not None
        with contextlib.suppress(OSError):
            self.smtp.rset()

    def close(self) -> None:
        if self.smtp is not None:
            if self.in_data:  # never let QUIT end an unfinished message: drop the connection
                self.smtp.close()
            else:
                try:
                    self.smtp.quit()
                except (OSError, smtplib.SMTPException):
                    self.smtp.close()
            self.smtp = None


class _FileTransport:
    """Writes each message as an .eml file (when no MAIL_SERVER is set)."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(
        self,
        data: bytes,
        row: OutboxMessage,
        before_dot: Callable[[], None],
        meanwhile: Callable[[], None],
    ) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{row.id:06d}-{row.kind}.eml"
        before_dot()
        path.write_bytes(data)
        meanwhile()

    def close(self) -> None:
        pass


def _transport():
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return _SmtpTransport(config)
    return _FileTransport(config["MAIL_OUTBOX_DIR"])


def _error_text(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{addr}: {code} {_decode(text)}" for addr, (code, text) in exc.recipients.items()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    return f"{exc.__class__.__name__}: {exc}"


def _decode(text) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _is_permanent(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


class _SentMarks:
    """Commits "sent" marks one at a time, in a thread with its own session and connection.

    submit() hands over a message the server has just accepted; its commit starts at once and
    runs while the next message goes out; wait() blocks until it is committed (the caller
    waits before the next message's final dot, so no second message can be accepted while one
    is unmarked: a crash repeats at most the message in flight).
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.results: queue.SimpleQueue = queue.SimpleQueue()
        self.pending: OutboxMessage | None = None
        self.thread = threading.Thread(target=self._run, name="outbox-sent-marks", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.app.app_context():
            try:
                while (row := self.jobs.get()) is not None:
                    try:
                        services.record_sent(row)
                    except Exception as exc:  # handed to the delivering thread by wait()
                        db.session.rollback()
                        self.results.put(exc)
                    else:
                        self.results.put(None)
            finally:
                db.session.remove()

    def submit(self, row: OutboxMessage) -> None:
        assert self.pending is None
        self.pending = row
        self.jobs.put(row)

    def wait(self) -> OutboxMessage | None:
        """The message whose mark was pending, once committed (None if none was pending)."""
        row, self.pending = self.pending, None
        if row is None:
            return None
        error = self.results.get()
        if error is not None:
            raise error
        return row

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()


class _InlineMarks:
    """Commits each "sent" mark in the delivering thread (an in-memory SQLite database)."""

    def submit(self, row: OutboxMessage) -> None:
        self.pending = row
        services.record_sent(row)

    def wait(self) -> OutboxMessage | None:
        row, self.pending = getattr(self, "pending", None), None
        return row

    def close(self) -> None:
        pass


def _sent_marks() -> _SentMarks | _InlineMarks:
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return _InlineMarks()  # a second connection would see another database
    return _SentMarks(current_app._get_current_object())  # type: ignore[attr-defined]


def deliver_batch(
    rows: list[OutboxMessage],
    counts: DeliveryCounts,
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> None:
    """Send claimed rows over one connection, recording each result as soon as it is known."""
    transport = _transport()
    try:
        transport.open()
    except ConnectionProblem as exc:
        for row in rows:
            services.record_failure(row, str(exc), permanent=False, connection=True)
            counts.retrying += 1
            if on_result:
                on_result(row)
        return
    marks = _sent_marks()

    def confirm() -> None:
        """Wait for the pending "sent" mark and count it."""
        done = marks.wait()
        if done is not None:
            counts.sent += 1
            if on_result:
                on_result(done)

    built: dict[int, bytes] = {}  # the next message, built while the server reads this one
    try:
        for index, row in enumerate(rows):
            sent_at = utcnow().replace(microsecond=0)
            following = rows[index + 1] if index + 1 < len(rows) else None

            def build_following(following=following, sent_at=sent_at) -> None:
                # Never fails this message: a row that cannot be built is built again, and
                # reported, in its own turn.
                if following is not None:
                    with contextlib.suppress(Exception):
                        built[following.id] = build_message_bytes(following, sent_at)

            try:
                data = built.pop(row.id, None) or build_message_bytes(row, sent_at)
                transport.send(data, row, confirm, build_following)
            except ConnectionProblem as exc:
                confirm()
                for rest in rows[index:]:
                    services.record_failure(rest, str(exc), permanent=False, connection=True)
                    counts.retrying += 1
                    if on_result:
                        on_result(rest)
                return
            except (smtplib.SMTPException, ValueError) as exc:
                confirm()
                status = services.record_failure(
                    row, _error_text(exc), permanent=_is_permanent(exc), connection=False
                )
                if status == "failed":
                    counts.failed += 1
                else:
                    counts.retrying += 1
                if on_result:
                    on_result(row)
            else:
                marks.submit(row)
        confirm()
    finally:
        try:
            transport.close()
        finally:
            marks.close()


def deliver_due(
    limit: int | None = None,
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> DeliveryCounts:
    """Deliver every email that is due, in batches of MAIL_BATCH_SIZE; return the counts."""
    batch_size = current_app.config.get("MAIL_BATCH_SIZE", 100)
    counts = DeliveryCounts()
    while limit is None or counts.total < limit:
        size = batch_size if limit is None else min(batch_size, limit - counts.total)
        rows = services.claim_due(size)
        if not rows:
            break
        deliver_batch(rows, counts, on_result)
    return counts
