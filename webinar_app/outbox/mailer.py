"""Turning outbox rows into MIME messages and delivering them (SMTP or .eml files).

MIME shape of a calendar email (RFC 6047; Outlook looks only in the first child):

    multipart/mixed
      multipart/alternative
        text/plain; charset=utf-8                      (quoted-printable)
        text/html; charset=utf-8                       (quoted-printable)
        text/calendar; charset=utf-8; method=REQUEST   (quoted-printable, inline, last)
      application/ics; name=invite.ics                 (attachment, base64, the same bytes)

Without a calendar: multipart/alternative of text/plain and text/html.

DTSTAMP is "the time of sending": the calendar is rendered when the row is queued (its
SEQUENCE fixed by the change that caused it) and its DTSTAMP line is replaced with the time of
the delivery attempt, so the inline part and the attachment always carry the same bytes.

The MIME is built with the standard library (not Flask-Mail's Message): Flask-Mail cannot put
`method=` on the calendar part, sends UTF-8 bodies as raw 8bit and calls socket.getfqdn().
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from pathlib import Path

from flask import current_app

from webinar_app.models import OutboxMessage, utcnow
from webinar_app.outbox import services
from webinar_app.outbox.services import DeliveryCounts

DTSTAMP_LINE = re.compile(r"^DTSTAMP:\d{8}T\d{6}Z\r$", re.MULTILINE)
SMTP_TIMEOUT = 30


class ConnectionProblem(Exception):
    """The mail server could not be reached or dropped the connection."""


def stamp_calendar(ics: str, sent_at: datetime) -> bytes:
    """The stored calendar with DTSTAMP set to the time of sending, as CRLF bytes."""
    stamp = sent_at.strftime("DTSTAMP:%Y%m%dT%H%M%SZ\r")
    return DTSTAMP_LINE.sub(stamp, ics).encode("utf-8")


def _text_part(text: str, subtype: str, params: dict | None = None) -> MIMEPart:
    part = MIMEPart(policy=policy.SMTP)
    part.set_content(text, subtype=subtype, charset="utf-8", cte="quoted-printable", params=params)
    return part


def build_message(row: OutboxMessage, sent_at: datetime) -> EmailMessage:
    """The MIME message for an outbox row; only the recipient's name and address are user input."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=row.sender_name, addr_spec=row.sender_email)
    msg["To"] = Address(display_name=row.to_name, addr_spec=row.to_email)
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = row.message_id
    msg.set_content(row.body_text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if row.body_html:
        msg.add_alternative(row.body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    else:
        msg.make_alternative()
    if row.calendar_ics and row.calendar_method:
        ics = stamp_calendar(row.calendar_ics, sent_at)
        method = row.calendar_method.upper()
        msg.attach(_text_part(ics.decode("utf-8"), "calendar", {"method": method}))
        msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]  # only the top level carries it
    msg["Content-Language"] = row.language  # after the multipart moves, so it stays on top
    return msg


class _SmtpTransport:
    """One SMTP connection for the whole batch."""

    def __init__(self, config) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

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
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise ConnectionProblem(f"cannot reach {host}:{port}: {exc}") from exc

    def send(self, msg: EmailMessage, row: OutboxMessage) -> None:
        assert self.smtp is not None
        try:
            refused = self.smtp.send_message(
                msg, from_addr=row.sender_email, to_addrs=[row.to_email]
            )
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            raise  # the server answered about this message
        except OSError as exc:  # disconnected, timed out, reset (SMTPException is an OSError)
            raise ConnectionProblem(str(exc) or exc.__class__.__name__) from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise smtplib.SMTPRecipientsRefused({row.to_email: (code, text)})

    def close(self) -> None:
        if self.smtp is not None:
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

    def send(self, msg: EmailMessage, row: OutboxMessage) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{row.id:06d}-{row.kind}.eml"
        path.write_bytes(msg.as_bytes(policy=policy.SMTP))

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


def deliver_batch(
    rows: list[OutboxMessage],
    counts: DeliveryCounts,
    on_result: Callable[[OutboxMessage], None] | None = None,
) -> None:
    """Send claimed rows over one connection, recording each result at once."""
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
    try:
        for index, row in enumerate(rows):
            sent_at = utcnow().replace(microsecond=0)
            try:
                transport.send(build_message(row, sent_at), row)
            except ConnectionProblem as exc:
                for rest in rows[index:]:
                    services.record_failure(rest, str(exc), permanent=False, connection=True)
                    counts.retrying += 1
                    if on_result:
                        on_result(rest)
                return
            except (smtplib.SMTPException, ValueError) as exc:
                status = services.record_failure(
                    row, _error_text(exc), permanent=_is_permanent(exc), connection=False
                )
                if status == "failed":
                    counts.failed += 1
                else:
                    counts.retrying += 1
            else:
                services.record_sent(row)
                counts.sent += 1
            if on_result:
                on_result(row)
    finally:
        transport.close()


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
