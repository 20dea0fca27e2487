"""Deforestation-free traceability: plots and their risk against the cut-off, field
evidence, deliveries and lots from farm to buyer, check-off repayments, due-diligence
export, incentives and the impact dashboard."""
