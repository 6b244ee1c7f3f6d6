"""200 simultaneous registrations for 50 seats, through a real multi-process server.

A gunicorn server (4 worker processes x 8 threads, forked from a master that loaded the app
but opened no connection, so each process has its own database connections) serves the app
on the suite's database: a SQLite file by default, PostgreSQL when TEST_DATABASE_URL is set.
200 POSTs arrive at once; the module must end with exactly 50 registered and 150 waiting,
every answer a redirect, and no "database is locked" anywhere.

The server's app turns CSRF off (WTF_CSRF_ENABLED = False in `server_app` below, this test only)
so that 200 clients can post without first fetching a form each; CSRF itself is tested elsewhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import TestConfig
from webinar_app import create_app
from webinar_app.extensions import db
from webinar_app.models import OutboxMessage, Person, Registration

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = 200
CAPACITY = 50

pytestmark = pytest.mark.slow


def server_app():
    """The app gunicorn serves in this test (CSRF off for this test app only)."""

    class _ServerConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = os.environ["CONCURRENCY_DATABASE_URL"]
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        PROPAGATE_EXCEPTIONS = False

    app = create_app(_ServerConfig)
    with app.app_context():
        db.engine.dispose(close=False)  # gunicorn forks after this: no connection is shared
    return app


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail("gunicorn stopped:\n" + log.read_text())
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail("gunicorn did not start:\n" + log.read_text())


def _post(url: str, index: int) -> tuple[int, str]:
    data = urllib.parse.urlencode({
        "full_name": f"Participant {index}",
        "email": f"participant{index}@example.org",
        "organisation": "Ministry",
        "organisation_type": "government",
        "country": "KE",
        "language": "en",
        "timezone": "Africa/Nairobi",
        "modules": "1",
        "has_data_consent": "y",
    }).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=60) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")[:300]


@pytest.fixture()
def server(app, database_url, tmp_path):
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    if gunicorn is None:
        pytest.skip("gunicorn is not installed")
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = dict(os.environ, CONCURRENCY_DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    with log.open("w") as out:
        process = subprocess.Popen(
            [gunicorn, "--workers", "4", "--threads", "8", "--worker-class", "gthread", "--preload",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(ROOT),
             "tests.test_concurrency:server_app()"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield base, log
    finally:
        process.send_signal(signal.SIGINT)  # quick shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_200_simultaneous_registrations_fill_50_seats_and_queue_150(
    server, make_series, make_module
):
    base, log = server
    series = make_series()
    module = make_module(series, capacity=CAPACITY)
    url = f"{base}/series/{series.slug}/register"

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(lambda i: _post(url, i), range(REQUESTS)))

    statuses = Counter(status for status, _body in results)
    errors = [body for status, body in results if status not in (200, 302)]
    assert statuses == {302: REQUESTS}, (statuses, errors[:3])

    db.session.expire_all()
    by_status = dict(db.session.execute(
        select(Registration.status, func.count(Registration.id))
        .where(Registration.module_id == module.id).group_by(Registration.status)
    ).all())
    assert by_status == {"registered": CAPACITY, "waiting": REQUESTS - CAPACITY}
    assert db.session.scalar(select(func.count(Person.id))) == REQUESTS
    assert db.session.scalar(select(func.count(func.distinct(Registration.person_id)))) == REQUESTS
    kinds = dict(db.session.execute(
        select(OutboxMessage.kind, func.count(OutboxMessage.id)).group_by(OutboxMessage.kind)
    ).all())
    assert kinds == {"invitation": CAPACITY, "waiting_list": REQUESTS - CAPACITY}
    assert "database is locked" not in log.read_text()
