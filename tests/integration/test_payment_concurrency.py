"""Card payments under concurrent webhook deliveries and cancellations: nothing is confirmed,
refunded or counted twice, and a cancelled order is never brought back, in any interleaving
the threads make. Each thread has its own app context (session, connection); a barrier
starts them together. PostgreSQL runs it with MINKA_TEST_DATABASE_URL, like the other races.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db as _db
from marketplace.models import AuditLog, Notification, Order, User
from marketplace.orders import services
from tests.conftest import stripe_config
from tests.integration.cards import completed_event, deliver, fresh, pay, pending_order
from tests.integration.races import ROUNDS, THREADS, race


@pytest.fixture
def racing_app(make_app, stripe):
    """A second app on the test database, pointed at the fake Stripe, with a pool for every
    thread."""
    return make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 2, "max_overflow": 0},
        **stripe_config(stripe),
    )


def delivering(app, event: dict):
    def prepare():
        client = app.test_client()
        return lambda: deliver(client, event).get_json()["result"]

    return prepare


def count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def refunds_of(fake, intent_id: str) -> list[dict]:
    return [c for c in fake.calls_to("POST", "/v1/refunds")
            if c["data"].get("payment_intent") == intent_id]  # fmt: skip


def test_one_event_delivered_many_times_at_once_confirms_once(db, racing_app, card_shop):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.complete(session_id)
    event = completed_event(card_shop.stripe, session_id)

    results = race(racing_app, [delivering(racing_app, event)] * THREADS)

    assert sorted(value for _, value in results) == ["paid"] + ["replay"] * (THREADS - 1), results
    assert fresh(order).payment_status == "paid"
    assert count(db, AuditLog, AuditLog.action == "payment.paid") == 1
    assert count(db, Notification, Notification.kind == "payment.paid") == 2


def test_distinct_events_for_one_payment_at_once_confirm_once(db, racing_app, card_shop):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.complete(session_id)
    jobs = [delivering(racing_app, completed_event(card_shop.stripe, session_id))
            for _ in range(THREADS)]  # fmt: skip

    results = race(racing_app, jobs)

    values = sorted(value for _, value in results)
    assert values == ["already_paid"] * (THREADS - 1) + ["paid"], results
    assert count(db, AuditLog, AuditLog.action == "payment.paid") == 1
    assert card_shop.stripe.calls_to("POST", "/v1/refunds") == []


def cancelling(app, user_id: int, order_id: int, reason: str = ""):
    def prepare():
        actor = _db.session.get(User, user_id)
        order = _db.session.get(Order, order_id)
        _ = order.status, order.producer.user_id, order.listing.kind

        def go():
            return services.cancel(actor, order, reason).status

        return go

    return prepare


def test_a_cancellation_racing_a_completion_refunds_exactly_once(db, racing_app, card_shop):
    card_shop.listing.stock = 100
    db.session.commit()
    outcomes = []
    for _ in range(ROUNDS):
        order, session_id = pending_order(card_shop, 1)
        intent = card_shop.stripe.complete(session_id)  # paid at Stripe; the event is on its way
        event = completed_event(card_shop.stripe, session_id)

        results = race(
            racing_app,
            [cancelling(racing_app, card_shop.user.id, order.id), delivering(racing_app, event)],
        )

        assert [status for status, _ in results] == ["ok", "ok"], results
        outcomes.append(results[1][1])
        order = fresh(order)
        assert (order.status, order.payment_status) == ("cancelled", "refunded"), results
        assert order.refunded_minor == order.paid_minor == order.total_minor
        assert len(refunds_of(card_shop.stripe, intent["id"])) == 1, results
    assert set(outcomes) <= {"paid", "refunded_late"}
    db.session.expire_all()
    assert card_shop.listing.stock == 100  # every cancelled unit came back, once


def test_two_cancellations_of_a_paid_order_refund_once(db, racing_app, card_shop):
    order, session_id = pending_order(card_shop)
    pay(racing_app.test_client(), card_shop.stripe, session_id)
    supplier = card_shop.supplier.id

    results = race(
        racing_app,
        [cancelling(racing_app, supplier, order.id, "Sin stock")] * 2,
    )

    assert sorted(status for status, _ in results) == ["ok", "refused"], results
    order = fresh(order)
    assert (order.status, order.payment_status, order.refunded_minor) == (
        "cancelled", "refunded", 9000)  # fmt: skip
    assert len(refunds_of(card_shop.stripe, order.last_payment.stripe_payment_intent_id)) == 1
