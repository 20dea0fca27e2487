"""The credit blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

from marketplace.credit import loan_terms
from marketplace.credit.archetypes import archetype_label

bp = Blueprint("credit", __name__)
bp.add_app_template_global(archetype_label, "archetype_label")
bp.add_app_template_global(loan_terms.cost_name, "cost_name")
bp.add_app_template_global(loan_terms.rate_name, "rate_name")
bp.add_app_template_global(loan_terms.late_example, "late_example")

from marketplace.credit import producer_views, review_views, views  # noqa: E402,F401
