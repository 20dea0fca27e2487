"""Concurrent pledges on PostgreSQL: the sum never exceeds the volume, nor a producer's max.

Each thread runs in its own app context (its own session and connection) of a second app
with a pool large enough for all of them; a barrier releases them at once. Skipped on
SQLite, where writers are serialised by the database lock anyway.
"""

from __future__ import annotations

import os
import threading

import pytest
from sqlalchemy import func, select

from marketplace.commitments import services
from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import Pledge, Producer, PurchaseCommitment, User

pytestmark = pytest.mark.skipif(
    not os.environ.get("MINKA_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="concurrency is proven on PostgreSQL (MINKA_TEST_DATABASE_URL)",
)


def race(app, attempts: list[tuple[int, int, int, int, int]]) -> list[object]:
    """Run pledge_volume(user, producer, commitment, farm, kg) for every attempt at once."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def attempt(k: int, user_id: int, producer_id: int, commitment_id: int, farm_id: int, kg: int):
        with app.app_context():
            try:
                user = _db.session.get(User, user_id)
                producer = _db.session.get(Producer, producer_id)
                _db.session.commit()  # end the read transaction before the race
                barrier.wait(timeout=30)
                services.pledge_volume(user, producer, commitment_id, farm_id, kg)
                results[k] = "ok"
            except DomainError as error:
                results[k] = error
            except Exception as error:  # anything else fails the test below
                results[k] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(k, *args)) for k, args in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a pledge never finished"
    return results


@pytest.fixture
def racing_app(make_app):
    """A second app on the test database whose pool has a connection for every thread."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 5})


def totals(db, commitment_id: int) -> tuple[int, int]:
    db.session.expire_all()
    commitment = db.session.get(PurchaseCommitment, commitment_id)
    active = db.session.scalar(
        select(func.coalesce(func.sum(Pledge.kg), 0)).where(
            Pledge.commitment_id == commitment_id, Pledge.status == "active"
        )
    )
    return commitment.pledged_kg, active


def test_twenty_producers_race_for_the_last_thousand_kg(
    db, racing_app, make_user, make_producer, make_farm, make_commitment
):
    commitment = make_commitment(volume_kg=1_000, min_kg_per_producer=100, max_kg_per_producer=100)
    attempts = []
    for _ in range(20):
        user = make_user("producer")
        producer = make_producer(user_id=user.id)
        farm = make_farm(producer)
        attempts.append((user.id, producer.id, commitment.id, farm.id, 100))

    results = race(racing_app, attempts)

    assert results.count("ok") == 10, results
    refusals = [r for r in results if r != "ok"]
    assert len(refusals) == 10
    for refusal in refusals:
        assert isinstance(refusal, DomainError), refusal
        message = str(refusal.message)
        assert refusal.field == "kg" and ("volumen" in message or "quedan" in message), message
    pledged, active = totals(db, commitment.id)
    assert pledged == active == 1_000
    assert db.session.get(PurchaseCommitment, commitment.id).status == "fulfilled"


def test_one_producer_firing_five_pledges_at_once_keeps_their_maximum(
    db, racing_app, make_user, make_producer, make_farm, make_commitment
):
    commitment = make_commitment(
        volume_kg=10_000, min_kg_per_producer=100, max_kg_per_producer=3_000
    )
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    farms = [make_farm(producer, name=f"Parcela {k}") for k in range(5)]
    attempts = [(user.id, producer.id, commitment.id, farm.id, 1_000) for farm in farms]

    results = race(racing_app, attempts)

    assert results.count("ok") == 3, results
    for refusal in (r for r in results if r != "ok"):
        assert isinstance(refusal, DomainError), refusal
        assert "máximo" in str(refusal.message)
    pledged, active = totals(db, commitment.id)
    assert pledged == active == 3_000


def test_pledges_that_do_not_divide_the_volume_stop_short_of_it(
    db, racing_app, make_user, make_producer, make_farm, make_commitment
):
    commitment = make_commitment(volume_kg=1_000, min_kg_per_producer=100, max_kg_per_producer=150)
    attempts = []
    for _ in range(12):
        user = make_user("producer")
        producer = make_producer(user_id=user.id)
        attempts.append((user.id, producer.id, commitment.id, make_farm(producer).id, 150))

    results = race(racing_app, attempts)

    assert results.count("ok") == 6, results
    for refusal in (r for r in results if r != "ok"):
        assert isinstance(refusal, DomainError), refusal
        assert "Solo quedan 100 kg" in str(refusal.message)
    pledged, active = totals(db, commitment.id)
    assert pledged == active == 900
    assert db.session.get(PurchaseCommitment, commitment.id).status == "open"
