"""Concurrent lot changes on PostgreSQL: two staff merging the same two lots each way at
once, or splitting a lot while its weight is set, never lose a delivery or a kilo.

Each thread has its own app context (session and connection); a barrier releases them at
once. Skipped on SQLite (writers serialised).
"""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import User
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import lot_changes, lots
from tests.integration.deliveries import centre, deliver, producer_with_pledge

pytestmark = pytest.mark.skipif(
    not os.environ.get("MINKA_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency is proven on PostgreSQL (MINKA_TEST_DATABASE_URL)",
)


def race(app, staff_id: int, actions) -> list[object]:
    """Run every action(staff) at once, each in its own app context."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def attempt(k: int, action):
        with app.app_context():
            try:
                staff = _db.session.get(User, staff_id)
                _db.session.commit()
                barrier.wait(timeout=30)
                action(staff)
                results[k] = "ok"
            except DomainError as error:
                results[k] = error
            except Exception as error:  # anything else fails the test below
                results[k] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(k, a)) for k, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def racing_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 5})


@pytest.fixture
def two_lots(db, make_org, make_user, make_center, make_commitment, make_producer, make_farm):
    world = centre(make_org, make_user, make_center, make_commitment)
    made = []
    for kg in (600, 400):
        _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=kg, risk_status="free")
        delivery = deliver(world, row, kg)
        lot = lots.create_lot(world.staff, world.center, world.commitment.id)
        lots.add_deliveries(world.staff, lot, [delivery.id])
        lots.set_weight(world.staff, lot, kg - 10)
        made.append(lot.id)
    return world, made


def test_merging_two_lots_each_way_at_once_merges_once(db, racing_app, two_lots):
    world, (a, b) = two_lots

    def merge(target_id, other_id):
        return lambda staff: lot_changes.merge_lots(
            staff, _db.session.get(Lot, target_id), other_id
        )

    results = race(racing_app, world.staff.id, [merge(a, b), merge(b, a)] * 3)
    assert results.count("ok") == 1, results
    assert all(r == "ok" or isinstance(r, DomainError) for r in results), results
    db.session.expire_all()
    open_lots = db.session.scalars(select(Lot).where(Lot.status == "open")).all()
    assert len(open_lots) == 1 and open_lots[0].weight_kg == 980
    assert (
        db.session.scalar(select(func.count(Delivery.id)).where(Delivery.lot_id == open_lots[0].id))
        == 2
    )


def test_a_split_racing_a_weight_change_keeps_the_balance(db, racing_app, two_lots):
    world, (a, b) = two_lots
    lot_changes.merge_lots(world.staff, db.session.get(Lot, a), b)
    moving = db.session.scalars(select(Delivery.id).where(Delivery.kg == 400)).all()

    def split(staff):
        lot_changes.split_lot(staff, _db.session.get(Lot, a), moving)

    def weigh(staff):
        lots.set_weight(staff, _db.session.get(Lot, a), 1_000)

    results = race(racing_app, world.staff.id, [split, weigh])
    assert all(r == "ok" or isinstance(r, DomainError) for r in results), results
    db.session.expire_all()
    rows = db.session.scalars(select(Lot).where(Lot.status == "open")).all()
    total = sum(lot.weight_kg for lot in rows)
    assert total in (980, 1_000)
    for lot in rows:
        assert lot.weight_kg <= lots.capacity_kg(lot)
