"""The Celery path against the real Redis (TEST_REDIS_URL) with real worker processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.mailsink import SmtpSink
from webinar_app import create_app
from webinar_app.extensions import db
from webinar_app.invitations.csvfile import InviteeRow, ParsedList
from webinar_app.invitations.sending import send_campaign
from webinar_app.invitations.services import create_campaign, save_invitees
from webinar_app.models import Series
from webinar_app.tasks import enqueue_delivery

REDIS_URL = os.environ.get("TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = [
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL is not set (needs a real Redis)"),
]


@pytest.fixture()
def sink():
    server = SmtpSink()
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def redis_app(app, _schema, database_url, sink):
    """An app bound to Celery on the test Redis (its own db number, emptied first)."""
    if database_url.startswith("sqlite://") and database_url in ("sqlite://", "sqlite:///:memory:"):
        pytest.skip("the worker needs a database file or PostgreSQL")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()

    class _Config(_schema):
        REDIS_URL = os.environ["TEST_REDIS_URL"]
        CELERY_QUEUE = "webinars-test"

    application = create_app(_Config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _start_worker(database_url: str, sink: SmtpSink, name: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(sink.port),
        MAIL_BATCH_SIZE="10",
        MAIL_STALE_SENDING_SECONDS="3",
        CELERY_QUEUE="webinars-test",
        BASE_URL="http://webinars.test",
    )
    env.pop("FLASK_ENV", None)
    return subprocess.Popen(
        [CELERY, "-A", "webinar_app.tasks.worker:celery", "worker", "--pool=solo",
         "-Q", "webinars-test", "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--loglevel=WARNING"],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
    worker.wait(timeout=20)


def _queue_invitations(count: int) -> None:
    series = Series(slug="celery-series", title="Celery series", timezone="Europe/Brussels",
                    languages="en", sender_email="secretariat@example.org", sender_name="Sec")
    db.session.add(series)
    db.session.flush()
    rows = [InviteeRow(i + 2, f"person{i:04d}@example.org", f"Person {i}", "Org", "Kenya", "en")
            for i in range(count)]
    save_invitees(series, ParsedList(rows=rows))
    campaign = create_campaign(series, "Invitation", "", [])
    db.session.commit()
    for _counts in send_campaign(campaign, "new"):
        db.session.commit()  # each commit enqueues a delivery task for the workers


def _wait_for(predicate, timeout: float, kick: bool = False) -> bool:
    deadline = time.monotonic() + timeout
    last_kick = time.monotonic()
    while time.monotonic() < deadline:
        if predicate():
            return True
        if kick and time.monotonic() - last_kick > 2:
            enqueue_delivery()  # what beat's sweep does every minute
            last_kick = time.monotonic()
        time.sleep(0.1)
    return predicate()


def _received(sink: SmtpSink) -> Counter:
    return Counter(m.rcpt_tos[0] for m in list(sink.messages))


def test_a_thousand_invitations_arrive_once_each_through_a_celery_worker(
    redis_app, database_url, sink
):
    worker = _start_worker(database_url, sink, "w1")
    try:
        _queue_invitations(1000)
        assert _wait_for(lambda: len(sink.messages) >= 1000, timeout=60)
        time.sleep(0.5)
    finally:
        _stop(worker)
    received = _received(sink)
    assert len(received) == 1000
    assert set(received.values()) == {1}


def test_a_worker_killed_mid_run_loses_nothing_and_repeats_at_most_one(
    redis_app, database_url, sink
):
    _queue_invitations(1000)
    first = _start_worker(database_url, sink, "w1")
    try:
        assert _wait_for(lambda: len(sink.messages) >= 300, timeout=60)
    finally:
        _stop(first, signal.SIGKILL)
    at_kill = len(sink.messages)
    assert at_kill < 1000
    second = _start_worker(database_url, sink, "w2")
    try:
        assert _wait_for(lambda: len(_received(sink)) >= 1000, timeout=60, kick=True)
        time.sleep(0.5)
    finally:
        _stop(second)
    received = _received(sink)
    assert len(received) == 1000
    duplicates = {address: n for address, n in received.items() if n > 1}
    assert len(duplicates) <= 1 and all(n == 2 for n in duplicates.values())
    db.session.expire_all()
    from webinar_app.models import OutboxMessage, OutboxStatus

    statuses = Counter(db.session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT.value: 1000}


def test_a_reader_build_asked_for_on_the_page_is_built_by_a_celery_worker(
    redis_app, database_url, sink
):
    from tests.conftest import MINIMAL_PDF, PASSWORD, csrf_token
    from webinar_app.models import BackgroundNote, Module, ReaderBuildJob, Role, User

    series = Series(slug="celery-series", title="Celery series", timezone="Europe/Brussels",
                    languages="en", sender_email="secretariat@example.org", sender_name="Sec")
    module = Module(series=series, number=1, title="Prevention", pillar="Prevention",
                    status="scheduled")
    module.notes.append(BackgroundNote(title="Note", is_published=True, file_name="n.pdf",
                                       file_size=len(MINIMAL_PDF), file_data=MINIMAL_PDF))
    user = User(email="celery-organiser@example.org", role=Role.ORGANISER.value)
    user.set_password(PASSWORD)
    db.session.add_all([series, user])
    db.session.commit()
    client = redis_app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                     "csrf_token": csrf_token(client, "/auth/login")})
    page = "/admin/series/celery-series/reader"
    worker = _start_worker(database_url, sink, "w1")
    try:
        response = client.post(f"{page}/builds", data={"csrf_token": csrf_token(client, page)})
        job_page = response.headers["Location"]

        def built() -> bool:
            db.session.expire_all()
            return db.session.scalar(select(ReaderBuildJob.status)) in ("done", "failed")

        assert _wait_for(built, timeout=90)
    finally:
        _stop(worker)
    html = client.get(job_page).get_data(as_text=True)
    assert "Draft build 1 made" in html
    link = re.search(r'href="([^"]+/reader/builds/\d+\.pdf)"', html)[1]
    assert len(PdfReader(BytesIO(client.get(link).data)).pages) > 1
