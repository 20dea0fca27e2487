"""Paying an order by card through a Stripe Checkout Session, and settling the card side
of an order that is cancelled.

Payment fields change only through conditional UPDATEs checked by their row count (``...
WHERE payment_status IN (...)``), never read-then-write, like orders.services: two clicks,
a webhook and a cancellation racing each other leave exactly one outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import Order, OrderStatus, PaymentMethod, PaymentStatus, User
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization, notify_user
from marketplace.payments import accounts, countries, fees, gateway

log = logging.getLogger(__name__)

#: The payment statuses from which an order may still be paid (and be marked paid).
PAYABLE = (PaymentStatus.UNPAID.value, PaymentStatus.PENDING.value, PaymentStatus.FAILED.value)
#: Order statuses in which the producer may pay by card.
OPEN_ORDER = (OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value, OrderStatus.DELIVERED.value)


@dataclass
class Links:
    """Where Stripe sends the producer back: absolute URLs the view builds."""

    success_url: str
    cancel_url: str


def checkout_key(order: Order) -> str:
    """One idempotency key per order and attempt: a double click reuses the session, and a
    new attempt (after a session expired) gets a new one."""
    return f"minka-order-{order.id}-checkout-{order.payment_attempt}"


def _check_payable(order: Order) -> None:
    if order.payment_method != PaymentMethod.CARD:
        raise DomainError(_l("Este pedido no se paga con tarjeta."), "payment")
    if order.status == OrderStatus.CANCELLED:
        raise DomainError(_l("Este pedido fue cancelado: ya no se puede pagar."), "payment")
    if order.payment_status not in PAYABLE or order.status not in OPEN_ORDER:
        raise DomainError(_l("Este pedido ya está pagado."), "payment")
    if not accounts.takes_cards(order.supplier_id):
        raise DomainError(
            _l("Este proveedor no puede recibir pagos con tarjeta ahora. Pague de otra forma."),
            "payment",
        )
    problem = gateway.card_amount_problem(order.total_minor, order.currency)
    if problem is not None:
        raise DomainError(problem, "payment")


def _open_session_url(order: Order) -> str | None:
    """The URL of the order's session when it is still open (a second click reuses it)."""
    waiting = (PaymentStatus.PENDING, PaymentStatus.FAILED)
    if order.payment_status not in waiting or not order.stripe_checkout_session_id:
        return None
    session = gateway.retrieve_checkout_session(order.stripe_checkout_session_id)
    if session.get("status") == "open" and session.get("url"):
        return gateway.hosted_page(session["url"])
    if session.get("status") == "complete":
        raise DomainError(
            _l("Su pago ya se hizo: estamos esperando la confirmación de la tarjeta."),
            "payment",
        )
    # Expired without its webhook yet: the next attempt needs a new key.
    db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.payment_attempt == order.payment_attempt)
        .values(payment_attempt=Order.payment_attempt + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(order)
    return None


def session_params(
    order: Order, fee_minor: int, account_id: str, links: Links, on_behalf_of: bool = False
) -> dict:
    """What Stripe gets: a destination charge of the order's snapshot to the supplier, made
    on the supplier's behalf when `on_behalf_of` (an account in another country than the
    platform's)."""
    currency = order.currency.lower()
    metadata = {"order_id": str(order.id)}
    intent = {
        "application_fee_amount": gateway.to_stripe_amount(fee_minor, order.currency),
        "transfer_data": {"destination": account_id},
        "metadata": metadata,
    }
    if on_behalf_of:
        intent["on_behalf_of"] = account_id
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": gateway.to_stripe_amount(order.total_minor, order.currency),
                    "product_data": {"name": f"{order.quantity} × {order.title}"[:250]},
                },
            }
        ],
        "payment_intent_data": intent,
        "metadata": metadata,
        "client_reference_id": str(order.id),
        "success_url": links.success_url,
        "cancel_url": links.cancel_url,
    }


