"""The payments blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from marketplace.payments import views  # noqa: E402,F401
