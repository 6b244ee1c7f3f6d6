"""Telling "the database cannot be reached" apart, and saying it in one line.

While the database is down every request fails the same way; the web pages answer 503 and the
command line prints an error, and the log gets one line per failure instead of a traceback.
"""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# Connection refused or lost, server shutting down, pool exhausted, SQLite file unreadable or
# locked, deadlock or statement timeout: all pass if tried again later.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
)


# SQLite reports a schema out of step with the code (a missing migration) as an OperationalError
# too; that is a bug to see with its traceback, not a moment to wait.
_SCHEMA_ERRORS = ("no such table", "no such column", "has no column", "syntax error",
                  "already exists")


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether exc means the database cannot be reached or used right now (worth a retry)."""
    if not isinstance(exc, DATABASE_UNAVAILABLE):
        return False
    text = str(getattr(exc, "orig", None) or exc).lower()
    return not any(marker in text for marker in _SCHEMA_ERRORS)


def one_line_error(exc: BaseException) -> str:
    """'OperationalError: connection failed: ...': the driver's first line, no SQL, no traceback."""
    detail = getattr(exc, "orig", None) or exc
    lines = str(detail).strip().splitlines()
    return f"{type(detail).__name__}: {lines[0] if lines else ''}".strip()
