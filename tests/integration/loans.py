"""A loan for tests of what producers do with credit (written directly: the lender's pages
that record loans are another feature)."""

from __future__ import annotations

from marketplace.credit import acceptance
from marketplace.extensions import db
from marketplace.models import CreditProduct, Loan, Producer, User
from marketplace.models.base import utcnow


def new_loan(
    producer: Producer,
    product: CreditProduct,
    amount_minor: int = 300_000,
    status: str = "disbursed",
    **overrides,
) -> Loan:
    """A loan under `product` (its terms snapshotted), disbursed unless told otherwise, and
    accepted by the producer (pass accepted_at=None for one still awaiting her answer)."""
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
        "accepted_at": utcnow(),
    }
    if status in {"disbursed", "repaid", "defaulted"}:
        values["disbursed_at"] = utcnow()
    values.update(overrides)
    loan = Loan(**values)
    db.session.add(loan)
    db.session.commit()
    return loan


def accept_as_producer(loan: Loan, make_user) -> Loan:
    """The borrower accepts her approved loan from her own account (one is made if the
    producer, as most test producers, has none)."""
    producer = db.session.get(Producer, loan.producer_id)
    if producer.user_id is None:
        producer.user_id = make_user("producer").id
        db.session.commit()
    return acceptance.accept(db.session.get(User, producer.user_id), loan)
