"""The auth blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from marketplace.auth import views  # noqa: E402,F401
