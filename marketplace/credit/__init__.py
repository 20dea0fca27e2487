"""Credit: lenders' products, and what producers see of credit (their "Mi crédito" page)."""

from flask import Blueprint

bp = Blueprint("credit", __name__)

from marketplace.credit import producer_views, views  # noqa: E402,F401
