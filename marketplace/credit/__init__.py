"""Lenders' credit area: their credit products, the review of matched groups, their loans."""

from flask import Blueprint

bp = Blueprint("credit", __name__)

from marketplace.credit import review_views, views  # noqa: E402,F401
