"""Shared fixtures: an app on a throw-away database, a client, and factories."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from config import TestConfig
from webinar_app import create_app
from webinar_app.extensions import db
from webinar_app.i18n import compile_catalogues
from webinar_app.models import (
    AgendaItem,
    BackgroundNote,
    Module,
    ModuleStatus,
    Role,
    Series,
    Speaker,
    User,
)

pytest_plugins = ["tests.mailsink"]


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="Rewrite the golden files under tests/golden/ from this run (review the diff).",
    )


@pytest.fixture()
def update_golden(request) -> bool:
    """True when the run was asked to rewrite the golden files (--update-golden)."""
    return bool(request.config.getoption("--update-golden"))

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session", autouse=True)
def _catalogues() -> None:
    """Compile the translation catalogues when their .mo is missing or stale (as `make` does)."""
    compile_catalogues()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """PostgreSQL when TEST_DATABASE_URL is set, else a SQLite file for the session."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(_Config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield _Config
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture()
def app(_schema, tmp_path):
    """A fresh application whose tables are emptied after each test."""

    class _Config(_schema):
        MAIL_OUTBOX_DIR = str(tmp_path / "outbox")

    application = create_app(_Config)
    with application.app_context():
        yield application
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        if conn.dialect.name == "sqlite":
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first() else None


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form at url."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, f"no csrf token in {url}"
    return match.group(1)


@pytest.fixture()
def make_user(app):
    def _make(email: str = "organiser@example.org", role: str = Role.ORGANISER.value) -> User:
        user = User(email=email, role=role)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def login(client):
    def _login(user: User) -> None:
        token = csrf_token(client, "/auth/login")
        response = client.post(
            "/auth/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    return _login


@pytest.fixture()
def make_series(app):
    def _make(**overrides) -> Series:
        values = dict(
            slug="test-series",
            title="Test series",
            short_description="A series for tests.",
            description="A longer description.",
            organiser="Test Secretariat",
            chair="The Chair",
            timezone="Europe/Brussels",
            languages="en,fr",
            sender_email="secretariat@example.org",
            sender_name="Test Secretariat",
        )
        values.update(overrides)
        series = Series(**values)
        db.session.add(series)
        db.session.commit()
        return series

    return _make


@pytest.fixture()
def make_module(app):
    def _make(series: Series, **overrides) -> Module:
        number = overrides.pop("number", len(series.modules) + 1)
        values = dict(
            number=number,
            pillar="Prevention",
            title=f"Module {number}",
            thematic_focus="Focus",
            description="Description",
            starts_at=datetime.now(UTC).replace(microsecond=0, second=0)
            + timedelta(days=21 + 30 * (number - 1)),
            duration_minutes=120,
            status=ModuleStatus.SCHEDULED.value,
            join_url="https://zoom.example.org/j/123456",
        )
        values.update(overrides)
        module = Module(series=series, **values)
        db.session.add(module)
        db.session.commit()
        return module

    return _make


@pytest.fixture()
def add_agenda(app):
    def _add(module: Module, count: int = 2) -> None:
        for i in range(count):
            item = AgendaItem(module=module, position=i, start_offset_minutes=i * 30,
                              kind="panel", title=f"Panel {i + 1}")
            item.speakers.append(Speaker(position=0, role="Expert", organisation="UNODC"))
            db.session.add(item)
        db.session.commit()

    return _add


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)


@pytest.fixture()
def make_note(app):
    def _make(module: Module, **overrides) -> BackgroundNote:
        import hashlib

        data = overrides.pop("data", MINIMAL_PDF)
        values = dict(
            title="Background note",
            language="en",
            abstract="What the note says.",
            is_published=True,
            file_name="background-note.pdf",
            file_size=len(data),
            file_sha256=hashlib.sha256(data).hexdigest(),
            file_pages=1,
            file_data=data,
        )
        values.update(overrides)
        note = BackgroundNote(module=module, **values)
        db.session.add(note)
        db.session.commit()
        return note

    return _make
