"""Post-session summaries with review workflow, revisions, comments and good practices."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from webinar_app.models.schedule import Module
from webinar_app.models.user import User


class SummaryState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHED = "published"


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    SENT_BACK = "sent_back"
    APPROVED = "approved"


class Summary(TimestampMixin, Base):
    """The post-session summary of one module."""

    __tablename__ = "summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=SummaryState.DRAFT.value)
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    key_takeaways: Mapped[str] = mapped_column(Text, default="")
    body_markdown_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    key_takeaways_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    attendance_figure: Mapped[int | None]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # set while the follow-ups of the published summary are held back; cleared on release
    followups_held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    module: Mapped[Module] = relationship(
        backref=backref(
            "summary", uselist=False, cascade="all, delete-orphan", passive_deletes=True
        )
    )
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    good_practices: Mapped[list[GoodPractice]] = relationship(
        back_populates="summary", order_by="GoodPractice.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[SummaryRevision]] = relationship(
        back_populates="summary",
        order_by="SummaryRevision.number",
        cascade="all, delete-orphan",
    )
    comments: Mapped[list[SummaryComment]] = relationship(
        back_populates="summary",
        order_by="SummaryComment.created_at",
        cascade="all, delete-orphan",
    )

    @property
    def takeaway_list(self) -> list[str]:
        """Key takeaways, one per non-empty line."""
        return [line.strip() for line in self.key_takeaways.splitlines() if line.strip()]

    def has_language(self, language: str) -> bool:
        """Whether the summary has a text in this language (English always does)."""
        return language != "fr" or bool((self.body_markdown_fr or "").strip())

    def _is_french(self, language: str) -> bool:
        return language == "fr" and self.has_language("fr")

    def body_in(self, language: str) -> str:
        """The Markdown body in this language, falling back to English."""
        return self.body_markdown_fr if self._is_french(language) else self.body_markdown

    def takeaways_in(self, language: str) -> list[str]:
        """The key takeaways that go with body_in(language)."""
        text = self.key_takeaways_fr if self._is_french(language) else self.key_takeaways
        return [line.strip() for line in (text or "").splitlines() if line.strip()]

    @property
    def is_published(self) -> bool:
        return self.state == SummaryState.PUBLISHED

    @property
    def has_held_followups(self) -> bool:
        """Published with its follow-ups held back until someone releases them."""
        return self.followups_held_at is not None


class SummaryRevision(Base):
    """A full snapshot of a summary taken at each save."""

    __tablename__ = "summary_revision"
    __table_args__ = (UniqueConstraint("summary_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("summary.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    key_takeaways: Mapped[str] = mapped_column(Text, default="")
    body_markdown_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    key_takeaways_fr: Mapped[str] = mapped_column(Text, default="", server_default="")
    attendance_figure: Mapped[int | None]
    good_practices: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    summary: Mapped[Summary] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()


class SummaryComment(Base):
    """A reviewer's (or organiser's) comment on a summary, e.g. why it was sent back."""

    __tablename__ = "summary_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("summary.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20), default=CommentKind.COMMENT.value)
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    summary: Mapped[Summary] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()


class GoodPractice(Base):
    """A good practice presented in a module, as recorded in its summary."""

    __tablename__ = "good_practice"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("summary.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    presenter_organisation: Mapped[str] = mapped_column(String(200), default="")
    presenter_name: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    pillar: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    is_covid_adaptation: Mapped[bool] = mapped_column(default=False)

    summary: Mapped[Summary] = relationship(back_populates="good_practices")

    def snapshot(self) -> dict[str, Any]:
        """The practice as a plain dict, for revisions and exports."""
        return {
            "title": self.title,
            "presenter_organisation": self.presenter_organisation,
            "presenter_name": self.presenter_name,
            "country": self.country,
            "pillar": self.pillar,
            "description": self.description,
            "is_covid_adaptation": self.is_covid_adaptation,
        }
