"""The commitments blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("commitments", __name__)

from marketplace.commitments import producer_views, views  # noqa: E402,F401
