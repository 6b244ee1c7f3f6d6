"""The background job that builds the Reader, and where it runs.

An organiser's "Build the Reader" queues a `ReaderBuildJob` row and answers at once with its
page, which refreshes itself until the build is there (or failed, with the reason). `BUILDS`
(a `core.jobs.BackgroundJob`) runs it: with REDIS_URL the Celery task
`webinar_app.tasks.jobs.run_reader_build` (beat sweeps every minute for a lost task); without,
a daemon thread of the web process (`make run`), and the outbox delivery thread picks up any
request left waiting by a restart. `flask reader run-pending` runs what waits from cron;
`flask reader build` builds synchronously.

The job claims the row (queued -> running, committed), builds the Reader in its language (the
one the organiser chose, else theirs; its messages are in that language too), and
stores the build and "done" in one transaction; any error leaves no build and marks the row
failed with the reason. A row left running by a worker that stopped is failed after STALE_AFTER.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from webinar_app.core.jobs import BackgroundJob
from webinar_app.extensions import db
from webinar_app.models import BuildStatus, ReaderBuildJob, Series, User, utcnow
from webinar_app.reader.services import (
    READER_LANGUAGES,
    ReaderError,
    check_buildable,
    create_build,
)

STALE_AFTER = timedelta(minutes=15)
WAITING_TOO_LONG = timedelta(minutes=1)
ERROR_MAX_LENGTH = 1000
ACTIVE = (BuildStatus.QUEUED.value, BuildStatus.RUNNING.value)


def _table():
    return ReaderBuildJob.__table__


def queue_build(series: Series, user: User | None, language: str) -> ReaderBuildJob:
    """A queued build of the series' Reader in this language (the one already waiting or
    running, if any)."""
    check_buildable(series)
    if language not in READER_LANGUAGES:
        raise ReaderError(_("The Reader is built in English or French."))
    active = db.session.scalar(select(ReaderBuildJob).where(
        ReaderBuildJob.series_id == series.id, ReaderBuildJob.language == language,
        ReaderBuildJob.status.in_(ACTIVE)))
    if active is not None:
        return active
    job = ReaderBuildJob(series=series, requested_by=user, language=language)
    db.session.add(job)
    db.session.flush()
    return job


def get_job(series: Series, job_id: int) -> ReaderBuildJob | None:
    return db.session.scalar(select(ReaderBuildJob).where(
        ReaderBuildJob.id == job_id, ReaderBuildJob.series_id == series.id))


def latest_job(series: Series) -> ReaderBuildJob | None:
    """The series' most recent build request, for a link from the Reader page."""
    return db.session.scalar(select(ReaderBuildJob).where(ReaderBuildJob.series_id == series.id)
                             .order_by(ReaderBuildJob.id.desc()).limit(1))


def is_waiting_long(job: ReaderBuildJob) -> bool:
    """Queued for over a minute: no worker seems to run."""
    return job.status == BuildStatus.QUEUED and utcnow() - job.created_at > WAITING_TOO_LONG


def claim_job(job_id: int) -> bool:
    """Mark a queued request running (committed); False if another worker has it already."""
    now = utcnow()
    result = db.session.execute(
        update(_table()).where(_table().c.id == job_id,
                               _table().c.status == BuildStatus.QUEUED.value)
        .values(status=BuildStatus.RUNNING.value, started_at=now, updated_at=now, error="")
    )
    db.session.commit()
    return result.rowcount == 1


def run_job(job_id: int) -> str | None:
    """Claim and run one queued build; its final status, or None if it was not ours."""
    if not claim_job(job_id):
        return None
    job = db.session.get(ReaderBuildJob, job_id)
    language = job.language or "en"
    try:
        with force_locale(language):
            build = create_build(job.series, job.requested_by, language=language)
            finished = db.session.execute(
                update(_table()).where(_table().c.id == job_id,
                                       _table().c.status == BuildStatus.RUNNING.value)
                .values(status=BuildStatus.DONE.value, build_id=build.id, finished_at=utcnow(),
                        updated_at=utcnow())
            )
        if finished.rowcount != 1:  # declared abandoned meanwhile: keep nothing
            db.session.rollback()
            return BuildStatus.FAILED.value
        db.session.commit()
        return BuildStatus.DONE.value
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, ReaderError):
            current_app.logger.exception("reader build %s failed", job_id)
        _mark_failed(job_id, _reason(exc, language))
        return BuildStatus.FAILED.value


def _reason(exc: Exception, language: str) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, ReaderError):
        with force_locale(language or "en"):
            text = _("Unexpected error: %(error)s", error=text)
    return text[:ERROR_MAX_LENGTH]


def _mark_failed(job_id: int, reason: str) -> int:
    """Record why the build failed, in a transaction of its own; rows changed."""
    result = db.session.execute(
        update(_table()).where(_table().c.id == job_id,
                               _table().c.status == BuildStatus.RUNNING.value)
        .values(status=BuildStatus.FAILED.value, error=reason, finished_at=utcnow(),
                updated_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


def fail_abandoned_jobs() -> int:
    """Mark failed the builds left running by a worker that stopped."""
    cutoff = utcnow() - STALE_AFTER
    ids = list(db.session.scalars(select(ReaderBuildJob.id).where(
        ReaderBuildJob.status == BuildStatus.RUNNING.value, ReaderBuildJob.updated_at < cutoff)))
    for job_id in ids:
        _mark_failed(job_id, _("The worker stopped before the build finished."))
    return len(ids)


def run_waiting_jobs() -> int:
    """Run every waiting build, oldest first; how many this call ran."""
    fail_abandoned_jobs()
    ran = 0
    while waiting := list(db.session.scalars(
        select(ReaderBuildJob.id).where(ReaderBuildJob.status == BuildStatus.QUEUED.value)
        .order_by(ReaderBuildJob.id)
    )):
        for job_id in waiting:
            if run_job(job_id) is not None:
                ran += 1
    return ran


def has_waiting_jobs() -> bool:
    """A build waits, or was left running by a worker that stopped."""
    cutoff = utcnow() - STALE_AFTER
    return db.session.scalar(select(ReaderBuildJob.id).where(
        (ReaderBuildJob.status == BuildStatus.QUEUED.value)
        | ((ReaderBuildJob.status == BuildStatus.RUNNING.value)
           & (ReaderBuildJob.updated_at < cutoff))
    ).limit(1)) is not None


BUILDS = BackgroundJob(
    name="reader-builds",
    task="webinar_app.tasks.jobs.run_reader_build",
    run_waiting=run_waiting_jobs,
    has_waiting=has_waiting_jobs,
    thread_flag="READER_BUILD_THREAD",
)
