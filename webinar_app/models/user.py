"""Accounts of organisers, reviewers and admins."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webinar_app.models.base import Base, TimestampMixin, UTCDateTime, utcnow
from webinar_app.models.schedule import Series


def new_session_token() -> str:
    """A random token that identifies the current generation of an account's sessions."""
    return secrets.token_hex(16)


class Role(enum.StrEnum):
    """An account's global role; NONE means "only the series where it has a SeriesRole"."""

    ADMIN = "admin"
    ORGANISER = "organiser"
    REVIEWER = "reviewer"
    NONE = "none"


SERIES_ROLES = (Role.ORGANISER.value, Role.REVIEWER.value)
GLOBAL_ROLES = (Role.ADMIN.value, Role.ORGANISER.value, Role.REVIEWER.value)
ROLE_RANK = {Role.REVIEWER.value: 1, Role.ORGANISER.value: 2, Role.ADMIN.value: 3}


class AccountLinkPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a purpose, not a password)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20), default=Role.ORGANISER.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "" for accounts older than the column: they get a token when they next log in (get_id)
    session_token: Mapped[str] = mapped_column(
        String(64), default=new_session_token, server_default=""
    )
    can_see_personal_data: Mapped[bool] = mapped_column(default=False, server_default=false())

    series_roles: Mapped[list[SeriesRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The role this request grants in the series it is about (set by core.access; not stored).
    scoped_role = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """Flask-Login's id: the account id and its session token, so a new token ends sessions."""
        if not self.session_token:
            self.rotate_session_token()
        return f"{self.id}.{self.session_token}"

    def rotate_session_token(self) -> None:
        """End every session of this account: cookies carrying the old token stop working."""
        self.session_token = new_session_token()

    @property
    def has_global_role(self) -> bool:
        """Admins, and organisers or reviewers of every series (not limited to some series)."""
        return self.role in GLOBAL_ROLES

    def role_in_series(self, series_id: int) -> str | None:
        """The role this account was given in one series, or None."""
        return next((r.role for r in self.series_roles if r.series_id == series_id), None)

    def sees_series(self, series_id: int) -> bool:
        """Global roles see every series; others only those where they have a role."""
        return self.has_global_role or self.role_in_series(series_id) is not None

    @property
    def effective_role(self) -> str | None:
        """The stronger of the global role and the role in the series of this request."""
        roles = [r for r in (self.role, self.scoped_role) if r in ROLE_RANK]
        return max(roles, key=ROLE_RANK.__getitem__) if roles else None

    @property
    def can_edit(self) -> bool:
        """Organisers and admins edit; reviewers only read."""
        return self.effective_role in (Role.ADMIN, Role.ORGANISER)

    @property
    def can_review(self) -> bool:
        """Reviewers and admins approve or send back summaries."""
        return self.effective_role in (Role.ADMIN, Role.REVIEWER)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def may_see_personal_data(self) -> bool:
        """Organisers and admins always; a reviewer only when an admin allowed it."""
        return self.can_edit or (
            self.effective_role == Role.REVIEWER and self.can_see_personal_data
        )


class SeriesRole(Base):
    """An organiser or reviewer role in one series, for accounts without a global role."""

    __tablename__ = "series_role"
    __table_args__ = (UniqueConstraint("user_id", "series_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="series_roles")
    series: Mapped[Series] = relationship()


class AccountLink(Base):
    """A link emailed to set a password (invitation or reset): stored hashed, used once."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
