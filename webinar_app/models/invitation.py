"""Invitee lists, invitation campaigns, what each invitee was sent, and opt-outs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from webinar_app.models.outbox import OutboxMessage
from webinar_app.models.schedule import Series
from webinar_app.models.user import User


class Invitee(TimestampMixin, Base):
    """A person the secretariat invites to one series (one row per address and series)."""

    __tablename__ = "invitee"
    __table_args__ = (UniqueConstraint("series_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    token_salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    series: Mapped[Series] = relationship()

    @property
    def is_opted_out(self) -> bool:
        return self.opted_out_at is not None


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"  # editable; nothing sent
    SCHEDULED = "scheduled"  # leaves at scheduled_at unless cancelled (back to draft)
    SENDING = "sending"  # being queued: no more editing
    SENT = "sent"  # queued to its audience; later invitees can still be sent it


class Campaign(TimestampMixin, Base):
    """One invitation email for a series (all its modules or some of them), one text per
    language of the series."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))  # the first language's subject, for lists
    module_numbers: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT.value)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the segment chosen at confirmation: {"country": ..., "organisation": ..., "language": ...}
    segment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # a reminder campaign goes to those invited by this one who have not registered
    reminder_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaign.id", ondelete="SET NULL"))

    series: Mapped[Series] = relationship()
    texts: Mapped[list[CampaignText]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignText.id")
    reminder_of: Mapped[Campaign | None] = relationship(remote_side="Campaign.id")

    @property
    def numbers(self) -> list[int]:
        """The chosen module numbers; empty means every module of the series."""
        return [int(n) for n in self.module_numbers.split(",") if n.strip().isdigit()]

    @property
    def is_editable(self) -> bool:
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)

    def text_in(self, language: str) -> CampaignText | None:
        """The subject and body in this language, or None."""
        return next((t for t in self.texts if t.language == language), None)


class CampaignText(Base):
    """A campaign's subject and Markdown body in one language."""

    __tablename__ = "campaign_text"
    __table_args__ = (UniqueConstraint("campaign_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="texts")


class CampaignSend(Base):
    """One email of a campaign to one invitee (its invitation, or a resend)."""

    __tablename__ = "campaign_send"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    invitee_id: Mapped[int] = mapped_column(
        ForeignKey("invitee.id", ondelete="CASCADE"), index=True
    )
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20), default="invitation")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    invitee: Mapped[Invitee] = relationship()
    outbox_message: Mapped[OutboxMessage | None] = relationship()


class InvitationOptOut(Base):
    """An address that asked for no more invitations (from any series)."""

    __tablename__ = "invitation_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportStatus(enum.StrEnum):
    CHECKED = "checked"  # uploaded and checked, waiting for the organiser's confirmation
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class InviteeImport(TimestampMixin, Base):
    """An uploaded invitee list, kept in the database (every web and worker machine reads it)
    from its check to the end of the background job that imports it."""

    __tablename__ = "invitee_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(200), default="")
    file_size: Mapped[int] = mapped_column(default=0)
    # The uploaded bytes; dropped once the import is done.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.CHECKED.value, index=True)
    # What the check found (the preview).
    total_rows: Mapped[int] = mapped_column(default=0)
    bad_rows: Mapped[int] = mapped_column(default=0)
    duplicate_rows: Mapped[int] = mapped_column(default=0)
    new_rows: Mapped[int] = mapped_column(default=0)
    existing_rows: Mapped[int] = mapped_column(default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # What the job did.
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    series: Mapped[Series] = relationship()
    created_by: Mapped[User | None] = relationship()
