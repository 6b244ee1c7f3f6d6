"""The outbox page for organisers, under /admin/outbox."""

from flask import Blueprint

bp = Blueprint("outbox", __name__)
