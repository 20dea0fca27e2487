"""A disbursed loan's stored schedule and where it stands: the ledger (credit/ledger.py) run
over the loan's instalments and repayments, and written back so that lists, the portfolio
and the product's budget can add balances up in SQL.

The schedule is fixed when the money goes out (`fix_schedule`): the product's terms may
change later, her instalments do not. A loan in course disbursed before schedules were kept
gets its schedule from its product the first time it is read; one closed before then has
none (its repayments are all there is).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.credit import ledger, loan_terms
from marketplace.extensions import db
from marketplace.models import Loan, LoanInstalment, LoanStatus, Producer, Repayment
from marketplace.models.base import local_date, local_today

BP = 10_000
KEPT = (LoanStatus.DISBURSED, LoanStatus.REPAID, LoanStatus.DEFAULTED)


def fix_schedule(loan: Loan) -> list[LoanInstalment]:
    """Store the loan's schedule from its disbursement date (once)."""
    if loan.instalments:
        return loan.instalments
    producer = db.session.get(Producer, loan.producer_id)
    schedule = loan_terms.loan_schedule(loan, producer)
    rows = [
        LoanInstalment(
            loan_id=loan.id,
            number=p.number,
            month=p.month,
            due_on=p.due_on,
            capital_minor=p.capital_minor,
            interest_minor=p.interest_minor,
            insurance_minor=p.insurance_minor,
            fee_minor=p.fee_minor,
            due_minor=p.amount_minor,
            late_charge_minor=0,
            paid_minor=0,
        )
        for p in schedule.payments
    ]
    db.session.add_all(rows)
    loan.instalments = rows
    if loan.balance_minor is None:
        loan.balance_minor = sum(p.capital_minor for p in schedule.payments)
    db.session.flush()
    return rows


def late_rate(loan: Loan) -> float:
    return (loan.credit_product.late_rate_bp or 0) / BP


def repayments_of(loan: Loan) -> list[tuple[date, int]]:
    rows = db.session.execute(
        select(Repayment.paid_on, Repayment.amount_minor)
        .where(Repayment.loan_id == loan.id)
        .order_by(Repayment.paid_on, Repayment.id)
    )
    return [(row.paid_on, row.amount_minor) for row in rows]


def ledger_of(
    loan: Loan, today: date | None = None, extra: tuple[date, int] | None = None
) -> ledger.Ledger | None:
    """Where a disbursed (or closed) loan stands on ``today``; None before disbursement.
    ``extra``: a repayment not yet recorded, to see what it would do."""
    if loan.status not in KEPT or loan.disbursed_at is None:
        return None
    if loan.status != LoanStatus.DISBURSED and not loan.instalments:
        return None
    rows = fix_schedule(loan)
    payments = repayments_of(loan)
    if extra is not None:
        payments = sorted([*payments, extra], key=lambda payment: payment[0])
    return ledger.run(
        ledger.planned(rows),
        payments,
        today or local_today(),
        late_rate(loan),
        local_date(loan.disbursed_at),
    )


def refresh(loan: Loan) -> ledger.Ledger | None:
    """Run the ledger and store its result: each instalment's state and the loan's balance."""
    result = ledger_of(loan)
    if result is None:
        return None
    rows = {row.number: row for row in loan.instalments}
    for line in result.lines:
        row = rows[line.number]
        row.due_minor = line.due_minor
        row.late_charge_minor = line.late_charge_minor
        row.paid_minor = line.paid_minor
        row.paid_on = line.paid_on
    loan.balance_minor = result.capital_outstanding_minor
    db.session.flush()
    return result
