"""The demo world's deliveries and lots keep the rules the services enforce."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Loan, Pledge, Repayment
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import lots


def test_demo_deliveries_respect_pledges_mass_balance_and_loans(runner):
    result = runner.invoke(args=["demo-data", "--producers", "200", "--seed", "2026"])
    assert result.exit_code == 0, result.output

    made = list(db.session.scalars(select(Delivery)))
    assert made, result.output
    for delivery in made:
        pledge = db.session.get(Pledge, delivery.pledge_id)
        assert delivery.kg <= pledge.kg and delivery.code.startswith("ENT-")
        assert 0 <= delivery.deduction_minor <= delivery.value_minor
    for lot in db.session.scalars(select(Lot)):
        assert 0 < lot.weight_kg <= lots.lot_kg(lot.id)
        assert lot.risk_status == lots.worst_status(d.risk_status for d in lot.deliveries)
    for loan in db.session.scalars(select(Loan).where(Loan.id.in_([d.loan_id for d in made]))):
        paid = db.session.scalar(
            select(func.sum(Repayment.amount_minor)).where(Repayment.loan_id == loan.id)
        )
        assert paid <= loan.amount_minor
