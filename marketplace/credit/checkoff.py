"""The check-off: a share of a delivery's value repays the producer's loan on the spot.

Traceability records the delivery and calls :func:`apply_checkoff`; the lender's loan page
asks :func:`checkoffs_by_repayment` which repayments came from deliveries. The loan row is
"touched" by a conditional UPDATE (still disbursed) before its ledger is read, so
concurrent deliveries by one producer queue and each sees the others' repayments. The
deduction goes on until interest and charges are paid too (credit/ledger.py): whatever
closes the loan on the delivery's day.

Under a product that takes pledges as collateral (requires offtake), the pledged harvest
pays the instalments: the deduction is at least what is unpaid of the instalments overdue
or falling due within DUE_WINDOW_DAYS of the delivery (the harvest instalment the season's
sales are for), up to the delivery's whole value; the share applies when it is more.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select, update

from marketplace import audit
from marketplace.credit import balances
from marketplace.credit.loans import add_repayment, outcome_of
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import Loan, LoanStatus, User
from marketplace.models.traceability import Delivery
from marketplace.notifications.messages import money_param
from marketplace.notifications.services import notify_organization

DEFAULT_CHECKOFF_SHARE = 0.30
CHECKOFF_STEPS = 10_000  # the share is applied in basis points: integer arithmetic only
# instalments falling due this soon after a delivery count as due (the season's instalment)
DUE_WINDOW_DAYS = 31


def checkoff_share_bp() -> int:
    """MINKA_CHECKOFF_SHARE (0..1, default 0.30) as basis points."""
    share = float(current_app.config.get("MINKA_CHECKOFF_SHARE", DEFAULT_CHECKOFF_SHARE))
    return max(0, min(CHECKOFF_STEPS, round(share * CHECKOFF_STEPS)))


def checkoff_amount(value_minor: int, owed_minor: int, share_bp: int, due_minor: int = 0) -> int:
    """The deduction: the share of the value rounded down, or what is due (up to the whole
    value) when that is more; never more than what is owed."""
    wanted = max(value_minor * share_bp // CHECKOFF_STEPS, min(due_minor, value_minor))
    return max(0, min(wanted, owed_minor))


def _due_minor(standing, on: date) -> int:
    """What is unpaid of the instalments overdue or due within DUE_WINDOW_DAYS of ``on``."""
    until = on + timedelta(days=DUE_WINDOW_DAYS)
    return sum(line.unpaid_minor for line in standing.lines if line.due_on <= until)


def _loan_to_repay(delivery: Delivery) -> tuple[Loan, int, int] | None:
    """The producer's oldest disbursed loan in the delivery's currency with money owed on
    the delivery's day (interest and charges included), row-locked; what closes it; and, under
    a product taking pledges as collateral, the instalments the delivery must pay."""
    candidates = db.session.scalars(
        select(Loan)
        .where(
            Loan.producer_id == delivery.producer_id,
            Loan.status == LoanStatus.DISBURSED,
            Loan.currency == delivery.currency,
        )
        .order_by(Loan.disbursed_at, Loan.id)
    )
    for loan in list(candidates):
        locked = db.session.execute(
            update(Loan)
            .where(Loan.id == loan.id, Loan.status == LoanStatus.DISBURSED)
            .values(status=Loan.status)
            .execution_options(synchronize_session=False)
        )
        if locked.rowcount == 1:
            standing = balances.ledger_of(loan, delivery.delivered_on)
            owed = standing.payoff_minor if standing is not None else 0
            if owed > 0:
                backed = loan.credit_product.requires_offtake
                due = _due_minor(standing, delivery.delivered_on) if backed else 0
                return loan, owed, due
    return None


def apply_checkoff(actor: User, delivery: Delivery) -> None:
    """Record the check-off repayment for a new delivery, if the producer owes anything."""
    found = _loan_to_repay(delivery)
    share = checkoff_share_bp()
    if found is None or (share == 0 and found[2] == 0):
        return
    loan, owed, due = found
    amount = checkoff_amount(delivery.value_minor, owed, share, due)
    if amount == 0:
        return
    outcome = outcome_of(loan, delivery.delivered_on)
    repayment = add_repayment(actor, loan, amount, delivery.delivered_on, outcome)
    delivery.loan_id, delivery.repayment_id, delivery.deduction_minor = (
        loan.id,
        repayment.id,
        amount,
    )
    audit.record(
        actor,
        "credit.checkoff_repayment",
        loan,
        repayment=repayment.id,
        delivery=delivery.code,
        amount_minor=amount,
        owed_before_minor=owed,
        due_minor=due,
        outcome=outcome,
        currency=loan.currency,
    )
    notify_organization(
        loan.lender_id,
        "delivery.checkoff",
        link=path_for("credit.loan", loan_id=loan.id),
        code=delivery.code,
        loan=loan.id,
        amount=money_param(amount, delivery.currency),
    )


def checkoffs_by_repayment(loan: Loan) -> dict[int, Delivery]:
    """repayment id -> the delivery whose check-off it was, for the lender's loan page."""
    rows = db.session.scalars(select(Delivery).where(Delivery.loan_id == loan.id))
    return {d.repayment_id: d for d in rows if d.repayment_id is not None}
