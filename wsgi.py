"""WSGI entry point: `gunicorn wsgi:app`."""

import os

from config import Config, ProductionConfig
from webinar_app import create_app

app = create_app(ProductionConfig if os.environ.get("FLASK_ENV") == "production" else Config)
