"""The relay's quotas (MAIL_MAX_PER_MINUTE, MAIL_MAX_PER_DAY), shared by every delivery process.

A process reserves messages before it claims them: `reserve(n)` grants at most what is left of
both allowances over the last minute and the last day (sliding windows, so no burst of twice the
allowance at a window's edge), and records the grant as a `MailQuotaUse` row. The reservation
is atomic across processes: it runs in one transaction that first takes a lock (PostgreSQL: a
transaction-scoped advisory lock; SQLite: its write lock, taken by the first statement, which
writes), then counts and inserts. A grant smaller than asked says when the next slot frees (the
start of the next window), so the caller can leave the rest queued until then instead of
spinning. A grant the process did not use is given back with `shrink`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, delete, func, or_, select, update

from webinar_app.extensions import db
from webinar_app.models import MailQuotaUse, OutboxMessage, OutboxStatus, utcnow

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
ADVISORY_LOCK_KEY = 0x6D61696C  # "mail"


@dataclass(frozen=True)
class Grant:
    """What a reservation gave: `count` messages; `use_id` its row; `next_slot_at` when more
    can go if it gave less than asked (None otherwise)."""

    count: int
    use_id: int | None = None
    next_slot_at: datetime | None = None


def limits() -> list[tuple[timedelta, int]]:
    """The configured (window, allowance) pairs; empty when there is no quota."""
    config = current_app.config
    pairs = [(MINUTE, config.get("MAIL_MAX_PER_MINUTE")), (DAY, config.get("MAIL_MAX_PER_DAY"))]
    return [(window, int(allowance)) for window, allowance in pairs if allowance]


def _lock() -> None:
    """Serialise reservations: the first statement of the transaction takes the lock."""
    bind = db.session.connection()
    if bind.dialect.name == "postgresql":
        bind.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    # SQLite: the DELETE below is a write, so it takes the database's write lock (waiting for
    # the busy timeout), before anything is counted; PostgreSQL holds the advisory lock.
    db.session.execute(delete(MailQuotaUse).where(MailQuotaUse.reserved_at < utcnow() - DAY))


def _used_since(since: datetime) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(MailQuotaUse.count), 0))
        .where(MailQuotaUse.reserved_at > since)
    ) or 0


def _next_slot(since: datetime, window: timedelta) -> datetime:
    """When the oldest reservation in the window leaves it."""
    oldest = db.session.scalar(
        select(func.min(MailQuotaUse.reserved_at)).where(MailQuotaUse.reserved_at > since)
    )
    return (oldest or utcnow()) + window


def reserve(wanted: int) -> Grant:
    """Reserve up to `wanted` messages within the quotas and commit (see the module docstring)."""
    pairs = limits()
    if not pairs:
        return Grant(wanted)
    db.session.commit()  # the lock must be the first statement of its transaction
    now = utcnow()
    _lock()
    granted = wanted
    left: dict[timedelta, int] = {}
    for window, allowance in pairs:
        left[window] = max(allowance - _used_since(now - window), 0)
        granted = min(granted, left[window])
    next_slot_at = None
    if granted < wanted:
        full = [window for window, _allowance in pairs if left[window] == granted]
        next_slot_at = max(_next_slot(now - window, window) for window in full)
    use_id = None
    if granted:
        use = MailQuotaUse(reserved_at=now, count=granted)
        db.session.add(use)
        db.session.flush()
        use_id = use.id
    db.session.commit()
    return Grant(granted, use_id, next_slot_at)


def shrink(grant: Grant, used: int) -> None:
    """Give back the part of a grant that was not used (no rows to send) and commit."""
    if grant.use_id is None or used >= grant.count:
        return
    db.session.execute(
        update(MailQuotaUse).where(MailQuotaUse.id == grant.use_id).values(count=used)
    )
    db.session.commit()


def estimated_finish(waiting: int, now: datetime | None = None) -> datetime | None:
    """When `waiting` messages should all have left at the configured rate (None: no quota)."""
    pairs = limits()
    if not pairs or waiting <= 0:
        return None
    now = now or utcnow()
    span = timedelta(0)
    for window, allowance in pairs:
        if window == MINUTE:  # spread evenly over the minutes
            span = max(span, window * (waiting / allowance))
        else:  # a day's allowance leaves at once; the rest waits for the next days
            span = max(span, window * (math.ceil(waiting / allowance) - 1))
    return now + span


WAITING = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)


def last_departure(message_ids: Select) -> datetime | None:
    """When the last of these waiting emails should leave at the configured rate, counting
    every waiting email due before it (None without a quota or when none waits)."""
    if not limits():
        return None
    order = (OutboxMessage.next_attempt_at, OutboxMessage.id)
    last = db.session.execute(
        select(*order).where(OutboxMessage.id.in_(message_ids),
                             OutboxMessage.status.in_(WAITING))
        .order_by(*(column.desc() for column in order)).limit(1)
    ).first()
    if last is None:
        return None
    last_at, last_id = last
    before_last = or_(OutboxMessage.next_attempt_at < last_at,
                      and_(OutboxMessage.next_attempt_at == last_at, OutboxMessage.id <= last_id))
    ahead = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at))
        .where(OutboxMessage.status.in_(WAITING), before_last)
    ).one()
    start = max(utcnow(), ahead[1] or utcnow())
    return estimated_finish(ahead[0], start)
