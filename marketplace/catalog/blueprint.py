"""The catalog blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from marketplace.catalog import views  # noqa: E402,F401
