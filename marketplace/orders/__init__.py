"""Producers' orders of listings: placing them (stock taken atomically), the status machine,
and the pages of both sides."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from marketplace.orders import views  # noqa: E402,F401
