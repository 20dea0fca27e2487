"""Concurrent shipments on PostgreSQL: a lot that several shipments try to take at once ends
in exactly one of them; the others are refused with a plain message.

Each thread runs in its own app context (own session and connection) of a second app with a
pool for all of them; a barrier releases them at once. Skipped on SQLite (writers serialised).
"""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db as _db
from marketplace.models import Shipment, ShipmentLot, User
from marketplace.traceability import shipments
from tests.integration.deliveries import centre
from tests.integration.races import outcomes, postgres_only, race
from tests.integration.test_shipments import closed_lot, data

pytestmark = postgres_only


def adding(buyer_id: int, shipment_id: int, lot_id: int):
    """A job that loads a shipment, then (after the barrier) adds the lot to it."""

    def prepare():
        buyer = _db.session.get(User, buyer_id)
        shipment = _db.session.get(Shipment, shipment_id)
        return lambda: shipments.add_lots(buyer, shipment, [lot_id])

    return prepare


def test_ten_shipments_race_for_one_lot(
    db, racing_app, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    world = centre(make_org, make_user, make_center, make_commitment)
    lot = closed_lot(world, make_producer, make_farm)
    ids = [shipments.create_shipment(world.buyer, data()).id for _ in range(10)]

    won, refused = outcomes(race(racing_app, [adding(world.buyer.id, s, lot.id) for s in ids]))

    assert len(won) == 1 and all("otro embarque" in message for message in refused), refused
    _db.session.expire_all()
    assert len(_db.session.scalars(select(ShipmentLot)).all()) == 1
