"""A series, its modules, and each module's agenda with speakers."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime

if TYPE_CHECKING:
    from webinar_app.models.note import BackgroundNote


def end_of(starts_at: datetime | None, duration_minutes: int) -> datetime | None:
    """A module's end: its start plus its duration, in UTC so a DST change never shortens it."""
    if starts_at is None:
        return None
    return starts_at + timedelta(minutes=duration_minutes)


class ModuleStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"


class AgendaKind(enum.StrEnum):
    OPENING = "opening"
    KEYNOTE = "keynote"
    PANEL = "panel"
    DISCUSSION = "discussion"
    CLOSING = "closing"


class Series(TimestampMixin, Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    short_description: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    title_fr: Mapped[str | None] = mapped_column(String(200))
    short_description_fr: Mapped[str | None] = mapped_column(String(500))
    description_fr: Mapped[str | None] = mapped_column(Text)
    organiser: Mapped[str] = mapped_column(String(200), default="")
    chair: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    languages: Mapped[str] = mapped_column(String(40), default="en")
    sender_email: Mapped[str] = mapped_column(String(254), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    reminder_offsets: Mapped[str] = mapped_column(String(100), default="10080,1440,60")
    # Days after the last module before personal data is erased; None = RETENTION_DAYS.
    retention_days: Mapped[int | None]
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    modules: Mapped[list[Module]] = relationship(
        back_populates="series", order_by="Module.number", cascade="all, delete-orphan"
    )

    @property
    def language_codes(self) -> list[str]:
        """The offered languages as a list of codes."""
        return [code for code in self.languages.split(",") if code]


def _new_calendar_uid() -> str:
    return f"module-{uuid.uuid4()}"


class Module(TimestampMixin, Base):
    __tablename__ = "module"
    __table_args__ = (UniqueConstraint("series_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    pillar: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(200))
    thematic_focus: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    title_fr: Mapped[str | None] = mapped_column(String(200))
    thematic_focus_fr: Mapped[str | None] = mapped_column(String(300))
    description_fr: Mapped[str | None] = mapped_column(Text)
    pillar_fr: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(default=120)
    status: Mapped[str] = mapped_column(String(20), default=ModuleStatus.DRAFT.value)
    capacity: Mapped[int | None]
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    join_url: Mapped[str] = mapped_column(String(500), default="")
    is_chatham_house: Mapped[bool] = mapped_column(default=False)
    calendar_uid: Mapped[str] = mapped_column(String(120), unique=True, default=_new_calendar_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    recording_url: Mapped[str] = mapped_column(String(500), default="")
    slides_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Reminder offsets (minutes, comma-separated) the organiser switched off for this module.
    reminders_off: Mapped[str] = mapped_column(String(200), default="", server_default="")

    series: Mapped[Series] = relationship(back_populates="modules")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="module",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
    )
    notes: Mapped[list[BackgroundNote]] = relationship(
        back_populates="module", order_by="BackgroundNote.position", cascade="all, delete-orphan"
    )

    @property
    def ends_at(self) -> datetime | None:
        """The end, computed in UTC so that a DST change never shortens a module."""
        return end_of(self.starts_at, self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == ModuleStatus.CANCELLED


class AgendaItem(Base):
    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    start_offset_minutes: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20), default=AgendaKind.PANEL.value)
    title: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str | None] = mapped_column(String(300))

    module: Mapped[Module] = relationship(back_populates="agenda_items")
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="agenda_item", order_by="Speaker.position", cascade="all, delete-orphan"
    )


class Speaker(Base):
    __tablename__ = "speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="speakers")
