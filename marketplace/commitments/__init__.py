"""Buyers' purchase commitments (compromisos de compra) and producers' pledges of volume."""

from flask import Blueprint

bp = Blueprint("commitments", __name__)

from marketplace.commitments import producer_views, views  # noqa: E402,F401
