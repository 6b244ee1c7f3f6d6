"""Item 14: a backup restores into a fresh database and the personal links made before still open.

SQLite: the sqlite3 backup API (what `sqlite3 DB ".backup FILE"` does), always; also the sqlite3
command itself when it is installed. PostgreSQL: `pg_dump -Fc` and `pg_restore` into a new
database, when TEST_DATABASE_URL is set and both programs are on PATH. A restored database opens
the old links only with the same SECRET_KEY.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from config import TestConfig
from tests.mailsink import SmtpSink, use_smtp
from tests.registration_helpers import register, text
from webinar_app import create_app
from webinar_app.extensions import db
from webinar_app.models import Module, ModuleStatus, Series
from webinar_app.outbox.mailer import deliver_due

SECRET = "backup-test-secret-key-0123456789abcdef"
OTHER_SECRET = "another-secret-key-0123456789abcdefghij"
NAME = "Backup Restore-Marker"
EMAIL = "restore.marker@example.org"


def _app(url: str, secret: str = SECRET) -> Flask:
    """An application on the database at url."""

    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = secret

    return create_app(_Config)


@contextmanager
def _context(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _add_series() -> None:
    series = Series(slug="backup-series", title="Backup series", timezone="Europe/Brussels",
                    languages="en,fr", sender_email="secretariat@example.org")
    series.modules.append(Module(
        number=1, title="Prevention", pillar="Prevention", status=ModuleStatus.SCHEDULED.value,
        starts_at=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=20),
        join_url="https://zoom.example.org/j/1"))
    db.session.add(series)
    db.session.commit()


def _link_in_email(app: Flask, send: Callable[[], None]) -> str:
    """Do send(), deliver the outbox to a real SMTP sink, and read the personal link received."""
    sink = SmtpSink()
    sink.start()
    try:
        use_smtp(app, sink.port)
        send()
        deliver_due()
        messages = sink.to(EMAIL)
    finally:
        sink.stop()
    assert len(messages) == 1, [m.message["Subject"] for m in messages]
    body = messages[0].message.get_body(("plain",)).get_content()
    found = re.search(r"/me/([A-Za-z0-9_-]{20,})", body)
    assert found, body
    return found[1]


def _register_and_receive_token(app: Flask) -> str:
    """Register over HTTP; the token of the personal link in the confirmation email."""

    def send() -> None:
        response = register(app.test_client(), slug="backup-series", email=EMAIL, full_name=NAME)
        assert response.status_code in (200, 302), response.get_data(as_text=True)

    return _link_in_email(app, send)


def _token_in_a_later_reminder(app: Flask, minutes_before: int) -> str:
    """The token in the reminder the (restored) application sends before the module."""
    starts_at = db.session.scalar(select(Module.starts_at))
    now = starts_at - timedelta(minutes=minutes_before - 1)

    def send() -> None:
        result = app.test_cli_runner().invoke(
            args=["reminders", "send-due", "--no-deliver", "--now", now.isoformat()])
        assert result.exit_code == 0 and "Queued 1 reminders" in result.output, result.output

    return _link_in_email(app, send)


def _opens(app: Flask, token: str) -> tuple[int, str]:
    response = app.test_client().get(f"/me/{token}")
    return response.status_code, text(response)


def _check_restored(url: str, token: str) -> None:
    """The link made before opens on the restored database; with another SECRET_KEY the links
    in emails sent after the restore lead nowhere (the old ones, already sent, still open)."""
    with _context(_app(url)) as fresh:
        status, page = _opens(fresh, token)
        assert status == 200 and NAME in page and EMAIL in page
        assert _token_in_a_later_reminder(fresh, 1440) == token  # a day before
    with _context(_app(url, secret=OTHER_SECRET)) as wrong_key:
        later = _token_in_a_later_reminder(wrong_key, 60)  # an hour before
        assert later != token
        assert _opens(wrong_key, later)[0] == 404
        assert _opens(wrong_key, token)[0] == 200


def test_sqlite_backup_restores_and_old_personal_links_open(tmp_path):
    source = tmp_path / "webinars.sqlite"
    app = _app(f"sqlite:///{source}")
    with _context(app):
        db.create_all()
        _add_series()
        token = _register_and_receive_token(app)
        assert _opens(app, token)[0] == 200

        # What the README documents: `sqlite3 instance/webinars.sqlite ".backup backup.sqlite"`,
        # here through Python's sqlite3 backup API, while the application is running.
        copy = tmp_path / "backup.sqlite"
        with sqlite3.connect(source) as live, sqlite3.connect(copy) as target:
            live.backup(target)
        live.close()
        target.close()

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    restored = restored_dir / "webinars.sqlite"
    shutil.copyfile(copy, restored)
    _check_restored(f"sqlite:///{restored}", token)


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="the sqlite3 command is not installed")
def test_the_documented_sqlite3_command_makes_a_backup_that_restores(tmp_path):
    source = tmp_path / "webinars.sqlite"
    app = _app(f"sqlite:///{source}")
    with _context(app):
        db.create_all()
        _add_series()
        token = _register_and_receive_token(app)
        copy = tmp_path / "backup.sqlite"
        subprocess.run(["sqlite3", str(source), f".backup {copy}"], check=True, timeout=60)
    with _context(_app(f"sqlite:///{copy}")) as fresh:
        status, page = _opens(fresh, token)
        assert status == 200 and NAME in page


def _libpq_url(url: str, database: str | None = None) -> str:
    """A URL pg_dump and psycopg understand (no '+psycopg' driver part)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _postgres_skip_reason() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return "TEST_DATABASE_URL is not a PostgreSQL database"
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not on PATH"
    return None


@pytest.mark.skipif(_postgres_skip_reason() is not None,
                    reason=_postgres_skip_reason() or "PostgreSQL available")
def test_postgresql_dump_restores_and_old_personal_links_open(app, tmp_path):
    import psycopg

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SECRET_KEY"] = SECRET
    _add_series()
    token = _register_and_receive_token(app)
    assert _opens(app, token)[0] == 200
    db.session.remove()

    dump = tmp_path / "webinars.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), "-d", _libpq_url(url)],
                   check=True, timeout=300)
    restore_name = f"{make_url(url).database}_restore"
    admin_url = _libpq_url(url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{restore_name}"')
        conn.execute(f'CREATE DATABASE "{restore_name}"')
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                        "-d", _libpq_url(url, restore_name), str(dump)],
                       check=True, timeout=300)
        restored_url = make_url(url).set(database=restore_name).render_as_string(
            hide_password=False)
        _check_restored(restored_url, token)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restore_name}" WITH (FORCE)')
