"""The Celery entry point: `celery -A webinar_app.tasks.worker:celery worker|beat`.

Reads the same environment as `wsgi.py` (DATABASE_URL, REDIS_URL, MAIL_*, BASE_URL ...).
"""

from __future__ import annotations

import os

from celery.signals import worker_process_init

from config import Config, ProductionConfig
from webinar_app import create_app
from webinar_app.extensions import db

flask_app = create_app(ProductionConfig if os.environ.get("FLASK_ENV") == "production" else Config)
celery = flask_app.extensions.get("celery")
if celery is None:
    raise RuntimeError("Set REDIS_URL to run Celery workers.")


@worker_process_init.connect
def _fresh_connections(**_kwargs) -> None:
    """A forked pool process opens its own database connections."""
    with flask_app.app_context():
        db.engine.dispose(close=False)
