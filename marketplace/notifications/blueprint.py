"""The notifications blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from marketplace.notifications import views  # noqa: E402,F401
