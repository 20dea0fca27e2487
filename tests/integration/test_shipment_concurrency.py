"""Concurrent shipments on PostgreSQL: a lot that several shipments try to take at once ends
in exactly one of them; the others are refused with a plain message.

Each thread runs in its own app context (own session and connection) of a second app with a
pool for all of them; a barrier releases them at once. Skipped on SQLite (writers serialised).
"""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import Shipment, ShipmentLot, User
from marketplace.traceability import shipments
from tests.integration.deliveries import centre
from tests.integration.test_shipments import closed_lot, data

pytestmark = pytest.mark.skipif(
    not os.environ.get("MINKA_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency is proven on PostgreSQL (MINKA_TEST_DATABASE_URL)",
)


def race(app, buyer_id: int, shipment_ids: list[int], lot_id: int) -> list[object]:
    """Every shipment adds the lot at once."""
    barrier = threading.Barrier(len(shipment_ids))
    results: list[object] = [None] * len(shipment_ids)

    def attempt(k: int, shipment_id: int):
        with app.app_context():
            try:
                buyer = _db.session.get(User, buyer_id)
                shipment = _db.session.get(Shipment, shipment_id)
                _db.session.commit()  # end the read transaction before the race
                barrier.wait(timeout=30)
                shipments.add_lots(buyer, shipment, [lot_id])
                results[k] = "ok"
            except DomainError as error:
                results[k] = error
            except Exception as error:  # anything else fails the test below
                results[k] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(k, s)) for k, s in enumerate(shipment_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an attempt never finished"
    return results


@pytest.fixture
def racing_app(make_app):
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 15, "max_overflow": 5})


def test_ten_shipments_race_for_one_lot(
    db, racing_app, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    world = centre(make_org, make_user, make_center, make_commitment)
    lot = closed_lot(world, make_producer, make_farm)
    ids = [shipments.create_shipment(world.buyer, data()).id for _ in range(10)]

    results = race(racing_app, world.buyer.id, ids, lot.id)

    assert results.count("ok") == 1, results
    refused = [r for r in results if r != "ok"]
    assert all(isinstance(r, DomainError) and "otro embarque" in r.message for r in refused)
    _db.session.expire_all()
    assert len(_db.session.scalars(select(ShipmentLot)).all()) == 1
