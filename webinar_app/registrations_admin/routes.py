"""Organiser pages for a series' registrations, under /admin/series/SLUG/registrations."""

from flask import Blueprint

bp = Blueprint("registrations_admin", __name__)
