"""A producer's credit history on Minka, as a lender deciding on her reads it: her past and
current loans with any lender, how her instalments were paid, and what she still owes.

Shown only for members under a live consent to share with lenders (credit.review decides);
this module answers for whichever producers it is given.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import Loan, LoanInstalment, LoanStatus, Repayment, RepaymentOutcome
from marketplace.models.base import local_today

# a loan she actually had: approved ones she declined never reached her
HELD = (LoanStatus.APPROVED, LoanStatus.DISBURSED, LoanStatus.REPAID, LoanStatus.DEFAULTED)


@dataclass(frozen=True)
class PastLoan:
    """One of her loans: amount, currency, status, lender."""

    amount_minor: int
    currency: str
    status: str
    lender: str


@dataclass
class History:
    """Her loans on Minka and how she paid them."""

    loans: list[PastLoan] = field(default_factory=list)
    # instalments paid in full by their due date (for loans closed before schedules were
    # kept: repayments recorded on time)
    on_time: int = 0
    late: int = 0  # paid after the due date, or past due and unpaid today (or a default)
    outstanding: dict[str, int] = field(default_factory=dict)  # capital owed, by currency

    @property
    def count(self) -> int:
        return len(self.loans)

    @property
    def empty(self) -> bool:
        return not self.loans


def _loans(producer_ids: list[int]) -> dict[int, list[Loan]]:
    rows = db.session.scalars(
        select(Loan)
        .options(selectinload(Loan.lender))
        .where(Loan.producer_id.in_(producer_ids), Loan.status.in_(HELD))
        .order_by(Loan.producer_id, Loan.approved_at.desc(), Loan.id.desc())
    )
    by_producer: dict[int, list[Loan]] = defaultdict(list)
    for loan in rows:
        by_producer[loan.producer_id].append(loan)
    return by_producer


def _instalment_counts(producer_ids: list[int], today: date) -> dict[int, tuple[int, int]]:
    """(on time, late) instalments per producer, from the stored schedules' state."""
    paid = LoanInstalment.paid_on.is_not(None)
    on_time = and_(paid, LoanInstalment.paid_on <= LoanInstalment.due_on)
    late = case(
        (paid, LoanInstalment.paid_on > LoanInstalment.due_on),
        else_=LoanInstalment.due_on < today,
    )
    rows = db.session.execute(
        select(
            Loan.producer_id,
            func.sum(case((on_time, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
        )
        .join(Loan, Loan.id == LoanInstalment.loan_id)
        .where(Loan.producer_id.in_(producer_ids))
        .group_by(Loan.producer_id)
    ).all()
    return {pid: (int(good or 0), int(bad or 0)) for pid, good, bad in rows}


def _repayment_counts(producer_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(on time, late or unpaid) repayments per producer, for loans closed before schedules
    were stored: their repayments were recorded with how they came."""
    scheduled = select(LoanInstalment.id).where(LoanInstalment.loan_id == Loan.id).exists()
    late = Repayment.outcome.in_((RepaymentOutcome.LATE, RepaymentOutcome.DEFAULT))
    rows = db.session.execute(
        select(
            Loan.producer_id,
            func.sum(case((Repayment.outcome == RepaymentOutcome.ON_TIME, 1), else_=0)),
            func.sum(case((late, 1), else_=0)),
        )
        .join(Loan, Loan.id == Repayment.loan_id)
        .where(Loan.producer_id.in_(producer_ids), ~scheduled)  # not NOT IN: see outcome_frame
        .group_by(Loan.producer_id)
    ).all()
    return {pid: (int(good or 0), int(bad or 0)) for pid, good, bad in rows}


def histories(producer_ids: list[int], today: date | None = None) -> dict[int, History]:
    """Each producer's history (an empty one when she never borrowed on Minka)."""
    ids = list(producer_ids)
    if not ids:
        return {}
    today = today or local_today()
    loans = _loans(ids)
    counts = _instalment_counts(ids, today)
    legacy = _repayment_counts(ids)
    result = {}
    for pid in ids:
        history = History()
        for loan in loans.get(pid, []):
            history.loans.append(
                PastLoan(loan.amount_minor, loan.currency, loan.status, loan.lender.name)
            )
            if loan.status == LoanStatus.DISBURSED and loan.balance_minor:
                owed = history.outstanding.get(loan.currency, 0)
                history.outstanding[loan.currency] = owed + loan.balance_minor
        on_time, late = counts.get(pid, (0, 0))
        old_on_time, old_late = legacy.get(pid, (0, 0))
        history.on_time, history.late = on_time + old_on_time, late + old_late
        result[pid] = history
    return result
