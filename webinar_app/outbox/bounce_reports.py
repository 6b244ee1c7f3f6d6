"""Reading delivery status notifications (RFC 3464) from an mbox file or a Maildir directory.

A bounce report is a `multipart/report; report-type=delivery-status` message whose
`message/delivery-status` part holds one block of fields per recipient (Final-Recipient,
Action, Status). A recipient with `Action: failed` and a 5.x.x status refused for good; its
address is marked undeliverable for the sender of the original email: the outbox row named by
the returned headers' Message-ID (its sender and series), else the returned headers' From, else
the report's own To (reports go to the envelope sender). Everything else is skipped, with why.
Parsing is the email package's (the mailbox package reads the files).
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import parseaddr
from pathlib import Path

from flask_babel import ngettext
from sqlalchemy import select

from webinar_app.core.audit import record_event
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, OutboxStatus, utcnow
from webinar_app.outbox.undeliverable import mark_undeliverable, normalised


@dataclass
class ImportResult:
    """What one import read, marked and skipped (each skip: what, and why)."""

    messages: int = 0
    marked: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"Read {self.messages} messages: {len(self.marked)} addresses marked "
                f"undeliverable, {len(self.skipped)} skipped.")


def open_mailbox(path: Path) -> mailbox.Mailbox:
    """A Maildir for a directory, an mbox for a file."""
    if path.is_dir():
        return mailbox.Maildir(str(path), factory=None, create=False)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file or directory")
    return mailbox.mbox(str(path), factory=None, create=False)


def read_messages(path: Path) -> Iterator[tuple[str, EmailMessage]]:
    """(key, message) for each message of the mailbox, parsed with the modern policy."""
    box = open_mailbox(path)
    try:
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            yield str(key), email.message_from_bytes(raw, policy=email.policy.default)
    finally:
        box.close()


def _label(key: str, message: EmailMessage) -> str:
    subject = str(message.get("Subject", "") or "").strip()
    return f"message {key}" + (f" ({subject[:80]})" if subject else "")


def _report_part(message: EmailMessage) -> Message | None:
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != "delivery-status":
        return None
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            return part
    return None


def _field_value(block: Message, name: str) -> str:
    """A DSN field's value without its type ("rfc822; a@b" -> "a@b"), unfolded."""
    value = " ".join(str(block.get(name, "") or "").split())
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else value


def _returned_headers(message: EmailMessage) -> Message | None:
    """The original message's headers, if the report carries them."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            return email.message_from_string(part.get_content(), policy=email.policy.default)
        if kind == "message/rfc822":
            payload = part.get_payload()
            return payload[0] if isinstance(payload, list) and payload else None
    return None


def _original(message: EmailMessage) -> tuple[OutboxMessage | None, str]:
    """The outbox row the report is about (if found) and the original sender's address."""
    headers = _returned_headers(message)
    if headers is not None:
        message_id = str(headers.get("Message-ID", "") or "").strip()
        if message_id:
            row = db.session.scalar(
                select(OutboxMessage).where(OutboxMessage.message_id == message_id))
            if row is not None:
                return row, row.sender_email
        sender = parseaddr(str(headers.get("From", "") or ""))[1]
        if sender:
            return None, sender
    return None, parseaddr(str(message.get("To", "") or ""))[1]


def _recipient_blocks(report: Message) -> list[Message]:
    blocks = report.get_payload()
    if not isinstance(blocks, list):
        return []
    return [block for block in blocks[1:] if isinstance(block, Message)]  # [0]: per message


def count_messages(path: Path) -> int:
    """How many messages the mailbox holds."""
    box = open_mailbox(path)
    try:
        return len(box)
    finally:
        box.close()


def import_reports(path: Path, on_message: Callable[[], None] | None = None) -> ImportResult:
    """Mark the addresses that the reports in the mailbox say failed for good (no commit)."""
    result = ImportResult()
    for key, message in read_messages(path):
        result.messages += 1
        if on_message:
            on_message()
        label = _label(key, message)
        report = _report_part(message)
        if report is None:
            result.skipped.append((label, "not a delivery status notification"))
            continue
        blocks = _recipient_blocks(report)
        if not blocks:
            result.skipped.append((label, "no recipient in the report"))
            continue
        row, sender = _original(message)
        for block in blocks:
            _read_recipient(block, row, sender, label, result)
    if result.marked:
        record_event("mail.bounces_imported", people=len(result.marked), summary=ngettext(
            "Imported bounce reports: %(num)d address marked undeliverable",
            "Imported bounce reports: %(num)d addresses marked undeliverable",
            len(result.marked)),
            details={"messages": result.messages, "marked": len(result.marked),
                     "skipped": len(result.skipped)})
    return result


def _read_recipient(block: Message, row: OutboxMessage | None, sender: str, label: str,
                    result: ImportResult) -> None:
    recipient = _field_value(block, "Final-Recipient") or _field_value(block, "Original-Recipient")
    address = parseaddr(recipient)[1] or recipient  # "<a@b>" or "a@b"
    action = _field_value(block, "Action").lower()
    status = _field_value(block, "Status")
    who = f"{label}: {address or 'no recipient'}"
    if not address or "@" not in address:
        result.skipped.append((who, "no Final-Recipient address"))
    elif action != "failed" or not status.startswith("5."):
        result.skipped.append((who, f"{action or 'no action'} ({status or 'no status'}), "
                                    "not a permanent failure"))
    elif not sender:
        result.skipped.append((who, "the original sender is unknown"))
    else:
        diagnostic = _field_value(block, "Diagnostic-Code")
        reason = f"bounce report: {status} {diagnostic}".strip()
        mark_undeliverable(address, sender, reason, source="report",
                           series_id=row.series_id if row else None)
        if row is not None and row.status == OutboxStatus.SENT and row.to_email == normalised(
                address):  # accepted by the relay, refused further on
            row.status = OutboxStatus.FAILED.value
            row.last_error = reason[:2000]
            row.updated_at = utcnow()
        result.marked.append(normalised(address))
