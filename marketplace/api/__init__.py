"""Read-only JSON API (/api/v1): the public catalogue's listings and buyers' open commitments.

No sign-in and nothing beyond what the public pages show; GET only, so CSRF does not apply;
rate-limited per client address, one budget for every endpoint (MINKA_API_LIMIT, 120
per minute by default).
"""

from flask import Blueprint, current_app

from marketplace.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_LIMIT = "120 per minute"


def _limit() -> str:
    return current_app.config.get("MINKA_API_LIMIT", DEFAULT_LIMIT)


csrf.exempt(bp)
limiter.shared_limit(_limit, scope="api")(bp)  # one budget for the whole API

from marketplace.api import views  # noqa: E402,F401
