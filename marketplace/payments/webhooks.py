"""Stripe's webhook events: each is a trigger only. The authoritative object is read again
from the API, the event id is recorded (unique) so a replay is a no-op, and an attempt's row
moves only from an allowed prior state (payments.states), by conditional UPDATE, while the
order's row is held (records.lock_order). So out-of-order, duplicated or concurrent
deliveries never double-confirm, double-refund or bring back a cancelled order.

A completion that arrives for an order cancelled meanwhile is refunded at once (the money
must not stay with a cancelled order); so is a second payment of an already paid order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.extensions import db
from marketplace.models import (
    Order,
    OrderPayment,
    OrderRefund,
    OrderStatus,
    PaymentIssue,
    PaymentMethod,
    RefundReason,
    RefundState,
    StripeEvent,
)
from marketplace.models.base import utcnow
from marketplace.payments import accounts, gateway, records, states
from marketplace.payments.records import tell_refund

log = logging.getLogger(__name__)

FETCH: dict[str, Callable[[str], dict]] = {
    "checkout.session.completed": gateway.retrieve_checkout_session,
    "checkout.session.expired": gateway.retrieve_checkout_session,
    "checkout.session.async_payment_succeeded": gateway.retrieve_checkout_session,
    "checkout.session.async_payment_failed": gateway.retrieve_checkout_session,
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


# --- checkout.session.completed and async_payment_succeeded ----------------------------------


def _payment_for(order: Order, session: dict) -> OrderPayment:
    """The attempt this session belongs to; a session Minka has no row for (made before the
    rows, or lost) gets one, so what Stripe took is always on record."""
    payment = records.payment_by_session(session.get("id"))
    if payment is not None:
        return payment
    raw = (session.get("metadata") or {}).get("payment_id")
    if isinstance(raw, str) and raw.isdigit() and len(raw) <= 12:
        found = db.session.get(OrderPayment, int(raw), populate_existing=True)
        if found is not None and found.order_id == order.id:
            return found
    payment = records.open_attempt(None, order, order.payment_method)
    states.move_payment(payment.id, states.PENDING, stripe_checkout_session_id=session["id"])
    db.session.refresh(payment)
    return payment


def completed(session: dict, record: StripeEvent) -> str:
    """A completed session: paid (card, or OXXO paid at once) makes the order paid, unless
    its amount differs (flagged), it was cancelled meanwhile (refunded) or it is already
    paid by another attempt (refunded). An OXXO session completes unpaid: its voucher is
    issued, and the payment waits for async_payment_succeeded."""
    order = _order_from(session.get("metadata"))
    if order is None:
        return _unknown(record, session.get("id"))
    if session.get("status") != "complete":
        return "not_paid"
    payment = _payment_for(order, session)
    if session.get("payment_status") == "unpaid" and payment.method == PaymentMethod.OXXO:
        return _voucher_issued(order, payment, session)
    if session.get("payment_status") != "paid":
        return "not_paid"
    return _paid(order, payment, session)


def async_succeeded(session: dict, record: StripeEvent) -> str:
    """The OXXO voucher was paid at the store."""
    order = _order_from(session.get("metadata"))
    if order is None:
        return _unknown(record, session.get("id"))
    if session.get("status") != "complete" or session.get("payment_status") != "paid":
        return "not_paid"
    return _paid(order, _payment_for(order, session), session)


def _paid(order: Order, payment: OrderPayment, session: dict) -> str:
    intent = _id(session.get("payment_intent"))
    if not _amount_matches(order, session):
        return _flag_mismatch(order, payment, session)
    order = records.lock_order(order.id)
    payment = db.session.get(OrderPayment, payment.id)
    if payment.state == states.CONFIRMED:
        return f"already_{order.payment_status}"
    values = {"stripe_payment_intent_id": intent, "confirmed_at": utcnow(), "error": None}
    if order.status == OrderStatus.CANCELLED:
        return _refund_late(order, payment, values)
    if records.other_confirmed(order, payment):
        return _refund_duplicate(order, payment, values)
    if not states.move_payment(payment.id, states.CONFIRMED, **values):
        return "ignored"
    audit.record(None, "payment.paid", order, session=session["id"], intent=intent)
    kind = "payment.oxxo_paid" if payment.method == PaymentMethod.OXXO else "payment.paid"
    records.tell_producer(order, kind)
    records.tell_supplier(order, kind)
    return "paid"


def _voucher_issued(order: Order, payment: OrderPayment, session: dict) -> str:
    intent = gateway.retrieve_payment_intent(_id(session.get("payment_intent")))
    details = (intent.get("next_action") or {}).get("oxxo_display_details") or {}
    expires = details.get("expires_after")
    # The attempt stays pending (the cash is not paid yet); only its voucher is written.
    moved = states.annotate_payment(
        payment.id,
        (states.PENDING,),
        stripe_payment_intent_id=intent["id"],
        reference=str(details.get("number") or "")[:60] or None,
        voucher_url=(details.get("hosted_voucher_url") or "")[:500] or None,
        expires_at=datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None,
    )
    if not moved:
        return "ignored"
    audit.record(None, "payment.voucher_issued", order, intent=intent["id"])
    db.session.refresh(payment)
    records.tell_producer(order, "payment.voucher", number=payment.reference or "-")
    return "voucher_issued"


def _amount_matches(order: Order, session: dict) -> bool:
    expected = gateway.to_stripe_amount(order.total_minor, order.currency)
    return (
        session.get("amount_total") == expected
        and (session.get("currency") or "").upper() == order.currency.upper()
    )


def _flag_mismatch(order: Order, payment: OrderPayment, session: dict) -> str:
    db.session.execute(
        update(OrderPayment)
        .where(OrderPayment.id == payment.id)
        .values(issue=PaymentIssue.AMOUNT_MISMATCH.value, updated_at=utcnow())
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


def _refund_late(order: Order, payment: OrderPayment, values: dict) -> str:
    values["issue"] = PaymentIssue.LATE_PAYMENT_REFUNDED.value
    if not states.move_payment(payment.id, states.CONFIRMED, **values):
        return "changed"
    db.session.refresh(payment)
    refund = records.refund(None, payment, payment.amount_minor, RefundReason.LATE_PAYMENT)
    audit.record(
        None, "payment.late_refunded", order, intent=values["stripe_payment_intent_id"],
        refund=refund.id,
    )  # fmt: skip
    tell_refund(order)
    return "refunded_late"


def _refund_duplicate(order: Order, payment: OrderPayment, values: dict) -> str:
    values["issue"] = PaymentIssue.DUPLICATE_REFUNDED.value
    if not states.move_payment(payment.id, states.CONFIRMED, **values):
        return "changed"
    db.session.refresh(payment)
    refund = records.refund(None, payment, payment.amount_minor, RefundReason.DUPLICATE)
    audit.record(
        None, "payment.duplicate_refunded", order, intent=values["stripe_payment_intent_id"],
        refund=refund.id,
    )  # fmt: skip
    return "duplicate_refunded"


# --- expired, failed: checkout.session.expired, async_payment_failed, payment_failed ------


def expired(session: dict, record: StripeEvent) -> str:
    """The session closed unpaid: the attempt expired; the order may be paid again."""
    order = _order_from(session.get("metadata"))
    if order is None:
        return _unknown(record, session.get("id"))
    if session.get("status") != "expired":
        return "not_expired"  # the API says otherwise (e.g. it completed meanwhile)
    payment = records.payment_by_session(session.get("id"))
    if payment is None or not states.move_payment(payment.id, states.EXPIRED):
        return "ignored"
    if order.status != OrderStatus.CANCELLED:
        kind = "payment.oxxo_expired" if payment.method == PaymentMethod.OXXO else "payment.expired"
        records.tell_producer(order, kind)
    return "unpaid"


def async_failed(session: dict, record: StripeEvent) -> str:
    """The OXXO voucher expired unpaid: the attempt failed; the producer may get a new
    voucher."""
    order = _order_from(session.get("metadata"))
    if order is None:
        return _unknown(record, session.get("id"))
    if session.get("payment_status") == "paid":
        return "not_failed"
    payment = _payment_for(order, session)
    reason = "oxxo_voucher_expired"
    if not states.move_payment(payment.id, states.FAILED, only_from=(states.PENDING,),
                               error=reason):  # fmt: skip
        return "ignored"
    audit.record(None, "payment.oxxo_failed", order, session=session.get("id"))
    if order.status != OrderStatus.CANCELLED:
        records.tell_producer(order, "payment.oxxo_failed")
    return "failed"


def _payment_of_intent(order: Order, intent: dict) -> OrderPayment | None:
    raw = (intent.get("metadata") or {}).get("payment_id")
    if isinstance(raw, str) and raw.isdigit() and len(raw) <= 12:
        found = db.session.get(OrderPayment, int(raw), populate_existing=True)
        if found is not None and found.order_id == order.id:
            return found
    db.session.refresh(order)
    return records.open_payment(order)


def failed(intent: dict, record: StripeEvent) -> str:
    """The card was declined: the attempt failed (its page stays open for another card);
    the producer is told why."""
    order = _order_from(intent.get("metadata"))
    if order is None:
        return _unknown(record, intent.get("id"))
    if intent.get("status") in ("succeeded", "processing", "requires_capture"):
        return "not_failed"
    reason = ((intent.get("last_payment_error") or {}).get("message") or "")[:300]
    payment = _payment_of_intent(order, intent)
    if (
        payment is None
        or order.status == OrderStatus.CANCELLED
        or not states.move_payment(payment.id, states.FAILED, error=reason or None)
    ):
        return "ignored"
    records.tell_producer(order, "payment.failed", reason=reason or "-")
    return "failed"


# --- charge.refunded, account.updated -------------------------------------------------------


def refunded(charge: dict, record: StripeEvent) -> str:
    """Money went back (from Minka or Stripe's dashboard): what Stripe refunded beyond the
    rows Minka has becomes one more refund row, so a repeated or late event never counts a
    refund twice."""
    intent_id = _id(charge.get("payment_intent"))
    payment = records.payment_by_intent(intent_id)
    if payment is None and intent_id:
        order = _order_from(gateway.retrieve_payment_intent(intent_id).get("metadata"))
        if order is not None:
            payment = records.open_payment(order)
            if payment is not None:
                states.move_payment(
                    payment.id,
                    states.CONFIRMED,
                    stripe_payment_intent_id=intent_id,
                    confirmed_at=utcnow(),
                )
                db.session.refresh(payment)
    if payment is None:
        return _unknown(record, charge.get("id"))
    order = records.lock_order(payment.order_id)
    payment = db.session.get(OrderPayment, payment.id)
    currency = (charge.get("currency") or payment.currency).upper()
    total = gateway.from_stripe_amount(int(charge.get("amount_refunded") or 0), currency)
    missing = total - records.refunded_of(payment)
    if missing <= 0 or payment.state != states.CONFIRMED:
        return "ignored"
    row = OrderRefund(order_id=order.id, payment_id=payment.id, state=RefundState.DONE.value,
                      amount_minor=missing, currency=payment.currency,
                      reason=RefundReason.OUTSIDE.value)  # fmt: skip
    db.session.add(row)
    db.session.flush()
    audit.record(
        None,
        "payment.refund_recorded",
        order,
        intent=intent_id,
        refunded=total,
        currency=order.currency,
    )
    tell_refund(order)
    db.session.expire_all()
    return order.payment_status


def account_updated(account: dict, record: StripeEvent) -> str:
    """A supplier's connected account changed: store whether it can take cards and pay out."""
    return "account_updated" if accounts.apply_account(account) else "unknown_account"


HANDLERS: dict[str, Callable[[dict, StripeEvent], str]] = {
    "checkout.session.completed": completed,
    "checkout.session.async_payment_succeeded": async_succeeded,
    "checkout.session.async_payment_failed": async_failed,
    "checkout.session.expired": expired,
    "payment_intent.payment_failed": failed,
    "charge.refunded": refunded,
    "account.updated": account_updated,
}