def start_checkout(actor: User, order: Order, links: Links) -> str:
    """The Checkout page URL where the producer pays the order; the order becomes pending.

    A Stripe error or timeout raises a GatewayError and leaves the order as it was."""
    _check_payable(order)
    url = _open_session_url(order)
    if url is not None:
        return url
    account = accounts.account_of(order.supplier_id)
    fee = fees.fee_for(order.total_minor, order.currency)
    abroad = countries.needs_on_behalf_of(gateway.platform_country(), order.supplier.country)
    params = session_params(order, fee, account.stripe_account_id, links, on_behalf_of=abroad)
    session = gateway.create_checkout_session(params, checkout_key(order))
    try:
        url = gateway.hosted_page(session.get("url"))
    except gateway.GatewayError:
        _expire_quietly(session["id"])
        raise
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.status.in_(OPEN_ORDER),
            Order.payment_status.in_(PAYABLE),
        )
        .values(
            payment_status=PaymentStatus.PENDING.value,
            stripe_checkout_session_id=session["id"],
            fee_minor=fee,
            payment_error=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        _expire_quietly(session["id"])
        db.session.refresh(order)
        _check_payable(order)  # says what changed meanwhile
        raise DomainError(_l("El pedido cambió mientras tanto. Revise su estado."), "payment")
    audit.record(
        actor,
        "payment.checkout_started",
        order,
        session=session["id"],
        fee=fee,
        currency=order.currency,
    )
    db.session.commit()
    return url


def _expire_quietly(session_id: str) -> None:
    """Best effort: a session that cannot be expired and is paid later is refunded by the
    webhook (see webhooks.completed)."""
    try:
        gateway.expire_checkout_session(session_id)
    except gateway.GatewayError as error:
        log.info("checkout session %s not expired: %s", session_id, error.code)


def _check_refund_amount(order: Order, amount_minor: int | None) -> int:
    refundable = order.paid_minor - order.refunded_minor
    if amount_minor is None:
        return refundable
    if amount_minor <= 0:
        raise DomainError(_l("Escriba un monto mayor que 0."), "refund_amount")
    if amount_minor > refundable:
        raise DomainError(
            _l("No puede devolver más de lo que se pagó por este pedido."), "refund_amount"
        )
    if not gateway.chargeable(amount_minor, order.currency):
        raise DomainError(_l("Ese monto no se puede devolver con tarjeta."), "refund_amount")
    return amount_minor


def check_cancel_refund(order: Order, amount_minor: int | None) -> None:
    """Refuse, before anything changes, a refund amount a cancellation cannot make."""
    if order.payment_status == PaymentStatus.PAID:
        _check_refund_amount(order, amount_minor)


def settle_cancelled(actor: User, order_id: int, amount_minor: int | None = None) -> None:
    """The card side of a cancellation, inside the cancelling transaction (after its status
    UPDATE won): a paid order is refunded (all of it, or `amount_minor`); a pending one has
    its session expired. A refund Stripe refuses raises, so the whole cancellation rolls
    back."""
    order = db.session.get(Order, order_id, populate_existing=True)
    if order is None or order.payment_method != PaymentMethod.CARD:
        return
    if order.payment_status == PaymentStatus.PAID:
        refund_order(actor, order, _check_refund_amount(order, amount_minor), "cancelled")
    elif order.payment_status == PaymentStatus.PENDING and order.stripe_checkout_session_id:
        _expire_quietly(order.stripe_checkout_session_id)


def refund_order(actor: User | None, order: Order, amount_minor: int, why: str) -> None:
    """Claim the refund with a conditional UPDATE, then make it at Stripe (a refused or
    unanswered refund raises and the caller rolls back). Audit and notify both sides; the
    caller commits."""
    refunded = order.refunded_minor + amount_minor
    full = refunded >= order.paid_minor
    status = PaymentStatus.REFUNDED if full else PaymentStatus.PARTIALLY_REFUNDED
    claim = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.payment_status == PaymentStatus.PAID.value,
            Order.refunded_minor == order.refunded_minor,
        )
        .values(refunded_minor=refunded, payment_status=str(status), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claim.rowcount != 1:
        raise DomainError(_l("El pago de este pedido cambió mientras tanto."), "payment")
    refund = gateway.create_refund(
        order.stripe_payment_intent_id,
        gateway.to_stripe_amount(amount_minor, order.currency),
        f"minka-order-{order.id}-refund-{order.refunded_minor}-{amount_minor}",
        {"order_id": str(order.id), "reason": why},
    )
    audit.record(
        actor,
        "payment.refunded",
        order,
        amount=amount_minor,
        currency=order.currency,
        refund=refund.get("id"),
        why=why,
    )
    tell_refund(order)


def tell_refund(order: Order) -> None:
    """Tell the producer and the supplier that money went back to the card."""
    params = {"order": order.id, "title": order.title}
    if order.producer.user_id is not None:
        notify_user(
            order.producer.user_id,
            "payment.refunded",
            link=path_for("orders.detail", order_id=order.id),
            **params,
        )
    notify_organization(
        order.supplier_id,
        "payment.refunded",
        link=path_for("orders.received_detail", order_id=order.id),
        **params,
    )


def can_pay(order: Order) -> bool:
    """True when the producer may (still, or again) pay this order by card now."""
    return (
        order.payment_method == PaymentMethod.CARD
        and order.status in OPEN_ORDER
        and order.payment_status in PAYABLE
        and accounts.takes_cards(order.supplier_id)
    )


def payout(order: Order) -> tuple[int, int]:
    """(Minka's fee, what the supplier receives) for a card order: the fee fixed when the
    payment started, else the one it would pay at today's percentage."""
    fee = order.fee_minor if order.fee_minor else fees.fee_for(order.total_minor, order.currency)
    return fee, order.total_minor - fee
