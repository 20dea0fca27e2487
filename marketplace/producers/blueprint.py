"""The producers blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("producers", __name__)

from marketplace.producers import views  # noqa: E402,F401
