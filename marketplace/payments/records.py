"""Payment and refund rows: opening an attempt, confirming it, refunding it.

The order's row is the lock that orders every decision about its money: a cancellation
UPDATEs the order's status, and every confirmation and refund first UPDATEs the same row
(`lock_order`), so on PostgreSQL they wait for each other and then read what the other
committed; SQLite serialises writers anyway. Inside that lock, payment and refund rows move
only by the compare-and-set UPDATEs of payments.states.
"""

from __future__ import annotations

from sqlalchemy import select, update

from marketplace import audit
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import (
    Order,
    OrderPayment,
    OrderRefund,
    PaymentIssue,
    PaymentMethod,
    PaymentProvider,
    RefundState,
    User,
)
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization, notify_user
from marketplace.payments import gateway, states


def lock_order(order_id: int) -> Order:
    """Take the order's row for the rest of the transaction and read it, with its payment
    and refund rows, as committed now."""
    db.session.execute(
        update(Order)
        .where(Order.id == order_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return db.session.get(Order, order_id)


def payment_by_session(session_id: str | None) -> OrderPayment | None:
    """The attempt a Checkout Session belongs to."""
    if not session_id:
        return None
    return db.session.scalar(
        select(OrderPayment)
        .where(OrderPayment.stripe_checkout_session_id == session_id)
        .execution_options(populate_existing=True)
    )


def payment_by_intent(intent_id: str | None) -> OrderPayment | None:
    """The attempt a PaymentIntent belongs to."""
    if not intent_id:
        return None
    return db.session.scalar(
        select(OrderPayment)
        .where(OrderPayment.stripe_payment_intent_id == intent_id)
        .execution_options(populate_existing=True)
    )


def open_payment(order: Order, method: str | None = None) -> OrderPayment | None:
    """The order's latest attempt still under way (created, pending, failed-but-open or
    disputed), of `method` when given."""
    for payment in reversed(order.payments):
        if method is not None and payment.method != method:
            continue
        if payment.state in (*states.OPEN, states.FAILED):
            return payment
    return None


def open_attempt(actor: User | None, order: Order, method: str, **values) -> OrderPayment:
    """A new attempt of the order's total, created; the caller commits."""
    provider = (
        PaymentProvider.MANUAL if method == PaymentMethod.TRANSFER else PaymentProvider.STRIPE
    )
    payment = OrderPayment(
        order_id=order.id,
        provider=provider.value,
        method=method,
        state=values.pop("state", states.CREATED),
        amount_minor=values.pop("amount_minor", order.total_minor),
        currency=order.currency,
        created_by_id=actor.id if actor is not None else None,
        **values,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def other_confirmed(order: Order, payment: OrderPayment) -> bool:
    """True when another attempt already paid the order."""
    return any(
        p.id != payment.id
        and p.state == states.CONFIRMED
        and p.issue != PaymentIssue.DUPLICATE_REFUNDED
        for p in order.payments
    )


def refunded_of(payment: OrderPayment) -> int:
    """What already went back (or is going back) from this payment."""
    return sum(r.amount_minor for r in payment.refunds if r.state != RefundState.FAILED)


def refund(
    actor: User | None, payment: OrderPayment, amount_minor: int, reason: str
) -> OrderRefund:
    """A refund row for `amount_minor` of a confirmed payment, made at Stripe for a card (a
    refused or unanswered refund raises and the caller rolls back); a payment Stripe cannot
    refund (OXXO cash, a transfer) stays created until the supplier gives the money back.
    Audited; the caller holds the order's lock and commits."""
    before = refunded_of(payment)
    row = OrderRefund(
        order_id=payment.order_id,
        payment_id=payment.id,
        state=RefundState.CREATED.value,
        amount_minor=amount_minor,
        currency=payment.currency,
        reason=reason,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(row)
    db.session.flush()
    if payment.method == PaymentMethod.CARD and payment.stripe_payment_intent_id:
        made = gateway.create_refund(
            payment.stripe_payment_intent_id,
            gateway.to_stripe_amount(amount_minor, payment.currency),
            f"minka-payment-{payment.id}-refund-{before}-{amount_minor}",
            {"order_id": str(payment.order_id), "reason": reason},
        )
        states.move_refund(row.id, RefundState.DONE.value, stripe_refund_id=made.get("id"))
    audit.record(
        actor,
        "payment.refunded",
        payment.order,
        amount=amount_minor,
        currency=payment.currency,
        refund=row.id,
        why=reason,
    )
    db.session.expire(payment)
    return row


def tell_refund(order: Order) -> None:
    """Tell the producer and the supplier that money went back."""
    params = {"order": order.id, "title": order.title}
    tell_producer(order, "payment.refunded", **params)
    notify_organization(
        order.supplier_id,
        "payment.refunded",
        link=path_for("orders.received_detail", order_id=order.id),
        **params,
    )


def tell_producer(order: Order, kind: str, /, **params) -> None:
    """A notification to the producer who ordered, when they have a login."""
    if order.producer.user_id is None:
        return
    params.setdefault("order", order.id)
    params.setdefault("title", order.title)
    notify_user(
        order.producer.user_id,
        kind,
        link=path_for("orders.detail", order_id=order.id),
        **params,
    )


def tell_supplier(order: Order, kind: str, /, **params) -> None:
    """A notification to the supplier organization's members."""
    params.setdefault("order", order.id)
    params.setdefault("title", order.title)
    notify_organization(
        order.supplier_id,
        kind,
        link=path_for("orders.received_detail", order_id=order.id),
        **params,
    )
