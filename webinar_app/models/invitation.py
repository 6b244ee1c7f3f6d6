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


class Campaign(TimestampMixin, Base):
    """One invitation email for a series (all its modules or some of them)."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    module_numbers: Mapped[str] = mapped_column(String(200), default="")

    series: Mapped[Series] = relationship()

    @property
    def numbers(self) -> list[int]:
        """The chosen module numbers; empty means every module of the series."""
        return [int(n) for n in self.module_numbers.split(",") if n.strip().isdigit()]


class CampaignSend(Base):
    """One email of a campaign to one invitee (first invitation, resend or nudge)."""

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
