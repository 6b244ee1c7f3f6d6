"""The Alembic migrations build, on an empty database, exactly the schema the models describe."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from config import TestConfig
from webinar_app import create_app
from webinar_app.extensions import db


@contextmanager
def _logging_preserved() -> Iterator[None]:
    """Alembic's env.py calls fileConfig, which disables existing loggers; undo that."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    states = {
        name: (logger.disabled, logger.level, list(logger.handlers), logger.propagate)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    try:
        yield
    finally:
        root.handlers[:], root.level = handlers, level
        for name, (disabled, lvl, hdlrs, propagate) in states.items():
            logger = logging.getLogger(name)
            logger.disabled, logger.level, logger.propagate = disabled, lvl, propagate
            logger.handlers[:] = hdlrs
        for name, logger in logging.Logger.manager.loggerDict.items():
            if name not in states and isinstance(logger, logging.Logger):
                logger.disabled = False


def _differences_after_upgrade(database_uri: str) -> list:
    """Run every migration on database_uri, then compare the result with the models."""

    class _Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_uri

    app = create_app(_Config)
    with app.app_context(), _logging_preserved():
        upgrade()
        options = app.extensions["migrate"].configure_args
        try:
            with db.engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": options.get("compare_type", True),
                        "render_as_batch": options.get("render_as_batch", False),
                    },
                )
                return compare_metadata(context, db.metadata)
        finally:
            db.engine.dispose()


def test_migrations_on_an_empty_sqlite_database_match_the_models(tmp_path):
    differences = _differences_after_upgrade(f"sqlite:///{tmp_path / 'migrated.sqlite'}")

    assert differences == [], "migrations lag behind the models: run `flask db migrate`"


@pytest.fixture()
def empty_postgres_database() -> Iterator[str]:
    """A new, empty database on the TEST_DATABASE_URL server, dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("TEST_DATABASE_URL does not point at PostgreSQL")
    server = make_url(url)
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"cannot create a scratch database on the test server: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_migrations_on_an_empty_postgres_database_match_the_models(empty_postgres_database):
    differences = _differences_after_upgrade(empty_postgres_database)

    assert differences == [], "migrations lag behind the models: run `flask db migrate`"
