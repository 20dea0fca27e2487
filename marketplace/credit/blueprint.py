"""The credit blueprint, with its views attached; only the app factory imports it."""

from flask import Blueprint

from marketplace.credit.archetypes import archetype_label

bp = Blueprint("credit", __name__)
bp.add_app_template_global(archetype_label, "archetype_label")

from marketplace.credit import producer_views, review_views, views  # noqa: E402,F401
