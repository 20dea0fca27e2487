"""The api blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint, current_app

from marketplace.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = "120 per minute"


def _limit() -> str:
    return current_app.config.get("MINKA_API_LIMIT", DEFAULT_LIMIT)


csrf.exempt(bp)
limiter.shared_limit(_limit, scope="api")(bp)  # one budget for the whole API

from marketplace.api import views  # noqa: E402,F401
