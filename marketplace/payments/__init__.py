"""Card payments through Stripe: suppliers' connected accounts, paying orders by card,
refunds, the webhook, and the admin's settings."""
