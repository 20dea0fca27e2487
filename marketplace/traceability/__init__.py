"""Deforestation-free traceability: plots and their risk against the cut-off, field
evidence, deliveries and lots from farm to buyer, check-off repayments, due-diligence
export, incentives and the impact dashboard."""

from flask import Blueprint

bp = Blueprint("traceability", __name__)

from marketplace.traceability import (  # noqa: E402,F401
    delivery_views,
    impact_views,
    plot_views,
)
