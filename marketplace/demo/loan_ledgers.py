"""The demo's loans still being repaid, on their real schedules: each gets its product's
schedule from its disbursement (credit/loan_terms.py), and repayments along it up to the
day the world is built — most borrowers pay on time, some late, a few stopped paying — so
the lender's portfolio has loans at risk (PAR30, PAR90) and the ledger has late charges.

Repayments are drawn instalment by instalment against the ledger itself (credit/ledger.py):
a payment is what that instalment asks on the day it is paid, late charge included, so the
stored ledger is exactly what the app computes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from marketplace.credit import balances, ledger, loan_terms
from marketplace.demo import bulk
from marketplace.extensions import db
from marketplace.models import Farm, Loan, LoanInstalment, LoanStatus, Repayment
from marketplace.models.base import local_date, local_today

# how borrowers still repaying behave: on time, late by days, stopped paying
PUNCTUAL, LATE_PAYER, STOPPED = range(3)
BEHAVIOUR_SHARES = (0.72, 0.18, 0.10)
LATE_DAYS = (5, 50)


def _main_chains(producer_ids: list[int]) -> dict[int, str]:
    """Each producer's value chain of her largest farm (what times a harvest loan)."""
    rows = db.session.execute(
        select(Farm.producer_id, Farm.value_chain)
        .where(Farm.producer_id.in_(producer_ids))
        .order_by(Farm.producer_id, Farm.productive_ha.desc(), Farm.id)
    )
    chains: dict[int, str] = {}
    for producer_id, chain in rows:
        chains.setdefault(producer_id, chain)
    return chains


def _repayments(
    rng: np.random.Generator,
    planned: list[ledger.Planned],
    late_rate: float,
    opened_on: date,
    today: date,
) -> list[tuple[date, int]]:
    """Repayments up to ``today`` of one borrower, drawn by behaviour."""
    behaviour = rng.choice(3, p=BEHAVIOUR_SHARES)
    stop = int(rng.integers(0, len(planned))) if behaviour == STOPPED else len(planned)
    paid: list[tuple[date, int]] = []
    for line in planned[:stop]:
        delay = (
            int(rng.integers(*LATE_DAYS)) if behaviour == LATE_PAYER else -int(rng.integers(0, 4))
        )
        on = line.due_on + timedelta(days=delay)
        if on > today:
            break
        standing = ledger.run(planned, paid, on, late_rate, opened_on)
        owed = sum(
            other.unpaid_minor for other in standing.lines if other.due_on <= max(on, line.due_on)
        )
        owed = min(owed, standing.payoff_minor)
        if owed > 0:
            paid.append((on, owed))
    return paid


def follow_schedules(rng: np.random.Generator, anchor_day: date) -> dict[str, int]:
    """Store the schedules of the disbursed demo loans and their repayments; {table: count}."""
    loans = db.session.scalars(
        select(Loan)
        .where(Loan.status == LoanStatus.DISBURSED)
        .options(selectinload(Loan.credit_product))
        .order_by(Loan.id)
    ).all()
    if not loans:
        return {}
    today = max(local_today(), anchor_day)
    chains = _main_chains(sorted({loan.producer_id for loan in loans}))
    instalments: dict[str, list] = {}
    repayments: dict[str, list] = {}
    balance: dict[int, int] = {}
    closed: dict[int, date] = {}
    for loan in loans:
        opened_on = local_date(loan.disbursed_at)
        schedule = loan_terms.schedule_for(
            loan.credit_product, loan.amount_minor, chains.get(loan.producer_id), opened_on
        )
        planned = ledger.planned(schedule.payments)
        late_rate = balances.late_rate(loan)
        paid = _repayments(rng, planned, late_rate, opened_on, today)
        standing = ledger.run(planned, paid, today, late_rate, opened_on)
        for payment, line in zip(schedule.payments, standing.lines, strict=True):
            for key, value in (
                ("loan_id", loan.id),
                ("number", payment.number),
                ("month", payment.month),
                ("due_on", payment.due_on),
                ("capital_minor", payment.capital_minor),
                ("interest_minor", payment.interest_minor),
                ("insurance_minor", payment.insurance_minor),
                ("fee_minor", payment.fee_minor),
                ("due_minor", line.due_minor),
                ("late_charge_minor", line.late_charge_minor),
                ("paid_minor", line.paid_minor),
                ("paid_on", line.paid_on),
            ):
                instalments.setdefault(key, []).append(value)
        for (on, amount), late in zip(paid, standing.late_repayments, strict=True):
            for key, value in (
                ("loan_id", loan.id),
                ("amount_minor", amount),
                ("paid_on", on),
                ("outcome", "late" if late else "on_time"),
                ("recorded_by_id", loan.approved_by_id),
                ("created_at", _noon(on)),
            ):
                repayments.setdefault(key, []).append(value)
        balance[loan.id] = standing.capital_outstanding_minor
        if standing.fully_paid:
            closed[loan.id] = max(on for on, _ in paid)
    counts = {
        "loan_instalment": bulk.insert_columns(
            LoanInstalment,
            {"id": bulk.reserve_ids(LoanInstalment, len(instalments["loan_id"])), **instalments},
        )
    }
    if repayments:
        counts["repayment (open loans)"] = bulk.insert_columns(
            Repayment,
            {"id": bulk.reserve_ids(Repayment, len(repayments["loan_id"])), **repayments},
        )
    db.session.execute(
        update(Loan),
        [{"id": loan_id, "balance_minor": value} for loan_id, value in balance.items()],
    )
    if closed:  # repaid in full before the world was built
        db.session.execute(
            update(Loan),
            [
                {"id": loan_id, "status": LoanStatus.REPAID, "closed_at": _noon(day)}
                for loan_id, day in closed.items()
            ],
        )
    return counts


def answer_some(rng: np.random.Generator, share_waiting: float, share_declined: float) -> dict:
    """Turn a few disbursed demo loans back into offers: some approved and waiting for the
    producer's answer, some she declined (before follow_schedules)."""
    ids = db.session.scalars(
        select(Loan.id).where(Loan.status == LoanStatus.DISBURSED).order_by(Loan.id)
    ).all()
    draw = rng.random(len(ids))
    waiting = [i for i, u in zip(ids, draw, strict=True) if u < share_waiting]
    declined = [
        i
        for i, u in zip(ids, draw, strict=True)
        if share_waiting <= u < share_waiting + share_declined
    ]
    unanswered = {"accepted_at": None, "accepted_in_person": False, "disbursed_at": None}
    if waiting:
        db.session.execute(
            update(Loan)
            .where(Loan.id.in_(waiting))
            .values(status=LoanStatus.APPROVED, **unanswered)
        )
    if declined:
        db.session.execute(
            update(Loan)
            .where(Loan.id.in_(declined))
            .values(status=LoanStatus.DECLINED, closed_at=Loan.approved_at, **unanswered)
        )
    return {"loan (awaiting her answer)": len(waiting), "loan (declined)": len(declined)}


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)
