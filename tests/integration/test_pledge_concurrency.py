"""Concurrent pledges on PostgreSQL: the sum never exceeds the volume, nor a producer's max.

Each thread runs in its own app context (its own session and connection) of a second app
with a pool large enough for all of them; a barrier releases them at once. Skipped on
SQLite, where writers are serialised by the database lock anyway.
"""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.commitments import services
from marketplace.extensions import db as _db
from marketplace.models import Pledge, Producer, PurchaseCommitment, User
from tests.integration.races import outcomes, postgres_only, race

pytestmark = postgres_only


def pledging(user_id: int, producer_id: int, commitment_id: int, farm_id: int, kg: int):
    """A job that loads the producer, then (after the barrier) pledges `kg` from a farm."""

    def prepare():
        user = _db.session.get(User, user_id)
        producer = _db.session.get(Producer, producer_id)
        return lambda: services.pledge_volume(user, producer, commitment_id, farm_id, kg)

    return prepare


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

    won, refused = outcomes(race(racing_app, [pledging(*a) for a in attempts]))

    assert (len(won), len(refused)) == (10, 10)
    for message in refused:
        assert "volumen" in message or "quedan" in message, message
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

    won, refused = outcomes(race(racing_app, [pledging(*a) for a in attempts]))

    assert len(won) == 3 and all("máximo" in message for message in refused), refused
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

    won, refused = outcomes(race(racing_app, [pledging(*a) for a in attempts]))

    assert len(won) == 6 and all("Solo quedan 100 kg" in message for message in refused)
    pledged, active = totals(db, commitment.id)
    assert pledged == active == 900
    assert db.session.get(PurchaseCommitment, commitment.id).status == "open"
