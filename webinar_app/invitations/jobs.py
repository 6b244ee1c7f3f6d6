"""The background job that imports a stored invitee list, and where it runs; and the sender
of scheduled campaigns (`send_due_campaigns`: the outbox delivery thread's hook every minute,
Celery beat's `send_due_campaigns`, or `flask invitations send-due` from cron).

Where (`IMPORTS`, a `core.jobs.BackgroundJob`): with REDIS_URL a Celery task
(`webinar_app.tasks.jobs.run_invitee_import`, beat sweeps every minute for a task that got
lost); without, a daemon thread of the web process that took the confirmation (`make run`,
`flask run`, gunicorn), and the outbox delivery thread picks up any list still waiting (after a
restart). `flask invitations run-imports` runs what waits from
a shell or cron. Under TESTING no thread starts (unless INVITEE_IMPORT_THREAD is set): tests
run the job as a worker does.

How: the job claims the list (queued -> running, committed), reads the stored bytes again with
the same reader as the preview and writes every row in ONE transaction, a batch of 1,000 rows
per flush; the list is marked done in that same transaction, so either every row is in and the
list says done, or nothing is and it says failed with the reason.

Progress, and why it differs by database. While the import's transaction is open it holds
SQLite's only write lock (WAL: readers go on, one writer at a time). A progress UPDATE committed
on a second connection would wait for that very lock, held by its own job: it would block the
job for the busy timeout and then fail. So on SQLite progress lives in this process's memory
(`live_progress`), which the page reads when the same process serves it (`make run`,
`flask run`, the thread started by the confirmation); a page served by another process shows a
bar without a figure until the result is committed. On PostgreSQL each report is also a short
autocommit UPDATE of the list's row on a second connection: the import's transaction touches
that row only at its end, so nothing waits and every web process sees the figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update

from webinar_app.core.csv import decode_text
from webinar_app.core.jobs import BackgroundJob
from webinar_app.extensions import db
from webinar_app.invitations.csvfile import read_invitees
from webinar_app.invitations.sending import send_campaign
from webinar_app.invitations.services import (
    ImportCounts,
    SendCounts,
    claim_stalled_campaigns,
    due_campaign_ids,
    import_rows,
    start_sending,
)
from webinar_app.models import Campaign, ImportStatus, InviteeImport, Series, utcnow

STALE_AFTER = timedelta(minutes=30)
WAITING_TOO_LONG = timedelta(minutes=1)
PROGRESS_EVERY_SECONDS = 1.0
ERROR_MAX_LENGTH = 1000

_live: dict[int, int] = {}


def live_progress(import_id: int) -> int | None:
    """Rows processed so far by a job running in this process, or None."""
    return _live.get(import_id)


def _table():
    return InviteeImport.__table__


class _ProgressReporter:
    """Reports processed rows: in memory always, committed too where it cannot block."""

    def __init__(self, import_id: int) -> None:
        self.import_id = import_id
        self.commits = db.engine.dialect.name != "sqlite"
        self.last = 0.0

    def __call__(self, counts: ImportCounts) -> None:
        processed = counts.created + counts.updated + counts.skipped
        _live[self.import_id] = processed
        now = time.monotonic()
        if self.commits and now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            with db.engine.begin() as connection:  # a second connection, committed at once
                connection.execute(
                    update(_table()).where(_table().c.id == self.import_id)
                    .values(processed_rows=processed, updated_at=utcnow())
                )


def claim_import(import_id: int) -> bool:
    """Mark a queued list running (committed); False if another worker has it already."""
    now = utcnow()
    result = db.session.execute(
        update(_table())
        .where(_table().c.id == import_id, _table().c.status == ImportStatus.QUEUED.value)
        .values(status=ImportStatus.RUNNING.value, started_at=now, updated_at=now,
                processed_rows=0)
    )
    db.session.commit()
    return result.rowcount == 1


def run_import(import_id: int) -> str | None:
    """Claim and run one queued import; its final status, or None if it was not ours."""
    if not claim_import(import_id):
        return None
    try:
        return _import_claimed(import_id)
    finally:
        _live.pop(import_id, None)


def _import_claimed(import_id: int) -> str:
    record = db.session.get(InviteeImport, import_id)
    series = db.session.get(Series, record.series_id) if record else None
    try:
        if record is None or series is None or record.data is None:
            raise RuntimeError("the uploaded file is no longer stored")
        language = series.language_codes[0] if series.language_codes else "en"
        items = read_invitees(decode_text(record.data), language)
        counts = import_rows(series, items, on_batch=_ProgressReporter(import_id))
        finished = db.session.execute(
            update(_table())
            .where(_table().c.id == import_id, _table().c.status == ImportStatus.RUNNING.value)
            .values(status=ImportStatus.DONE.value, finished_at=utcnow(), updated_at=utcnow(),
                    processed_rows=counts.created + counts.updated + counts.skipped,
                    created_count=counts.created, updated_count=counts.updated,
                    skipped_count=counts.skipped, data=None, error="")
        )
        if finished.rowcount != 1:  # declared abandoned meanwhile: keep nothing
            db.session.rollback()
            return ImportStatus.FAILED.value
        db.session.commit()
        current_app.logger.info("invitee import %s: %s", import_id, counts.summary())
        return ImportStatus.DONE.value
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("invitee import %s failed", import_id)
        _mark_failed(import_id, _reason(exc))
        return ImportStatus.FAILED.value


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:ERROR_MAX_LENGTH]


def _mark_failed(import_id: int, reason: str, only_if_running: bool = True) -> int:
    """Record why the import failed, in a transaction of its own; rows changed."""
    query = update(_table()).where(_table().c.id == import_id)
    if only_if_running:
        query = query.where(_table().c.status == ImportStatus.RUNNING.value)
    result = db.session.execute(query.values(
        status=ImportStatus.FAILED.value, error=reason, finished_at=utcnow(), updated_at=utcnow(),
    ))
    db.session.commit()
    return result.rowcount or 0


def fail_abandoned_imports(now=None) -> int:
    """Mark failed the imports left running by a worker that stopped (their transaction was
    rolled back with it, so nothing of them is in the database)."""
    cutoff = (now or utcnow()) - STALE_AFTER
    ids = [i for i in db.session.scalars(
        select(InviteeImport.id).where(InviteeImport.status == ImportStatus.RUNNING.value,
                                       InviteeImport.updated_at < cutoff)
    ) if i not in _live]
    for import_id in ids:
        _mark_failed(import_id, "the worker stopped before the import finished")
    return len(ids)


def queued_import_ids() -> list[int]:
    """The lists waiting for the job, oldest first."""
    return list(db.session.scalars(
        select(InviteeImport.id).where(InviteeImport.status == ImportStatus.QUEUED.value)
        .order_by(InviteeImport.queued_at, InviteeImport.id)
    ))


def run_queued_imports() -> int:
    """Run every waiting import, one after the other; how many this call ran."""
    fail_abandoned_imports()
    ran = 0
    while True:
        waiting = queued_import_ids()
        if not waiting:
            return ran
        for import_id in waiting:
            if run_import(import_id) is not None:
                ran += 1


def has_waiting_imports() -> bool:
    """A list waits for the job, or was left running by a worker that stopped."""
    cutoff = utcnow() - STALE_AFTER
    return db.session.scalar(
        select(InviteeImport.id).where(
            (InviteeImport.status == ImportStatus.QUEUED.value)
            | ((InviteeImport.status == ImportStatus.RUNNING.value)
               & (InviteeImport.updated_at < cutoff))
        ).limit(1)
    ) is not None


IMPORTS = BackgroundJob(
    name="invitee-imports",
    task="webinar_app.tasks.jobs.run_invitee_import",
    run_waiting=run_queued_imports,
    has_waiting=has_waiting_imports,
    thread_flag="INVITEE_IMPORT_THREAD",
)
dispatch_import = IMPORTS.dispatch
pick_up_imports = IMPORTS.pick_up
wait_for_import_thread = IMPORTS.wait


@dataclass(frozen=True)
class ImportProgress:
    """What the progress page shows of an import, ready to display."""

    status: str
    processed: int | None  # None: running elsewhere, figure not known here (SQLite)
    total: int
    is_active: bool  # queued or running: the page refreshes itself
    is_waiting_long: bool  # queued for over a minute: no worker seems to run
    can_restart: bool  # failed, and the file is still stored


def progress_of(record: InviteeImport) -> ImportProgress:
    """The progress of an import as this process knows it (memory first, then database)."""
    status = record.status
    processed: int | None = record.processed_rows
    if status == ImportStatus.RUNNING:
        live = live_progress(record.id)
        if live is not None:
            processed = max(live, record.processed_rows)
        elif not record.processed_rows and db.engine.dialect.name == "sqlite":
            processed = None
    elif status == ImportStatus.DONE:
        processed = record.total_rows
    waiting_since = record.queued_at or record.updated_at
    can_restart = status == ImportStatus.FAILED and db.session.scalar(
        select(InviteeImport.id).where(InviteeImport.id == record.id,
                                       InviteeImport.data.is_not(None))
    ) is not None
    return ImportProgress(
        status=status,
        processed=processed,
        total=record.total_rows,
        is_active=status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        is_waiting_long=status == ImportStatus.QUEUED and waiting_since is not None
        and utcnow() - waiting_since > WAITING_TOO_LONG,
        can_restart=can_restart,
    )


# --- scheduled campaigns ----------------------------------------------------------------------

CAMPAIGN_INTERVAL_SECONDS = 60.0


def send_campaign_now(campaign: Campaign, wanted=None) -> SendCounts | None:
    """Claim the campaign (committed) and queue it, committing each batch; None if another
    process claimed it first (or it was cancelled)."""
    if not start_sending(campaign, wanted):
        db.session.rollback()
        return None
    db.session.commit()
    counts = SendCounts()
    for batch in send_campaign(campaign, "new"):
        db.session.commit()
        counts = batch
    return counts


def send_due_campaigns(now: datetime | None = None) -> int:
    """Send every scheduled campaign whose time has come, and finish those whose sending
    stopped half-way; how many this call sent."""
    sent = 0
    stalled = claim_stalled_campaigns(now)
    db.session.commit()
    for campaign_id in stalled:
        campaign = db.session.get(Campaign, campaign_id)
        for _batch in send_campaign(campaign, "new"):
            db.session.commit()
        current_app.logger.info("campaign %s: its stopped sending was finished", campaign_id)
        sent += 1
    for campaign_id in due_campaign_ids(now):
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is not None and send_campaign_now(campaign) is not None:
            current_app.logger.info("campaign %s sent at its scheduled time", campaign_id)
            sent += 1
    return sent


class MinuteCampaigns:
    """A background hook of the outbox delivery thread: sends the due campaigns at most once
    per interval; never raises."""

    __name__ = "send_due_campaigns"

    def __init__(self, interval: float = CAMPAIGN_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.next_at = 0.0

    def __call__(self, app: Flask) -> int | None:
        if time.monotonic() < self.next_at:
            return None
        self.next_at = time.monotonic() + self.interval
        with app.app_context():
            try:
                return send_due_campaigns()
            except Exception as exc:  # the next run tries again; each batch was committed
                app.logger.error("scheduled campaigns failed: %s: %s", type(exc).__name__, exc)
                db.session.rollback()
                return None
            finally:
                db.session.remove()
