"""Orders under concurrent requests: the last units are never oversold, two moves of one order
never both win, and a double submit makes one order.

Each thread works in its own app context, hence its own session and connection, and a
barrier starts them together. On PostgreSQL (MINKA_TEST_DATABASE_URL) 20 threads race; on
SQLite, which serialises writers, a smaller race checks the same logic.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db as _db
from marketplace.models import Listing, Order, Producer, User
from marketplace.orders import services
from tests.integration.races import ON_POSTGRES, ROUNDS, THREADS, race

STOCK = 5 if ON_POSTGRES else 3


@pytest.fixture
def market(make_user, make_org, make_producer, make_farm, make_listing, make_center):
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization, stock=STOCK, price_minor=2500)
    center = make_center()
    buyers = []
    for _ in range(THREADS):
        user = make_user("producer")
        producer = make_producer(user_id=user.id)
        make_farm(producer)
        buyers.append((user.id, producer.id))
    return {"supplier": supplier.id, "listing": listing.id, "center": center.id, "buyers": buyers}


def ordering(market: dict, user_id: int, producer_id: int, token: str | None = None):
    """A job that loads a producer, then (after the barrier) orders one unit."""

    def prepare():
        user = _db.session.get(User, user_id)
        producer = _db.session.get(Producer, producer_id)
        _ = producer.farms

        def go():
            order = services.place_order(
                user,
                producer,
                market["listing"],
                1,
                "collection_center",
                market["center"],
                None,
                "",
                token or secrets.token_urlsafe(24),
            )
            return order.id

        return go

    return prepare


def test_the_last_units_are_never_oversold(db, racing_app, market):
    jobs = [ordering(market, u, p) for u, p in market["buyers"]]
    results = race(racing_app, jobs)

    assert not [r for r in results if r[0] == "error"], results
    won = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(won) == STOCK
    assert len(refused) == THREADS - STOCK
    assert all("No hay suficiente stock" in message for _, message in refused)
    db.session.expire_all()
    assert db.session.scalar(select(Listing.stock).where(Listing.id == market["listing"])) == 0
    assert db.session.scalar(select(func.count(Order.id))) == STOCK
    assert db.session.scalar(select(func.sum(Order.quantity))) == STOCK


def test_a_double_submit_from_two_threads_makes_one_order(db, racing_app, market, make_listing):
    supplier = db.session.get(User, market["supplier"])
    listing = make_listing(supplier.organization, stock=100)
    market = {**market, "listing": listing.id}
    user_id, producer_id = market["buyers"][0]
    token = secrets.token_urlsafe(24)
    for _ in range(ROUNDS):
        results = race(racing_app, [ordering(market, user_id, producer_id, token)] * 2)
        assert [status for status, _ in results] == ["ok", "ok"], results
        assert results[0][1] == results[1][1]
        token = secrets.token_urlsafe(24)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Order.id))) == ROUNDS
    assert db.session.scalar(select(Listing.stock).where(Listing.id == listing.id)) == 100 - ROUNDS


def test_confirm_and_cancel_at_once_only_one_wins(db, racing_app, market, make_listing):
    supplier = db.session.get(User, market["supplier"])
    listing = make_listing(supplier.organization, stock=ROUNDS * 2)
    market = {**market, "listing": listing.id}
    user_id, producer_id = market["buyers"][0]
    orders = []
    for _ in range(ROUNDS):
        with racing_app.app_context():
            orders.append(ordering(market, user_id, producer_id)()())

    def move(actor_id: int, order_id: int, cancel: bool):
        def prepare():
            actor = _db.session.get(User, actor_id)
            order = _db.session.get(Order, order_id)
            _ = order.status, order.producer.user_id, order.listing.kind

            def go():
                if cancel:
                    return services.cancel(actor, order).status
                return services.confirm(actor, order).status

            return go

        return prepare

    outcomes = set()
    for order_id in orders:
        results = race(
            racing_app,
            [move(market["supplier"], order_id, False), move(user_id, order_id, True)],
        )
        assert not [r for r in results if r[0] == "error"], results
        assert sorted(status for status, _ in results) == ["ok", "refused"], results
        winner = next(value for status, value in results if status == "ok")
        outcomes.add(winner)
        db.session.expire_all()
        assert db.session.get(Order, order_id).status == winner
    cancelled = sum(db.session.get(Order, order_id).status == "cancelled" for order_id in orders)
    # Cancelled orders gave their unit back; confirmed ones kept it.
    stock = db.session.scalar(select(Listing.stock).where(Listing.id == listing.id))
    assert stock == ROUNDS * 2 - ROUNDS + cancelled
    assert outcomes <= {"confirmed", "cancelled"}
