"""Stripe's webhook events: each is a trigger only. The authoritative object is read again
from the API, the event id is recorded (unique) so a replay is a no-op, and an order's
payment moves only from an allowed prior state, by conditional UPDATE. So out-of-order,
duplicated or concurrent deliveries never double-confirm, double-refund or bring back a
cancelled order.

A completion that arrives for an order cancelled meanwhile is refunded at once (the money
must not stay with a cancelled order); so is a second payment of an already paid order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import Order, OrderStatus, PaymentStatus, StripeEvent
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization, notify_user
from marketplace.payments import accounts, gateway
from marketplace.payments.checkout import PAYABLE, tell_refund

log = logging.getLogger(__name__)

FETCH: dict[str, Callable[[str], dict]] = {
    "checkout.session.completed": gateway.retrieve_checkout_session,
    "checkout.session.expired": gateway.retrieve_checkout_session,
    "payment_intent.payment_failed": gateway.retrieve_payment_intent,
    "charge.refunded": gateway.retrieve_charge,
    "account.updated": gateway.retrieve_account,
}


def handle(event: dict) -> str:
    """Process one verified event; returns what it did. A GatewayError (Stripe unreachable)
    propagates with nothing recorded, so Stripe delivers the event again."""
    event_id, kind = event.get("id"), event.get("type", "")
    object_id = ((event.get("data") or {}).get("object") or {}).get("id")
    if not event_id or _seen(event_id):
        return "replay"
    remote = FETCH[kind](object_id) if kind in FETCH and object_id else None
    record = StripeEvent(event_id=event_id, type=kind[:80], object_id=object_id)
    db.session.add(record)
    try:
        db.session.flush()  # a concurrent delivery of the same event waits here, then fails
    except IntegrityError:
        db.session.rollback()
        return "replay"
    try:
        result = HANDLERS[kind](remote, record) if remote is not None else "ignored"
    except Exception:
        db.session.rollback()
        raise
    record.result = result
    record.processed_at = utcnow()
    db.session.commit()
    log.info("stripe event %s %s: %s", event_id, kind, result)
    return result


def _seen(event_id: str) -> bool:
    found = db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event_id))
    return found is not None


def _order_from(metadata: dict | None) -> Order | None:
    raw = (metadata or {}).get("order_id")
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 12:
        return None
    return db.session.get(Order, int(raw), populate_existing=True)


def _unknown(record: StripeEvent, what: str) -> str:
    audit.record(None, "payment.unknown_order", record, event=record.event_id, object=what)
    return "unknown_order"


def _id(value) -> str | None:
    """An expandable field: the id whether Stripe sent the id or the object."""
    return value.get("id") if isinstance(value, dict) else value


# --- checkout.session.completed ----------------------------------------------------------


def completed(session: dict, record: StripeEvent) -> str:
    """A paid session: the order becomes paid, unless its amount differs (flagged), it was
    cancelled meanwhile (refunded) or it is already paid by another payment (refunded)."""
    order = _order_from(session.get("metadata"))
    if order is None:
        return _unknown(record, session.get("id"))
    if session.get("status") != "complete" or session.get("payment_status") != "paid":
        return "not_paid"
    intent = _id(session.get("payment_intent"))
    if not _amount_matches(order, session):
        return _flag_mismatch(order, session)
    paid = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.status != OrderStatus.CANCELLED.value,
            Order.payment_status.in_(PAYABLE),
        )
        .values(
            payment_status=PaymentStatus.PAID.value,
            stripe_checkout_session_id=session["id"],
            stripe_payment_intent_id=intent,
            paid_minor=order.total_minor,
            paid_at=utcnow(),
            payment_error=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if paid.rowcount == 1:
        audit.record(None, "payment.paid", order, session=session["id"], intent=intent)
        _tell_paid(order)
        return "paid"
    db.session.refresh(order)
    if order.stripe_payment_intent_id == intent:
        return f"already_{order.payment_status}"
    if order.status == OrderStatus.CANCELLED and order.payment_status in PAYABLE:
        return _refund_late(order, session, intent)
    return _refund_duplicate(order, intent)


def _amount_matches(order: Order, session: dict) -> bool:
    expected = gateway.to_stripe_amount(order.total_minor, order.currency)
    return (
        session.get("amount_total") == expected
        and (session.get("currency") or "").upper() == order.currency.upper()
    )


def _flag_mismatch(order: Order, session: dict) -> str:
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(payment_issue="amount_mismatch", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record(
        None,
        "payment.amount_mismatch",
        order,
        session=session.get("id"),
        charged=session.get("amount_total"),
        charged_currency=session.get("currency"),
        expected=gateway.to_stripe_amount(order.total_minor, order.currency),
        expected_currency=order.currency,
    )
    return "amount_mismatch"


def _refund_late(order: Order, session: dict, intent: str) -> str:
    claim = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.status == OrderStatus.CANCELLED.value,
            Order.payment_status.in_(PAYABLE),
        )
        .values(
            payment_status=PaymentStatus.REFUNDED.value,
            stripe_checkout_session_id=session["id"],
            stripe_payment_intent_id=intent,
            paid_minor=order.total_minor,
            refunded_minor=order.total_minor,
            paid_at=utcnow(),
            payment_issue="late_payment_refunded",
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if claim.rowcount != 1:
        return "changed"
    metadata = {"order_id": str(order.id)}
    refund = gateway.create_refund(intent, None, f"minka-late-{intent}", metadata)
    audit.record(None, "payment.late_refunded", order, intent=intent, refund=refund.get("id"))
    tell_refund(order)
    return "refunded_late"


def _refund_duplicate(order: Order, intent: str) -> str:
    refund = gateway.create_refund(
        intent, None, f"minka-duplicate-{intent}", {"order_id": str(order.id)}
    )
    db.session.execute(
        update(Order)
        .where(Order.id == order.id)
        .values(payment_issue="duplicate_refunded", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    audit.record(None, "payment.duplicate_refunded", order, intent=intent, refund=refund.get("id"))
    return "duplicate_refunded"


def _tell_paid(order: Order) -> None:
    params = {"order": order.id, "title": order.title}
    notify_organization(
        order.supplier_id,
        "payment.paid",
        link=path_for("orders.received_detail", order_id=order.id),
        **params,
    )
    if order.producer.user_id is not None:
        notify_user(
            order.producer.user_id,
            "payment.paid",
            link=path_for("orders.detail", order_id=order.id),
            **params,
        )


# --- checkout.session.expired, payment_intent.payment_failed --------------------------------


def expired(session: dict, record: StripeEvent) -> str:
    """The session closed unpaid: the order stays unpaid and may be paid again."""
    order = _order_from(session.get("metadata"))
    if order is None:
        return _unknown(record, session.get("id"))
    if session.get("status") != "expired":
        return "not_expired"  # the API says otherwise (e.g. it completed meanwhile)
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.payment_status == PaymentStatus.PENDING.value,
            Order.stripe_checkout_session_id == session["id"],
        )
        .values(
            payment_status=PaymentStatus.UNPAID.value,
            payment_attempt=Order.payment_attempt + 1,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return "ignored"
    if order.producer.user_id is not None and order.status != OrderStatus.CANCELLED:
        notify_user(
            order.producer.user_id,
            "payment.expired",
            link=path_for("orders.detail", order_id=order.id),
            order=order.id,
            title=order.title,
        )
    return "unpaid"


def failed(intent: dict, record: StripeEvent) -> str:
    """The card was declined: the order stays unpaid; the producer is told why."""
    order = _order_from(intent.get("metadata"))
    if order is None:
        return _unknown(record, intent.get("id"))
    if intent.get("status") in ("succeeded", "processing", "requires_capture"):
        return "not_failed"
    reason = ((intent.get("last_payment_error") or {}).get("message") or "")[:300]
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.status != OrderStatus.CANCELLED.value,
            Order.payment_status.in_((PaymentStatus.PENDING.value, PaymentStatus.UNPAID.value)),
        )
        .values(
            payment_status=PaymentStatus.FAILED.value,
            payment_error=reason or None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return "ignored"
    if order.producer.user_id is not None:
        notify_user(
            order.producer.user_id,
            "payment.failed",
            link=path_for("orders.detail", order_id=order.id),
            order=order.id,
            title=order.title,
            reason=reason or "-",
        )
    return "failed"


# --- charge.refunded, account.updated -------------------------------------------------------


def refunded(charge: dict, record: StripeEvent) -> str:
    """Money went back (from Minka or Stripe's dashboard): the refunded total only grows,
    so a repeated or late event never counts a refund twice."""
    intent_id = _id(charge.get("payment_intent"))
    order = _order_by_intent(intent_id)
    if order is None and intent_id:
        order = _order_from(gateway.retrieve_payment_intent(intent_id).get("metadata"))
    if order is None:
        return _unknown(record, charge.get("id"))
    currency = (charge.get("currency") or order.currency).upper()
    total = gateway.from_stripe_amount(int(charge.get("amount_refunded") or 0), currency)
    charged = gateway.from_stripe_amount(int(charge.get("amount") or 0), currency)
    status = PaymentStatus.REFUNDED if total >= charged else PaymentStatus.PARTIALLY_REFUNDED
    result = db.session.execute(
        update(Order)
        .where(
            Order.id == order.id,
            Order.refunded_minor < total,
            (Order.stripe_payment_intent_id == intent_id)
            | Order.stripe_payment_intent_id.is_(None),
        )
        .values(
            refunded_minor=total,
            paid_minor=charged,
            stripe_payment_intent_id=intent_id,
            payment_status=status.value,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return "ignored"
    audit.record(
        None,
        "payment.refund_recorded",
        order,
        intent=intent_id,
        refunded=total,
        currency=order.currency,
    )
    tell_refund(order)
    return status.value


def _order_by_intent(intent_id: str | None) -> Order | None:
    if not intent_id:
        return None
    return db.session.scalar(
        select(Order)
        .where(Order.stripe_payment_intent_id == intent_id)
        .execution_options(populate_existing=True)
    )


def account_updated(account: dict, record: StripeEvent) -> str:
    """A supplier's connected account changed: store whether it can take cards and pay out."""
    return "account_updated" if accounts.apply_account(account) else "unknown_account"


HANDLERS: dict[str, Callable[[dict, StripeEvent], str]] = {
    "checkout.session.completed": completed,
    "checkout.session.expired": expired,
    "payment_intent.payment_failed": failed,
    "charge.refunded": refunded,
    "account.updated": account_updated,
}
