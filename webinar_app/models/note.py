"""Background notes: a module's pre-reading, an uploaded PDF or an external link."""

from __future__ import annotations

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin
from webinar_app.models.schedule import Module

ABSTRACT_MAX_LENGTH = 1000


class BackgroundNote(TimestampMixin, Base):
    __tablename__ = "background_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(8), default="en")
    abstract: Mapped[str] = mapped_column(Text, default="")
    title_fr: Mapped[str | None] = mapped_column(String(300))
    abstract_fr: Mapped[str | None] = mapped_column(Text)
    external_url: Mapped[str | None] = mapped_column(String(500))
    is_published: Mapped[bool] = mapped_column(default=False)
    is_prereading: Mapped[bool] = mapped_column(default=True)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_size: Mapped[int | None]
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_pages: Mapped[int | None]
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    module: Mapped[Module] = relationship(back_populates="notes")

    @property
    def has_file(self) -> bool:
        return self.file_sha256 is not None
