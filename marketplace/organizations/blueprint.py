"""The organizations blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

from marketplace.organizations import views  # noqa: E402,F401
