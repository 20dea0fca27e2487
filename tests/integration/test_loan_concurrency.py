"""Orders racing for the last of a loan's balance: the balance is never overspent.

Same harness as test_order_concurrency (a thread and app context per order, one barrier).
On PostgreSQL (MINKA_TEST_DATABASE_URL) 20 threads race; on SQLite, which serialises
writers, 8 do.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db as _db
from marketplace.models import Listing, Loan, Order, Producer, User
from marketplace.orders import services
from tests.integration.loans import new_loan
from tests.integration.races import THREADS, race

PRICE = 2500
AFFORDABLE = 3  # the loan pays for this many orders of one unit


@pytest.fixture
def market(make_user, make_producer, make_farm, make_listing, make_center, make_credit_product):
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization, stock=THREADS * 2, price_minor=PRICE)
    center = make_center()
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer)
    # a little more than AFFORDABLE orders: the last order must not fit in what is left
    loan = new_loan(producer, make_credit_product(), PRICE * AFFORDABLE + PRICE // 2)
    return {
        "listing": listing.id,
        "center": center.id,
        "user": user.id,
        "producer": producer.id,
        "loan": loan.id,
    }


def ordering_on_credit(market: dict):
    """A job that loads the producer, then (after the barrier) orders one unit on credit."""

    def prepare():
        user = _db.session.get(User, market["user"])
        producer = _db.session.get(Producer, market["producer"])
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
                secrets.token_urlsafe(24),
                payment_method="credit",
                loan_id=market["loan"],
            )
            return order.id

        return go

    return prepare


def test_the_last_of_a_loans_balance_is_never_overspent(db, racing_app, market):
    results = race(racing_app, [ordering_on_credit(market)] * THREADS)

    assert not [r for r in results if r[0] == "error"], results
    won = [r for r in results if r[0] == "ok"]
    refused = [r for r in results if r[0] == "refused"]
    assert len(won) == AFFORDABLE
    assert len(refused) == THREADS - AFFORDABLE
    assert all("le quedan" in message for _, message in refused), refused
    db.session.expire_all()
    loan = db.session.get(Loan, market["loan"])
    assert loan.used_minor == PRICE * AFFORDABLE <= loan.amount_minor
    assert db.session.scalar(select(func.count(Order.id))) == AFFORDABLE
    assert db.session.scalar(select(func.sum(Order.total_minor))) == loan.used_minor
    # refused orders gave their stock back with the rollback
    stock = db.session.scalar(select(Listing.stock).where(Listing.id == market["listing"]))
    assert stock == THREADS * 2 - AFFORDABLE
