"""Certificates of attendance, downloaded from the personal page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__)
