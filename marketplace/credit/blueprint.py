"""The credit blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("credit", __name__)

from marketplace.credit import producer_views, review_views, views  # noqa: E402,F401
