"""The main blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from marketplace.main import views  # noqa: E402,F401
