"""Lenders' credit area: their credit products (matching runs and group review come later)."""

from flask import Blueprint

bp = Blueprint("credit", __name__)

from marketplace.credit import views  # noqa: E402,F401
