"""Concurrent deliveries on PostgreSQL: a pledge's delivered total never passes its kg, and
concurrent check-offs never repay more than a loan's amount.

Each thread runs in its own app context (own session and connection) of a second app with a
pool for all of them; a barrier releases them at once. Skipped on SQLite (writers serialised).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.credit import balances
from marketplace.extensions import db as _db
from marketplace.models import CollectionCenter, Repayment, User
from marketplace.models.base import local_today, utcnow
from marketplace.models.traceability import Delivery
from marketplace.traceability import deliveries
from tests.integration.deliveries import centre, pledge, producer_with_pledge
from tests.integration.loans import new_loan
from tests.integration.races import outcomes, postgres_only, race

pytestmark = postgres_only


def delivering(staff_id: int, center_id: int, pledge_id: int, kg: int):
    """A job that loads the centre, then (after the barrier) records a delivery of `kg`."""

    def prepare():
        staff = _db.session.get(User, staff_id)
        center = _db.session.get(CollectionCenter, center_id)
        yesterday = local_today() - timedelta(days=1)
        data = deliveries.DeliveryData(pledge_id=pledge_id, kg=kg, delivered_on=yesterday)
        return lambda: deliveries.record_delivery(staff, center, data)

    return prepare


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


def test_twelve_deliveries_race_for_a_thousand_kg_pledge(
    db, racing_app, world, make_producer, make_farm
):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=1_000)

    jobs = [delivering(world.staff.id, world.center.id, row.id, 150)] * 12
    won, refused = outcomes(race(racing_app, jobs))

    assert len(won) == 6  # 900 kg; a seventh would make 1,050
    assert all("supera lo comprometido" in message for message in refused), refused
    db.session.expire_all()
    total = db.session.scalar(select(func.sum(Delivery.kg)).where(Delivery.pledge_id == row.id))
    assert total == 900


def test_concurrent_checkoffs_never_repay_more_than_the_loan(
    db, racing_app, world, make_producer, make_farm, make_credit_product
):
    producer, farm, _ = producer_with_pledge(make_producer, make_farm, world, kg=100)
    pledges = [pledge(world.commitment, make_farm(producer, name=f"P{k}"), 1_000) for k in range(8)]
    loan = new_loan(producer, make_credit_product(), amount_minor=100_000)

    # each 100 kg delivery is worth 95,000 and would deduct 28,500: 8 x 28,500 > 100,000
    jobs = [delivering(world.staff.id, world.center.id, p.id, 100) for p in pledges]
    won, _ = outcomes(race(racing_app, jobs))

    assert len(won) == 8
    db.session.expire_all()
    repaid = db.session.scalar(
        select(func.sum(Repayment.amount_minor)).where(Repayment.loan_id == loan.id)
    )
    deducted = db.session.scalar(select(func.sum(Delivery.deduction_minor)))
    assert repaid == deducted == 100_000
    assert sorted(db.session.scalars(select(Delivery.deduction_minor))) == [0] * 4 + [
        14_500,
        28_500,
        28_500,
        28_500,
    ]


def test_concurrent_deliveries_pay_the_due_instalments_once(
    db, racing_app, world, make_producer, make_farm, make_credit_product
):
    """Under an offtake product the first delivery to take the row pays the instalments due;
    the others, seeing them paid, take the share; together never more than the payoff."""
    producer, farm, _ = producer_with_pledge(make_producer, make_farm, world, kg=100)
    pledges = [pledge(world.commitment, make_farm(producer, name=f"P{k}"), 1_000) for k in range(6)]
    product = make_credit_product(repayment="monthly", grace_months=0, requires_offtake=True)
    loan = new_loan(
        producer, product, amount_minor=300_000, disbursed_at=utcnow() - timedelta(days=45)
    )
    rows = balances.fix_schedule(loan)
    db.session.commit()
    due = rows[0].due_minor + rows[1].due_minor  # overdue, and due within a month

    jobs = [delivering(world.staff.id, world.center.id, p.id, 100) for p in pledges]
    won, _ = outcomes(race(racing_app, jobs))

    assert len(won) == 6
    db.session.expire_all()
    deductions = sorted(db.session.scalars(select(Delivery.deduction_minor)))
    assert due > 28_500 and deductions == sorted([due] + [28_500] * 5)
    repaid = db.session.scalar(
        select(func.sum(Repayment.amount_minor)).where(Repayment.loan_id == loan.id)
    )
    assert repaid == sum(deductions)
