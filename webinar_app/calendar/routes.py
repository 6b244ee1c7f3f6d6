"""Calendar feeds: /series/SLUG/calendar.ics and /series/SLUG/modules/N/calendar.ics."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)
