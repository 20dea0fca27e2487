"""My organization: what its members see of it, and the changes they may make."""

from flask import Blueprint

bp = Blueprint("organizations", __name__)

from marketplace.organizations import views  # noqa: E402,F401
