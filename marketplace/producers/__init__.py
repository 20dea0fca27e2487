"""Producers' profiles, farms and consents; technicians register producers of their cooperative."""

from flask import Blueprint

bp = Blueprint("producers", __name__)

from marketplace.producers import views  # noqa: E402,F401
