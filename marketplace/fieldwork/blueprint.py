"""The fieldwork blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("fieldwork", __name__)

from marketplace.fieldwork import views  # noqa: E402,F401
