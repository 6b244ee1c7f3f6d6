"""Participants of a series, their registrations per module, and their consents."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from webinar_app.models.schedule import Module, Series


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Person(TimestampMixin, Base):
    """A participant of one series, reached through their personal link."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("series_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    organisation_type: Mapped[str] = mapped_column(String(40), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    token_salt: Mapped[str | None] = mapped_column(String(64))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    series: Mapped[Series] = relationship()
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )
    consents: Mapped[list[Consent]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class Registration(TimestampMixin, Base):
    """One person's place (or place in line) for one module."""

    __tablename__ = "registration"
    __table_args__ = (UniqueConstraint("person_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=RegistrationStatus.REGISTERED.value)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance: Mapped[str | None] = mapped_column(String(20))
    sequence_offset: Mapped[int] = mapped_column(default=0)

    @property
    def calendar_sequence(self) -> int:
        """SEQUENCE for this person's copy: the module's, plus one per own cancel or re-register."""
        return self.module.sequence + self.sequence_offset

    person: Mapped[Person] = relationship(back_populates="registrations")
    module: Mapped[Module] = relationship()


class Consent(Base):
    """A consent given (or withdrawn), with the version of the wording the person saw."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    wording_version: Mapped[str] = mapped_column(String(40))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship(back_populates="consents")
