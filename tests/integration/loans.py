"""A loan for tests of what producers do with credit (written directly: the lender's pages
that record loans are another feature)."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.models import CreditProduct, Loan, Producer


def new_loan(
    producer: Producer,
    product: CreditProduct,
    amount_minor: int = 300_000,
    status: str = "disbursed",
    **overrides,
) -> Loan:
    """A loan under `product` (its terms snapshotted), disbursed unless told otherwise."""
    values = {
        "producer_id": producer.id,
        "lender_id": product.organization_id,
        "credit_product_id": product.id,
        "amount_minor": amount_minor,
        "used_minor": 0,
        "currency": product.currency,
        "annual_rate_bp": product.annual_rate_bp,
        "total_cost_bp": product.total_cost_bp,
        "term_months": product.term_months,
        "status": status,
    }
    values.update(overrides)
    loan = Loan(**values)
    db.session.add(loan)
    db.session.commit()
    return loan
