"""The daily purge: run by the background delivery thread (`make run`) and by Celery beat."""

from __future__ import annotations

import time

from flask import Flask

from webinar_app.extensions import db
from webinar_app.privacy.services import PurgeResult, purge

PURGE_INTERVAL_SECONDS = 24 * 60 * 60
RETRY_SECONDS = 60 * 60


def purge_and_commit() -> PurgeResult:
    """Purge every series past its retention period and commit (needs an app context)."""
    try:
        result = purge()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


class DailyPurge:
    """Runs the purge at most once per interval; the first call runs it."""

    def __init__(self, interval: float = PURGE_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self.next_at = 0.0

    def run_if_due(self, app: Flask) -> PurgeResult | None:
        """Purge if a day has passed since the last run; log, never raise."""
        if time.monotonic() < self.next_at:
            return None
        self.next_at = time.monotonic() + self.interval
        with app.app_context():
            try:
                result = purge_and_commit()
                if result.total.erased:
                    app.logger.info("privacy: %s", result.summary())
                return result
            except Exception:  # nothing half-done was committed; try again in an hour
                app.logger.exception("privacy purge failed")
                self.next_at = time.monotonic() + min(RETRY_SECONDS, self.interval)
                return None
            finally:
                db.session.remove()
