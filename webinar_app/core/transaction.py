"""Write transactions that hold under concurrency on SQLite and PostgreSQL.

On SQLite a deferred transaction that reads and then writes can fail at once with
"database is locked" when another connection wrote in between; starting it with
BEGIN IMMEDIATE takes the write lock first (waiting up to busy_timeout), so the read that
counts seats and the write that takes one are never interleaved with another writer.
On PostgreSQL the services lock rows with SELECT ... FOR UPDATE; a deadlock or serialisation
failure is retried like a locked SQLite database.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy.exc import DBAPIError, OperationalError

from webinar_app.extensions import db

T = TypeVar("T")

_RETRYABLE = ("database is locked", "database is busy", "deadlock detected",
              "could not serialize access")


def begin_write() -> None:
    """Start the session's transaction as a writer (BEGIN IMMEDIATE on SQLite)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_retryable(error: DBAPIError) -> bool:
    message = str(error.orig).lower()
    return any(text in message for text in _RETRYABLE)


def run_write_transaction(work: Callable[[], T], attempts: int = 8) -> T:
    """Run work() in a write transaction and commit; retry the whole of it when the
    database was locked or a deadlock was detected."""
    for attempt in range(1, attempts + 1):
        try:
            begin_write()
            result = work()
            db.session.commit()
            return result
        except (OperationalError, DBAPIError) as error:
            db.session.rollback()
            if attempt == attempts or not _is_retryable(error):
                raise
            current_app.logger.info("write transaction retried (%s): %s", attempt, error.orig)
            time.sleep(min(0.05 * 2**attempt, 1.0) * (0.5 + random.random()))
    raise AssertionError("unreachable")
