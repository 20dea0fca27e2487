"""The data-rights blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from marketplace.privacy import admin_views, views  # noqa: E402,F401
