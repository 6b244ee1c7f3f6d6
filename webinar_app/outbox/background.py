"""Outbox delivery in a daemon thread, so that `make run` needs no separate worker process."""

from __future__ import annotations

import threading

from flask import Flask

DELIVERY_INTERVAL_SECONDS = 5.0


def _run(app: Flask, stop: threading.Event, interval: float) -> None:
    from webinar_app.extensions import db
    from webinar_app.outbox.mailer import deliver_due

    while not stop.is_set():
        with app.app_context():
            try:
                counts = deliver_due()
                if counts.total:
                    app.logger.info("outbox: %s", counts.summary())
            except Exception:  # keep the thread alive; the rows stay in the outbox
                app.logger.exception("outbox delivery failed")
                db.session.rollback()
            finally:
                db.session.remove()
        stop.wait(interval)


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
