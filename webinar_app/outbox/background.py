"""Outbox delivery in a daemon thread, so that `make run` needs no separate worker process."""

from __future__ import annotations

import contextlib
import threading

from flask import Flask

from webinar_app.core.dberrors import DATABASE_UNAVAILABLE
from webinar_app.extensions import db
from webinar_app.outbox.mailer import deliver_round

DELIVERY_INTERVAL_SECONDS = 5.0


def _run(app: Flask, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        with app.app_context():
            try:
                counts = deliver_round()  # database errors: logged, session reset
                if counts is not None and counts.total:
                    app.logger.info("outbox: %s", counts.summary())
            except Exception:  # keep the thread alive; the rows stay in the outbox
                app.logger.exception("outbox delivery failed")
                with contextlib.suppress(*DATABASE_UNAVAILABLE):
                    db.session.rollback()
            finally:
                db.session.remove()
        _run_hooks(app)
        stop.wait(interval)


def _run_hooks(app: Flask) -> None:
    """Call the features' background hooks (`app.extensions["background_hooks"]`), e.g. the
    invitee imports' pick-up or the daily purge; a failing hook is logged and the loop goes on."""
    for hook in app.extensions.get("background_hooks", ()):
        try:
            hook(app)
        except Exception:
            app.logger.exception("background hook %s failed", getattr(hook, "__name__", hook))


def start_delivery_thread(
    app: Flask, interval: float = DELIVERY_INTERVAL_SECONDS
) -> threading.Event:
    """Start delivering due emails every few seconds; set the returned event to stop."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_run, args=(app, stop, interval), name="outbox-delivery", daemon=True
    )
    thread.start()
    return stop
