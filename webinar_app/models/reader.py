"""Builds of a series' Reader: every build kept as a version, one of them published."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from webinar_app.models.schedule import Series
from webinar_app.models.user import User


class ReaderBuild(Base):
    """One PDF of the Reader as built at a moment; a draft lists the modules it lacks."""

    __tablename__ = "reader_build"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int] = mapped_column(default=0)
    page_count: Mapped[int] = mapped_column(default=0)
    generated_page_count: Mapped[int] = mapped_column(default=0)
    note_page_count: Mapped[int] = mapped_column(default=0)
    missing_modules: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    series: Mapped[Series] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_draft(self) -> bool:
        """A draft lacks a published summary for at least one module."""
        return bool(self.missing_modules)


class BuildStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReaderBuildJob(TimestampMixin, Base):
    """An organiser's request to build the Reader, run by a background job; done, it points at
    the build it made, failed, it says why."""

    __tablename__ = "reader_build_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(String(10), default="en")  # Reader + messages
    status: Mapped[str] = mapped_column(String(20), default=BuildStatus.QUEUED.value, index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    build_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader_build.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    series: Mapped[Series] = relationship()
    requested_by: Mapped[User | None] = relationship()
    build: Mapped[ReaderBuild | None] = relationship()

    @property
    def is_active(self) -> bool:
        """Queued or running: the page refreshes itself."""
        return self.status in (BuildStatus.QUEUED, BuildStatus.RUNNING)
