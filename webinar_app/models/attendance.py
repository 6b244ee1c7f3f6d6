"""An attendance report uploaded over existing attendance, kept until the organiser confirms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, UTCDateTime, utcnow
from webinar_app.models.schedule import Module


class AttendanceUpload(Base):
    """The file of a re-import waiting for confirmation; deleted once applied or stale."""

    __tablename__ = "attendance_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    min_minutes: Mapped[int] = mapped_column(default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    module: Mapped[Module] = relationship()
