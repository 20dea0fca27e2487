"""The orders blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from marketplace.orders import payment_views, views  # noqa: E402,F401
