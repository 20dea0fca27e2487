"""What a credit product's budget means, for matching and approval alike: **a cap on what
is out under the product at any time** — the amounts approved and not yet disbursed, plus
the capital still owed on disbursed loans. A repayment frees budget; a repaid or
defaulted loan no longer holds any. (Capital added by capitalised grace interest is not
new money lent, so a loan holds at most the amount it lent.)

A matching run offers each product what is left of it after the groups still waiting for
the lender's answer from earlier runs (asked for information), so every group it matches
can be approved, in any order, while the terms stay those of the run.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import case, func, select

from marketplace.extensions import db
from marketplace.models import CreditProduct, Loan, LoanStatus, Match, MatchStatus

HELD_BY = (MatchStatus.INFO_REQUESTED,)  # groups of earlier runs still waiting for an answer


def _held_by_loans():
    """What one loan holds of its product's budget (a SQL expression)."""
    owed = func.coalesce(Loan.balance_minor, Loan.amount_minor)
    return case(
        (Loan.status == LoanStatus.APPROVED, Loan.amount_minor),
        (
            Loan.status == LoanStatus.DISBURSED,
            case((owed < Loan.amount_minor, owed), else_=Loan.amount_minor),
        ),
        else_=0,
    )


def committed_minor(product_ids: Iterable[int]) -> dict[int, int]:
    """product id -> what its approved and disbursed loans hold of its budget."""
    rows = db.session.execute(
        select(Loan.credit_product_id, func.sum(_held_by_loans()))
        .where(
            Loan.credit_product_id.in_(list(product_ids)),
            Loan.status.in_((LoanStatus.APPROVED, LoanStatus.DISBURSED)),
        )
        .group_by(Loan.credit_product_id)
    )
    return {product_id: int(total or 0) for product_id, total in rows}


def remaining_minor(product_id: int) -> int:
    """What the product can still approve."""
    budget = db.session.scalar(
        select(CreditProduct.budget_minor).where(CreditProduct.id == product_id)
    )
    return budget - committed_minor([product_id]).get(product_id, 0)


def for_matching(products: Iterable[CreditProduct]) -> dict[int, int]:
    """product id -> the budget a matching run may allocate: what is left after the loans
    and after the groups of earlier runs still waiting for an answer."""
    products = list(products)
    ids = [product.id for product in products]
    committed = committed_minor(ids)
    held = dict(
        db.session.execute(
            select(Match.credit_product_id, func.sum(Match.amount_minor))
            .where(Match.credit_product_id.in_(ids), Match.status.in_(HELD_BY))
            .group_by(Match.credit_product_id)
        ).all()
    )
    return {
        product.id: max(
            product.budget_minor - committed.get(product.id, 0) - int(held.get(product.id) or 0),
            0,
        )
        for product in products
    }
