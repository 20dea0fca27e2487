"""Shared pieces of the card-payment tests: a shop whose supplier takes cards, placing and
starting a card payment, and delivering signed webhook events to the app."""

from __future__ import annotations

import json
import secrets

from marketplace.extensions import db as _db
from marketplace.models import Order
from marketplace.orders import services
from marketplace.payments import checkout
from tests import stripe_fake

LINKS = checkout.Links(success_url="http://minka.test/ok", cancel_url="http://minka.test/no")


def place_card_order(shop, quantity: int = 2, method: str = "card") -> Order:
    return services.place_order(
        actor=shop.user,
        producer=shop.producer,
        listing_id=shop.listing.id,
        quantity=quantity,
        delivery_point="collection_center",
        center_id=shop.center.id,
        farm_id=None,
        note="",
        idempotency_key=secrets.token_urlsafe(24),
        payment_method=method,
    )


def pending_order(shop, quantity: int = 2, method: str = "card") -> tuple[Order, str]:
    """A card (or OXXO) order with its Checkout Session open: (order, session id)."""
    order = place_card_order(shop, quantity, method)
    checkout.start_checkout(shop.user, order, LINKS)
    _db.session.refresh(order)
    return order, order.last_payment.stripe_checkout_session_id


def deliver(client, event: dict, secret: str = stripe_fake.WEBHOOK_SECRET, **sign_args):
    """POST a signed event to the webhook, as Stripe does."""
    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_fake.sign(payload, secret, **sign_args)},
    )


def completed_event(fake, session_id: str, event_id: str | None = None) -> dict:
    return stripe_fake.event(
        "checkout.session.completed", dict(fake.sessions[session_id]), event_id
    )


def pay(client, fake, session_id: str, **complete_args) -> dict:
    """The producer pays at Stripe and Stripe tells Minka; returns the webhook's JSON."""
    fake.complete(session_id, **complete_args)
    response = deliver(client, completed_event(fake, session_id))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def fresh(order: Order) -> Order:
    _db.session.expire_all()
    return _db.session.get(Order, order.id)
