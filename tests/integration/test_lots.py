"""Lots: mass balance, the worst risk of their deliveries, closing a deforestation-free lot."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import lots
from tests.integration.deliveries import centre, deliver, pledge, producer_with_pledge


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


def delivered(world, make_producer, make_farm, kg: int, status: str) -> Delivery:
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=kg, risk_status=status)
    return deliver(world, row, kg)


def test_worst_status_follows_the_risk_order():
    assert lots.worst_status(["free", "verified", "needs_verification"]) == "needs_verification"
    assert lots.worst_status(["free", "at_risk", "unassessed"]) == "at_risk"
    assert lots.worst_status(["free", "verified"]) == "verified"
    assert lots.worst_status([]) == "unassessed"
    assert lots.is_deforestation_free(["free", "verified"])
    assert not lots.is_deforestation_free(["free", "unassessed"])
    assert not lots.is_deforestation_free([])


def test_a_lot_weighs_at_most_what_entered_it(db, world, make_producer, make_farm):
    a = delivered(world, make_producer, make_farm, 600, "free")
    b = delivered(world, make_producer, make_farm, 400, "free")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    assert lot.code == f"LOT-PE-{lot.id:06d}"
    lots.add_deliveries(world.staff, lot, [a.id, b.id])

    with pytest.raises(DomainError) as refused:
        lots.set_weight(world.staff, lot, 1_001)
    assert refused.value.field == "weight_kg"
    assert "1,000 kg" in str(refused.value.message) and "balance de masa" in str(
        refused.value.message
    )
    db.session.expire_all()
    assert db.session.get(Lot, lot.id).weight_kg == 0

    assert lots.set_weight(world.staff, lot, 1_000).weight_kg == 1_000
    # taking a delivery out would leave less than the lot's weight
    with pytest.raises(DomainError, match="corrija primero el peso"):
        lots.remove_delivery(world.staff, lot, b.id)
    assert db.session.get(Delivery, b.id).lot_id == lot.id


def test_a_lot_inherits_the_worst_risk_and_cannot_close_at_risk(
    db, world, make_producer, make_farm
):
    free = delivered(world, make_producer, make_farm, 500, "free")
    checked = delivered(world, make_producer, make_farm, 300, "needs_verification")
    cleared = delivered(world, make_producer, make_farm, 200, "at_risk")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)

    lots.add_deliveries(world.staff, lot, [free.id, checked.id])
    assert db.session.get(Lot, lot.id).risk_status == "needs_verification"
    lots.add_deliveries(world.staff, lot, [cleared.id])
    assert db.session.get(Lot, lot.id).risk_status == "at_risk"

    lots.set_weight(world.staff, lot, 780)
    with pytest.raises(DomainError, match="no puede venderse como libre de deforestación"):
        lots.close_lot(world.staff, lot)
    assert db.session.get(Lot, lot.id).status == "open"

    lots.remove_delivery(world.staff, lot, cleared.id)
    closed = lots.close_lot(world.staff, lot)
    assert closed.status == "closed" and closed.risk_status == "needs_verification"
    with pytest.raises(DomainError, match="cerrado"):
        lots.add_deliveries(world.staff, lot, [cleared.id])


def test_a_lot_at_risk_closes_when_the_commitment_does_not_require_deforestation_free(
    db, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    world = centre(make_org, make_user, make_center, make_commitment, deforestation_free=False)
    cleared = delivered(world, make_producer, make_farm, 200, "at_risk")
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [cleared.id])
    lots.set_weight(world.staff, lot, 190)

    assert lots.close_lot(world.staff, lot).risk_status == "at_risk"


def test_a_lot_takes_only_free_deliveries_of_its_commitment_and_centre(
    db, world, make_producer, make_farm, make_commitment
):
    mine = delivered(world, make_producer, make_farm, 300, "free")
    other_commitment = make_commitment(
        world.buyer.organization, collection_center_id=world.center.id
    )
    producer, farm, _ = producer_with_pledge(make_producer, make_farm, world)
    foreign = deliver(world, pledge(other_commitment, farm, 300), 300)
    first = lots.create_lot(world.staff, world.center, world.commitment.id)
    second = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, first, [mine.id])

    for ids in ([mine.id], [foreign.id]):
        with pytest.raises(DomainError, match="otro lote o no es de este compromiso"):
            lots.add_deliveries(world.staff, second, ids)
    assert db.session.scalars(select(Delivery.id).where(Delivery.lot_id == second.id)).all() == []
    assert lots.addable_deliveries(second) == []


def test_a_lot_needs_a_weight_before_closing(db, world):
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    with pytest.raises(DomainError, match="peso"):
        lots.close_lot(world.staff, lot)
