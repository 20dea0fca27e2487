"""The traceability blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

bp = Blueprint("traceability", __name__)

from marketplace.traceability import (  # noqa: E402,F401
    delivery_views,
    impact_views,
    plot_views,
    review_views,
    shipment_views,
    tenure_views,
)
