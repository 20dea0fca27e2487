"""Concurrent lot changes on PostgreSQL: two staff merging the same two lots each way at
once, or splitting a lot while its weight is set, never lose a delivery or a kilo.

Each thread has its own app context (session and connection); a barrier releases them at
once. Skipped on SQLite (writers serialised).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db as _db
from marketplace.models import User
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import lot_changes, lots
from tests.integration.deliveries import centre, deliver, producer_with_pledge
from tests.integration.races import outcomes, postgres_only, race

pytestmark = postgres_only


def as_staff(staff_id: int, action):
    """A job that loads the staff member, then (after the barrier) runs action(staff)."""

    def prepare():
        staff = _db.session.get(User, staff_id)
        return lambda: action(staff)

    return prepare


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

    jobs = [as_staff(world.staff.id, merge(a, b)), as_staff(world.staff.id, merge(b, a))] * 3
    won, _ = outcomes(race(racing_app, jobs))
    assert len(won) == 1
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

    outcomes(race(racing_app, [as_staff(world.staff.id, split), as_staff(world.staff.id, weigh)]))
    db.session.expire_all()
    rows = db.session.scalars(select(Lot).where(Lot.status == "open")).all()
    total = sum(lot.weight_kg for lot in rows)
    assert total in (980, 1_000)
    for lot in rows:
        assert lot.weight_kg <= lots.capacity_kg(lot)
