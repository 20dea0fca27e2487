"""Paying an order by card or OXXO through a Stripe Checkout Session, and settling the
Stripe side of an order that is cancelled.

Each attempt is an OrderPayment row (payments.records); rows move only by compare-and-set
(payments.states) while the order's row is held, so two clicks, a webhook and a cancellation
racing each other leave exactly one outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import (
    Order,
    OrderPayment,
    OrderStatus,
    PaymentIssue,
    PaymentMethod,
    PaymentStatus,
    User,
)
from marketplace.payments import accounts, countries, fees, gateway, records, states
from marketplace.payments.records import tell_refund

log = logging.getLogger(__name__)

#: The order payment statuses from which an order may still be paid.
PAYABLE = (PaymentStatus.UNPAID.value, PaymentStatus.PENDING.value, PaymentStatus.FAILED.value)
#: Order statuses in which the producer may pay.
OPEN_ORDER = (OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value, OrderStatus.DELIVERED.value)
#: The methods paid on Stripe's Checkout page.
STRIPE_METHODS = (PaymentMethod.CARD.value, PaymentMethod.OXXO.value)
#: Days an OXXO voucher can be paid (Stripe's default; it takes 1 to 7).
OXXO_DAYS = 3

__all__ = ["tell_refund"]


@dataclass
class Links:
    """Where Stripe sends the producer back: absolute URLs the view builds."""

    success_url: str
    cancel_url: str


def checkout_key(payment: OrderPayment) -> str:
    """One idempotency key per attempt: a double click reuses the session, and a new
    attempt (after a session expired) gets a new one."""
    return f"minka-payment-{payment.id}-checkout"


def _check_payable(order: Order) -> None:
    if order.payment_method not in STRIPE_METHODS:
        raise DomainError(_l("Este pedido no se paga en línea."), "payment")
    if order.status == OrderStatus.CANCELLED:
        raise DomainError(_l("Este pedido fue cancelado: ya no se puede pagar."), "payment")
    if order.payment_status not in PAYABLE or order.status not in OPEN_ORDER:
        raise DomainError(_l("Este pedido ya está pagado."), "payment")
    if not accounts.takes_cards(order.supplier_id):
        if order.payment_method == PaymentMethod.OXXO:
            message = _l(
                "Este proveedor no puede recibir pagos en OXXO ahora. Pague de otra forma."
            )
        else:
            message = _l(
                "Este proveedor no puede recibir pagos con tarjeta ahora. Pague de otra forma."
            )
        raise DomainError(message, "payment")
    problem = gateway.card_amount_problem(order.total_minor, order.currency)
    if problem is not None:
        raise DomainError(problem, "payment")


def _reusable(order: Order) -> tuple[OrderPayment | None, str | None]:
    """The attempt a new click continues, with its page's URL when its session is open; an
    attempt whose session expired is closed and (None, None) returned."""
    payment = records.open_payment(order, order.payment_method)
    if payment is None or payment.state == states.DISPUTED:
        return None, None
    if not payment.stripe_checkout_session_id:
        return payment, None  # an earlier click did not get its session: same key again
    session = gateway.retrieve_checkout_session(payment.stripe_checkout_session_id)
    if session.get("status") == "open" and session.get("url"):
        return payment, gateway.hosted_page(session["url"])
    if session.get("status") == "complete" and payment.state == states.FAILED:
        return None, None  # an OXXO voucher that expired unpaid: a new attempt
    if session.get("status") == "complete":
        if payment.voucher_url:
            raise DomainError(
                _l("Ya tiene una ficha de pago OXXO: pague en la tienda antes de que venza."),
                "payment",
            )
        raise DomainError(
            _l("Su pago ya se hizo: estamos esperando la confirmación de la tarjeta."),
            "payment",
        )
    states.move_payment(payment.id, states.EXPIRED)  # expired without its webhook yet
    db.session.commit()
    return None, None


def session_params(
    order: Order,
    fee_minor: int,
    account_id: str,
    links: Links,
    on_behalf_of: bool = False,
    payment_id: int | None = None,
) -> dict:
    """What Stripe gets: a destination charge of the order's snapshot to the supplier, made
    on the supplier's behalf when `on_behalf_of` (an account in another country than the
    platform's); an OXXO order asks for a voucher instead of a card."""
    currency = order.currency.lower()
    metadata = {"order_id": str(order.id)}
    if payment_id is not None:
        metadata["payment_id"] = str(payment_id)
    intent = {
        "application_fee_amount": gateway.to_stripe_amount(fee_minor, order.currency),
        "transfer_data": {"destination": account_id},
        "metadata": metadata,
    }
    if on_behalf_of:
        intent["on_behalf_of"] = account_id
    params = {
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
    if order.payment_method == PaymentMethod.OXXO:
        params["allowed_payment_method_types"] = ["oxxo"]
        params["payment_method_options"] = {"oxxo": {"expires_after_days": OXXO_DAYS}}
    return params


def start_checkout(actor: User, order: Order, links: Links) -> str:
    """The Checkout page URL where the producer pays the order; the attempt becomes pending.

    A Stripe error or timeout raises a GatewayError and leaves the attempt created, so the
    next click sends the same idempotency key."""
    _check_payable(order)
    payment, url = _reusable(order)
    if url is not None:
        return url
    fee = fees.fee_for(order.total_minor, order.currency)
    if payment is None:
        payment = records.open_attempt(actor, order, order.payment_method, fee_minor=fee)
        db.session.commit()
    account = accounts.account_of(order.supplier_id)
    abroad = countries.needs_on_behalf_of(gateway.platform_country(), order.supplier.country)
    params = session_params(
        order, fee, account.stripe_account_id, links, on_behalf_of=abroad, payment_id=payment.id
    )
    session = gateway.create_checkout_session(params, checkout_key(payment))
    try:
        url = gateway.hosted_page(session.get("url"))
    except gateway.GatewayError:
        _expire_quietly(session["id"])
        raise
    order = records.lock_order(order.id)
    if order.status not in OPEN_ORDER or not states.move_payment(
        payment.id,
        states.PENDING,
        only_from=(states.CREATED,),
        stripe_checkout_session_id=session["id"],
        fee_minor=fee,
        error=None,
    ):
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
        method=order.payment_method,
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


def _paid_payment(order: Order) -> OrderPayment | None:
    """The attempt that paid the order (not one Minka already gave back as late or
    duplicate)."""
    settled = (PaymentIssue.DUPLICATE_REFUNDED, PaymentIssue.LATE_PAYMENT_REFUNDED)
    return next(
        (p for p in order.payments if p.state == states.CONFIRMED and p.issue not in settled),
        None,
    )


def _check_refund_amount(order: Order, payment: OrderPayment, amount_minor: int | None) -> int:
    refundable = payment.settled_minor - records.refunded_of(payment)
    if amount_minor is None:
        return refundable
    if amount_minor <= 0:
        raise DomainError(_l("Escriba un monto mayor que 0."), "refund_amount")
    if amount_minor > refundable:
        raise DomainError(
            _l("No puede devolver más de lo que se pagó por este pedido."), "refund_amount"
        )
    if payment.method == PaymentMethod.CARD and not gateway.chargeable(
        amount_minor, order.currency
    ):
        raise DomainError(_l("Ese monto no se puede devolver con tarjeta."), "refund_amount")
    return amount_minor


def check_cancel_refund(order: Order, amount_minor: int | None) -> None:
    """Refuse, before anything changes, a refund amount a cancellation cannot make."""
    payment = _paid_payment(order)
    if payment is not None and order.payment_status == PaymentStatus.PAID:
        _check_refund_amount(order, payment, amount_minor)


def settle_cancelled(actor: User, order_id: int, amount_minor: int | None = None) -> None:
    """The payment side of a cancellation, inside the cancelling transaction (after its
    status UPDATE won, so it holds the order's row): a paid order is refunded (all of it, or
    `amount_minor`); an open Checkout Session is expired (a payment that still arrives is
    refunded by the webhook). A transfer the supplier has not answered yet stays pending: if
    it arrived, confirming it records what the supplier owes back. A refund Stripe refuses
    raises, so the whole cancellation rolls back."""
    order = records.lock_order(order_id)
    if order is None or order.payment_method not in (*STRIPE_METHODS, PaymentMethod.TRANSFER):
        return
    payment = _paid_payment(order)
    if payment is not None:
        amount = _check_refund_amount(order, payment, amount_minor)
        if amount > 0:
            records.refund(actor, payment, amount, "cancelled")
            tell_refund(order)
    for open_ in [p for p in order.payments if p.state in (*states.OPEN, states.FAILED)]:
        if open_.method == PaymentMethod.OXXO and open_.reference and open_.state == states.PENDING:
            _void_voucher(actor, order, open_)
        elif open_.stripe_checkout_session_id:
            _expire_quietly(open_.stripe_checkout_session_id)


def _void_voucher(actor: User, order: Order, payment: OrderPayment) -> None:
    """A voucher not yet paid: cancel its PaymentIntent so the cash cannot be paid for a
    cancelled order. Paid meanwhile (Stripe refuses), it stays pending: its success refunds
    it as a late payment."""
    try:
        gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
    except gateway.GatewayError as error:
        log.info("oxxo intent %s not cancelled: %s", payment.stripe_payment_intent_id, error.code)
        return
    if states.move_payment(payment.id, states.CANCELED, only_from=(states.PENDING,)):
        audit.record(actor, "payment.voucher_voided", order, payment=payment.id)


def can_pay(order: Order) -> bool:
    """True when the producer may (still, or again) pay this order on Stripe now: not while
    an OXXO voucher waits for its cash."""
    waiting = records.open_payment(order)
    return (
        order.payment_method in STRIPE_METHODS
        and order.status in OPEN_ORDER
        and order.payment_status in PAYABLE
        and not (waiting is not None and waiting.state == states.PENDING and waiting.reference)
        and accounts.takes_cards(order.supplier_id)
    )


def payout(order: Order) -> tuple[int, int]:
    """(Minka's fee, what the supplier receives) for an order paid on Stripe: the fee fixed
    when the attempt started, else the one it would pay at today's percentage."""
    fixed = next((p.fee_minor for p in reversed(order.payments) if p.fee_minor), 0)
    fee = fixed or fees.fee_for(order.total_minor, order.currency)
    return fee, order.total_minor - fee
