"""Card payments through Stripe: suppliers' connected accounts, paying orders by card,
refunds, the webhook, and the admin's settings."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from marketplace.payments import views  # noqa: E402,F401
