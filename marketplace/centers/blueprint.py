"""The centers blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("centers", __name__)

from marketplace.centers import views  # noqa: E402,F401
