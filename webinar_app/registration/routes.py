"""Routes of the registration blueprint."""

from flask import Blueprint

bp = Blueprint("registration", __name__)
