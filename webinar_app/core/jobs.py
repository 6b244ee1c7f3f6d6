"""Where a background job runs: a Celery task with REDIS_URL, otherwise a daemon thread of the
web process that asked for it (`make run`, `flask run`, gunicorn).

A job is a row in the database (queued, running, done or failed); the runner only decides who
runs what waits. A `BackgroundJob` names the Celery task that runs one row and the function that
runs every row still waiting (the thread's work, beat's sweep, the cron command). The thread runs
one batch at a time; a request while it works makes it look again before it ends. The outbox
delivery thread calls `pick_up` through `app.extensions["background_hooks"]`, so rows left
waiting by a restart are started too. Under TESTING no thread starts unless the job's
`thread_flag` is set in the configuration: tests run the job as a worker does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, current_app

from webinar_app.extensions import db


@dataclass(eq=False)
class BackgroundJob:
    """One kind of background job and its daemon thread in this process."""

    name: str  # the thread's name, for logs
    task: str  # the Celery task that runs one queued row: task(row_id)
    run_waiting: Callable[[], int]  # runs every waiting row; how many it ran
    has_waiting: Callable[[], bool]  # a row waits (or was abandoned by a dead worker)
    thread_flag: str  # configuration key that lets the thread start under TESTING
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _wanted: bool = False

    def dispatch(self, row_id: int) -> str:
        """Start the job of a queued (committed) row: 'celery', 'thread' or 'waiting'."""
        app = current_app._get_current_object()
        celery = app.extensions.get("celery")
        if celery is not None:
            try:
                celery.send_task(self.task, args=[row_id])
            except Exception:  # Redis away: beat's sweep starts it
                app.logger.exception("could not enqueue %s %s", self.name, row_id)
                return "waiting"
            return "celery"
        if app.config.get("TESTING") and not app.config.get(self.thread_flag):
            return "waiting"
        self.start_thread(app)
        return "thread"

    def start_thread(self, app: Flask) -> bool:
        """Run what waits in a daemon thread (one at a time); a thread already running looks
        again before it ends. True if a thread was started."""
        with self._lock:
            self._wanted = True
            if self._thread is not None:
                return False
            self._thread = threading.Thread(target=self._main, args=(app,), name=self.name,
                                            daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        """Wait until this process's thread (if any) has finished (tests, shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def pick_up(self, app: Flask) -> None:
        """For a background loop: start the thread if a row waits."""
        with app.app_context():
            try:
                waiting = self.has_waiting()
            finally:
                db.session.remove()
        if waiting:
            self.start_thread(app)

    def _main(self, app: Flask) -> None:
        try:
            while True:
                with self._lock:
                    self._wanted = False
                with app.app_context():
                    try:
                        self.run_waiting()
                    except Exception:  # the rows stay queued or failed; the next pick-up retries
                        app.logger.exception("%s thread failed", self.name)
                        db.session.rollback()
                    finally:
                        db.session.remove()
                with self._lock:
                    if not self._wanted:
                        self._thread = None
                        return
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
