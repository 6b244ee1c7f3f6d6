"""Browser tests: the app served by gunicorn on a free loopback port, a real SMTP sink, Chromium.

Run them with `make e2e` (it sets E2E=1, installs Debian's Chromium and axe-core when missing).
Nothing here downloads a browser: Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.mailsink import Received, SmtpSink, free_port

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_SECONDS = 20.0

try:
    import playwright.sync_api  # noqa: F401
except ImportError:  # `make test` does not install the browser tools
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config, items):
    """Browser tests run only when asked for (`make e2e` sets E2E=1)."""
    if os.environ.get("E2E"):
        return
    skip = pytest.mark.skip(reason="browser tests run with `make e2e` (set E2E=1)")
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@dataclass
class LiveServer:
    """The running app: its base URL, the SMTP sink it mails to, the demo organiser's login."""

    url: str
    sink: SmtpSink
    organiser_email: str
    organiser_password: str
    env: dict[str, str]
    log: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def flask(self, *args: str) -> str:
        """Run a `flask` command against the server's database; its stdout."""
        return _run_flask(self.env, *args)

    def flask_input(self, stdin: str, *args: str) -> str:
        """Run a `flask` command that reads its standard input."""
        return _run_flask(self.env, *args, stdin=stdin)

    def wait_for_mail(self, to: str, subject_contains: str = "", count: int = 1) -> list[Received]:
        """The messages to `to` whose subject contains the text, once `count` have arrived."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = [
                m
                for m in self.sink.to(to)
                if subject_contains.lower() in str(m.message["Subject"]).lower()
            ]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                subjects = [str(m.message["Subject"]) for m in self.sink.to(to)]
                raise AssertionError(
                    f"{count} email(s) to {to} about {subject_contains!r} did not arrive; "
                    f"got {subjects}"
                )
            time.sleep(0.1)


def _run_flask(env: dict[str, str], *args: str, stdin: str = "") -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _migrate_and_seed(env: dict[str, str], db_file: Path) -> str:
    """`flask db upgrade` then `flask seed-demo` (its output), as `make run` does."""
    _run_flask(env, "db", "upgrade")
    return _run_flask(env, "seed-demo")


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {WAIT_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """gunicorn serving a freshly migrated and seeded SQLite database, mailing an SMTP sink."""
    tmp = tmp_path_factory.mktemp("e2e")
    sink = SmtpSink()
    sink.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_file = tmp / "e2e.sqlite"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MAIL_", "FLASK_", "REDIS", "TEST_"))
    }
    env.update(
        FLASK_APP="wsgi:app",
        DATABASE_URL=f"sqlite:///{db_file}",
        SECRET_KEY="e2e-secret-not-for-production",
        BASE_URL=url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(sink.port),
        MAIL_DEFAULT_SENDER="webinars@example.org",
        MAIL_OUTBOX_DIR=str(tmp / "outbox"),
        MAIL_BACKGROUND_DELIVERY="0",
        PYTHONUNBUFFERED="1",
    )
    seeded = _migrate_and_seed(env, db_file)
    found = re.search(r"demo organiser (\S+@\S+?) ", seeded)
    assert found, seeded
    from webinar_app.demo.data import DEMO_ORGANISER_PASSWORD

    log = tmp / "server.log"
    log_file = log.open("w")
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable, "-m", "gunicorn", "wsgi:app",
            "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--threads", "8",
            "--graceful-timeout", "2", "--access-logfile", "-",
        ],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    mailer = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "flask", "mail", "deliver", "--loop", "--interval", "0.3"],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )
    live = LiveServer(
        url=url,
        sink=sink,
        organiser_email=found.group(1),
        organiser_password=DEMO_ORGANISER_PASSWORD,
        env=env,
        log=log,
        processes=[server, mailer],
    )
    try:
        _wait_until_up(url, server, log)
        yield live
    finally:
        for process in live.processes:
            process.terminate()
        for process in live.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log_file.close()
        sink.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright's bundled driver."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e` (it installs Debian's chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def context(browser, live_server):
    """A fresh browser profile (no cookies, no cache) on a desktop-sized window."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context):
    return context.new_page()
