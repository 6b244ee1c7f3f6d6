"""The audit log: who emailed, rescheduled, published, exported or erased what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, UTCDateTime, utcnow
from webinar_app.models.schedule import Module, Series


class AuditEvent(Base):
    """One recorded action; rows are only ever added (no update or delete path in the app).

    `details` holds counts, module ids and old/new times only: never a participant's name or
    email, so the retention purge has nothing to blank in it. `actor_label` is the account's
    email at the time, or "command line" / "system" / "participant" when no account acted.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_series_created", "series_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id", ondelete="SET NULL"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text)
    people_affected: Mapped[int] = mapped_column(default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    series: Mapped[Series | None] = relationship()
    module: Mapped[Module | None] = relationship()
