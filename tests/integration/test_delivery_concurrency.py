"""Concurrent deliveries on PostgreSQL: a pledge's delivered total never passes its kg, and
concurrent check-offs never repay more than a loan's amount.

Each thread runs in its own app context (own session and connection) of a second app with a
pool for all of them; a barrier releases them at once. Skipped on SQLite (writers serialised).
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import CollectionCenter, Repayment, User
from marketplace.models.base import local_today
from marketplace.models.traceability import Delivery
from marketplace.traceability import deliveries
from tests.integration.deliveries import centre, pledge, producer_with_pledge
from tests.integration.loans import new_loan

pytestmark = pytest.mark.skipif(
    not os.environ.get("MINKA_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency is proven on PostgreSQL (MINKA_TEST_DATABASE_URL)",
)


def race(app, staff_id: int, center_id: int, attempts: list[tuple[int, int]]) -> list[object]:
    """Record a delivery of (pledge id, kg) for every attempt at once."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)
    yesterday = local_today() - timedelta(days=1)

    def attempt(k: int, pledge_id: int, kg: int):
        with app.app_context():
            try:
                staff = _db.session.get(User, staff_id)
                center = _db.session.get(CollectionCenter, center_id)
                _db.session.commit()  # end the read transaction before the race
                barrier.wait(timeout=30)
                data = deliveries.DeliveryData(pledge_id=pledge_id, kg=kg, delivered_on=yesterday)
                deliveries.record_delivery(staff, center, data)
                results[k] = "ok"
            except DomainError as error:
                results[k] = error
            except Exception as error:  # anything else fails the test below
                results[k] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(k, *a)) for k, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a delivery never finished"
    return results


@pytest.fixture
def racing_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 5})


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


def test_twelve_deliveries_race_for_a_thousand_kg_pledge(
    db, racing_app, world, make_producer, make_farm
):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=1_000)

    results = race(racing_app, world.staff.id, world.center.id, [(row.id, 150)] * 12)

    assert results.count("ok") == 6, results  # 900 kg; a seventh would make 1,050
    for refusal in (r for r in results if r != "ok"):
        assert isinstance(refusal, DomainError), refusal
        assert "supera lo comprometido" in str(refusal.message)
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
    results = race(racing_app, world.staff.id, world.center.id, [(p.id, 100) for p in pledges])

    assert results.count("ok") == 8, results
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
