"""The catalogue: suppliers' listings of inputs and technical assistance, and producers'
browsing of them."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from marketplace.catalog import views  # noqa: E402,F401
