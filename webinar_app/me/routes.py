"""Routes of the me blueprint."""

from flask import Blueprint

bp = Blueprint("me", __name__)
