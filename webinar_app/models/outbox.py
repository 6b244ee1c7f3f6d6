"""The durable outbox: every email is a row before it is sent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from webinar_app.models.schedule import Series


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"  # not sent: the address bounced for this sender


class OutboxMessage(TimestampMixin, Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    purpose_key: Mapped[str] = mapped_column(String(200), unique=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="SET NULL"))
    sender_email: Mapped[str] = mapped_column(String(254), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    calendar_method: Mapped[str | None] = mapped_column(String(20))
    calendar_ics: Mapped[str | None] = mapped_column(Text)
    extra_headers: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    # times the server asked to wait (421/451/452): retried with back-off, never failed for it
    deferrals: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the delivery process holding a "sending" row ("host:pid:random"), until lease_until
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UndeliverableAddress(Base):
    """An address that refused for good (a 5xx answer or a bounce report) what a sender sent it.

    Emails from that sender to it are not attempted until an organiser clears the mark.
    """

    __tablename__ = "undeliverable_address"
    __table_args__ = (UniqueConstraint("sender_email", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    sender_email: Mapped[str] = mapped_column(String(254))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="smtp")  # smtp | report
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    series: Mapped[Series | None] = relationship()


class MailQuotaUse(Base):
    """Messages one delivery process reserved at a time (the relay's quotas are counted over
    the last minute and the last day of these rows)."""

    __tablename__ = "mail_quota_use"

    id: Mapped[int] = mapped_column(primary_key=True)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    count: Mapped[int] = mapped_column(default=0)
