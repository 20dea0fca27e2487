"""Cash at OXXO stores (Mexico) through Stripe Checkout: the producer gets a voucher with its
reference and expiry, the order is paid only when Stripe says the voucher was paid
(async_payment_succeeded), and a voucher that expires unpaid or a session closed before
any voucher leaves the order payable again."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import Notification, Order, OrderRefund
from marketplace.orders import services
from marketplace.payments import checkout, methods, states
from tests import stripe_fake
from tests.conftest import signed_in_client
from tests.integration.cards import LINKS, deliver, fresh, pending_order, place_card_order
from tests.integration.pages import html_of


def text(response) -> str:
    return re.sub(r"\s+", " ", html_of(response))


def event(fake, kind: str, session_id: str) -> dict:
    return stripe_fake.event(kind, dict(fake.sessions[session_id]))


def send(client, fake, kind: str, session_id: str) -> str:
    response = deliver(client, event(fake, f"checkout.session.{kind}", session_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["result"]


def kinds(db) -> list[str]:
    db.session.expire_all()
    return [n.kind for n in db.session.scalars(select(Notification).order_by(Notification.id))]


def with_voucher(client, shop):
    order, session_id = pending_order(shop, 2, "oxxo")
    shop.stripe.issue_voucher(session_id)
    assert send(client, shop.stripe, "completed", session_id) == "voucher_issued"
    return fresh(order), session_id


def test_a_mexican_supplier_with_stripe_offers_oxxo(db, card_shop):
    assert methods.offered(card_shop.supplier.organization_id) == ("cash", "credit", "card", "oxxo")


def test_the_session_asks_for_an_oxxo_voucher(db, card_shop):
    order, session_id = pending_order(card_shop, 2, "oxxo")
    sent = card_shop.stripe.calls_to("POST", "/v1/checkout/sessions")[0]["data"]
    assert sent["allowed_payment_method_types"] == ["oxxo"]
    assert sent["payment_method_options"] == {"oxxo": {"expires_after_days": "3"}}
    assert fresh(order).payment_status == "pending"


def test_the_producer_gets_the_vouchers_reference_and_expiry(app, db, client, card_shop):
    order, _ = with_voucher(client, card_shop)
    payment = order.last_payment
    intent = card_shop.stripe.intents[payment.stripe_payment_intent_id]
    details = intent["next_action"]["oxxo_display_details"]
    assert payment.reference == details["number"] and len(payment.reference) == 18
    assert payment.voucher_url == details["hosted_voucher_url"]
    assert int(payment.expires_at.timestamp()) == details["expires_after"]
    assert (payment.state, order.payment_status) == ("pending", "pending")
    assert "payment.voucher" in kinds(db)
    assert not checkout.can_pay(order)  # no button for a second voucher
    page = text(signed_in_client(app, card_shop.user).get(f"/pedidos/{order.id}"))
    assert "Ficha OXXO" in page and payment.reference in page
    with pytest.raises(DomainError) as refused:
        checkout.start_checkout(card_shop.user, order, LINKS)  # no second voucher
    assert "ficha de pago OXXO" in str(refused.value.message)


def test_the_order_is_paid_when_the_voucher_is_paid(db, client, card_shop):
    order, session_id = with_voucher(client, card_shop)
    card_shop.stripe.pay_voucher(session_id)
    assert send(client, card_shop.stripe, "async_payment_succeeded", session_id) == "paid"
    order = fresh(order)
    assert (order.payment_status, order.paid_minor) == ("paid", order.total_minor)
    assert order.last_payment.confirmed_at is not None
    assert kinds(db).count("payment.oxxo_paid") == 2  # the producer and the supplier
    # a replay of the success, or a late completed event, changes nothing
    assert send(client, card_shop.stripe, "async_payment_succeeded", session_id) == "already_paid"


def test_an_async_success_before_the_voucher_is_paid_is_not_believed(db, client, card_shop):
    order, session_id = with_voucher(client, card_shop)
    assert send(client, card_shop.stripe, "async_payment_succeeded", session_id) == "not_paid"
    assert fresh(order).payment_status == "pending"


def test_a_voucher_that_expires_unpaid_fails_and_a_new_one_can_be_had(db, client, card_shop):
    order, session_id = with_voucher(client, card_shop)
    card_shop.stripe.let_voucher_expire(session_id)
    assert send(client, card_shop.stripe, "async_payment_failed", session_id) == "failed"
    order = fresh(order)
    assert (order.payment_status, order.last_payment.state) == ("failed", "failed")
    assert "payment.oxxo_failed" in kinds(db)
    assert checkout.can_pay(order)
    url = checkout.start_checkout(card_shop.user, order, LINKS)
    order = fresh(order)
    assert [p.state for p in order.payments] == ["failed", "pending"]
    assert url == card_shop.stripe.sessions[order.last_payment.stripe_checkout_session_id]["url"]


def test_a_session_closed_before_any_voucher_expires(db, client, card_shop):
    order, session_id = pending_order(card_shop, 2, "oxxo")
    card_shop.stripe.expire(session_id)
    assert send(client, card_shop.stripe, "expired", session_id) == "unpaid"
    order = fresh(order)
    assert (order.payment_status, order.last_payment.state) == ("unpaid", "expired")
    assert "payment.oxxo_expired" in kinds(db)


def test_cancelling_a_paid_oxxo_order_records_a_refund_the_supplier_makes(db, client, card_shop):
    order, session_id = with_voucher(client, card_shop)
    card_shop.stripe.pay_voucher(session_id)
    send(client, card_shop.stripe, "async_payment_succeeded", session_id)
    services.cancel(card_shop.supplier, fresh(order), "Sin stock")
    [refund] = db.session.scalars(select(OrderRefund)).all()
    assert (refund.state, refund.amount_minor, refund.reason) == ("created", 9000, "cancelled")
    assert card_shop.stripe.calls_to("POST", "/v1/refunds") == []  # Stripe cannot refund OXXO


def test_cancelling_an_order_voids_its_unpaid_voucher(db, client, card_shop):
    order, session_id = with_voucher(client, card_shop)
    services.cancel(card_shop.supplier, order, "Sin stock")
    order = fresh(order)
    assert (order.status, order.last_payment.state) == ("cancelled", "canceled")
    assert card_shop.stripe.intents[order.last_payment.stripe_payment_intent_id]["status"] == (
        "canceled"
    )


def test_a_voucher_paid_before_the_cancellation_is_refunded_once(db, client, card_shop):
    order, session_id = with_voucher(client, card_shop)
    card_shop.stripe.pay_voucher(session_id)  # paid at the store; Stripe has not told Minka
    services.cancel(card_shop.supplier, order, "Sin stock")  # Stripe refuses to cancel it
    assert fresh(order).last_payment.state == "pending"
    assert send(client, card_shop.stripe, "async_payment_succeeded", session_id) == (
        "refunded_late"
    )
    [refund] = db.session.scalars(select(OrderRefund)).all()
    assert (refund.state, refund.reason) == ("created", "late_payment")


def test_oxxo_is_only_for_pesos(db, card_shop):
    card_shop.listing.currency = "PEN"
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        place_card_order(card_shop, 1, "oxxo")
    assert refused.value.field == "payment_method"


# --- any sequence of what Stripe and people do keeps every row inside its state table ------

EVENTS = ("start", "voucher", "pay", "voucher_expires", "session_expires", "cancel", "again")


def _rows(order_id: int) -> tuple[dict, dict]:
    _db.session.expire_all()
    order = _db.session.get(Order, order_id)
    return ({p.id: p.state for p in order.payments}, {r.id: r.state for r in order.refunds})


def _happen(client, shop, order_id: int, what: str, sent: list) -> None:
    """One thing Stripe or a person does, only when Stripe's side allows it."""
    fake = shop.stripe
    order = _db.session.get(Order, order_id)
    last = order.last_payment
    session = fake.sessions.get(last.stripe_checkout_session_id) if last else None
    intent = fake.intents.get(session["payment_intent"]) if session else None
    waiting = intent is not None and intent["status"] == "requires_action"
    kind = None
    if what == "start":
        checkout.start_checkout(shop.user, order, LINKS)
    elif what == "voucher" and session and session["status"] == "open":
        fake.issue_voucher(session["id"])
        kind = "completed"
    elif what == "pay" and waiting:
        fake.pay_voucher(session["id"])
        kind = "async_payment_succeeded"
    elif what == "voucher_expires" and waiting:
        fake.let_voucher_expire(session["id"])
        kind = "async_payment_failed"
    elif what == "session_expires" and session and session["status"] == "open":
        fake.expire(session["id"])
        kind = "expired"
    elif what == "cancel":
        services.cancel(shop.supplier, order, "Sin stock")
    elif what == "again" and sent:
        deliver(client, stripe_fake.event(*sent[-1]))  # the same news, delivered twice
    if kind is not None:
        sent.append((f"checkout.session.{kind}", dict(fake.sessions[session["id"]])))
        deliver(client, stripe_fake.event(*sent[-1]))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(events=st.lists(st.sampled_from(EVENTS), max_size=8))
def test_no_sequence_of_events_leaves_the_state_tables(db, client, card_shop, events):
    card_shop.listing.stock = 1_000_000
    db.session.commit()
    order = place_card_order(card_shop, 1, "oxxo")
    sent: list = []
    for what in events:
        payments_before, refunds_before = _rows(order.id)
        try:
            _happen(client, card_shop, order.id, what, sent)
        except DomainError:
            db.session.rollback()
        payments_after, refunds_after = _rows(order.id)
        for row_id, state in payments_after.items():
            old = payments_before.get(row_id)
            assert (
                (old is None and state in ("created", "pending"))
                or old == state
                or (states.can_move(states.PAYMENT_MOVES, old, state))
            ), (what, old, state)
        for row_id, state in refunds_after.items():
            old = refunds_before.get(row_id)
            assert (old is None and state == "created") or old == state, (what, old, state)
        current = fresh(order)
        assert 0 <= current.refunded_minor <= current.paid_minor <= current.total_minor
        assert sum(p.state == "confirmed" for p in current.payments) <= 1
