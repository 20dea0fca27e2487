"""Transfers and wallets (Peru, Colombia): the producer pays the supplier directly (Yape,
Plin, Nequi, Daviplata, PSE, a bank transfer) and records the operation number and the
amount; the supplier confirms what arrived, and only then is the order paid. A supplier's
"no recibido" opens a dispute the admin resolves (paid / not paid).

Every move is a compare-and-set of payments.states while the order's row is held
(records.lock_order), so a confirmation racing a cancellation ends with one outcome and at
most one refund row.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import (
    Order,
    OrderPayment,
    OrderRefund,
    OrderStatus,
    Organization,
    PaymentIssue,
    PaymentMethod,
    RefundReason,
    RefundState,
    TransferDetails,
    User,
)
from marketplace.models.base import utcnow
from marketplace.notifications.messages import money_param
from marketplace.payments import countries, records, states
from marketplace.payments.methods import transfer_details
from marketplace.payments.permissions import is_supplier_of

MAX_REFERENCE = 60
MAX_REASON = 500
MAX_ACCOUNT = 60
MAX_HOLDER = 120
#: Order statuses in which a transfer may still be recorded.
PAYABLE_ORDER = (OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value, OrderStatus.DELIVERED.value)

_CHANGED = _l("El pago cambió mientras tanto. Revise su estado.")


# --- the supplier's details -----------------------------------------------------------------


def save_details(
    actor: User, org: Organization, channel: str, holder: str, account: str, bank: str = ""
) -> TransferDetails:
    """Declare (or change) where the organization receives one channel's transfers."""
    if channel not in countries.methods_of(org.country).channels:
        raise DomainError(_l("Elija un medio de pago de su país."), "channel")
    holder, account, bank = holder.strip(), account.strip(), (bank or "").strip()
    if not holder or len(holder) > MAX_HOLDER:
        raise DomainError(_l("Escriba el nombre del titular (hasta 120 caracteres)."), "holder")
    if not account or len(account) > MAX_ACCOUNT:
        raise DomainError(
            _l("Escriba el número de celular o de cuenta (hasta 60 caracteres)."), "account"
        )
    if channel in ("bank", "pse") and not bank:
        raise DomainError(_l("Escriba el nombre del banco."), "bank")
    row = db.session.scalar(
        select(TransferDetails).where(
            TransferDetails.organization_id == org.id, TransferDetails.channel == channel
        )
    )
    if row is None:
        row = TransferDetails(organization_id=org.id, channel=channel)
        db.session.add(row)
    row.holder, row.account, row.bank = holder, account, bank or None
    db.session.flush()
    audit.record(actor, "transfer.details_saved", org, channel=channel)
    db.session.commit()
    return row


def remove_details(actor: User, org: Organization, channel: str) -> None:
    """Stop offering one channel."""
    row = db.session.scalar(
        select(TransferDetails).where(
            TransferDetails.organization_id == org.id, TransferDetails.channel == channel
        )
    )
    if row is not None:
        db.session.delete(row)
        audit.record(actor, "transfer.details_saved", org, channel=channel, removed=True)
        db.session.commit()


# --- the producer records, or withdraws, a transfer ---------------------------------------


def due_minor(order: Order) -> int:
    """What is still to be paid: the total less what confirmed payments brought in and what
    recorded transfers still waiting for the supplier say."""
    waiting = sum(
        p.amount_minor for p in order.payments if p.state in (states.PENDING, states.DISPUTED)
    )
    return max(order.total_minor - order.paid_minor - waiting, 0)


def _check_recordable(order: Order, channel: str, reference: str, amount_minor: int) -> None:
    if order.payment_method != PaymentMethod.TRANSFER:
        raise DomainError(_l("Este pedido no se paga por transferencia."), "channel")
    if order.status not in PAYABLE_ORDER:
        raise DomainError(_l("Este pedido ya no se puede pagar."), "channel")
    if channel not in {d.channel for d in transfer_details(order.supplier_id)}:
        raise DomainError(_l("Elija uno de los medios que el proveedor recibe."), "channel")
    if not reference or len(reference) > MAX_REFERENCE:
        raise DomainError(
            _l("Escriba el número de operación que le dio su banco o billetera."), "reference"
        )
    if amount_minor <= 0:
        raise DomainError(_l("Escriba un monto mayor que 0."), "amount")
    if amount_minor > due_minor(order):
        raise DomainError(_l("Ese monto es mayor que lo que falta pagar de este pedido."), "amount")


def record(
    actor: User, order: Order, channel: str, reference: str, amount_minor: int
) -> OrderPayment:
    """The producer says they paid `amount_minor` by `channel` with operation `reference`:
    a pending attempt the supplier confirms."""
    reference = (reference or "").strip()
    order = records.lock_order(order.id)
    _check_recordable(order, channel, reference, amount_minor)
    payment = records.open_attempt(
        actor, order, PaymentMethod.TRANSFER.value, channel=channel, reference=reference,
        amount_minor=amount_minor,
    )  # fmt: skip
    states.move_payment(payment.id, states.PENDING)
    audit.record(actor, "transfer.recorded", order, payment=payment.id, channel=channel,
                 amount=amount_minor, currency=order.currency)  # fmt: skip
    records.tell_supplier(
        order, "transfer.recorded", amount=money_param(amount_minor, order.currency),
        channel=channel, reference=reference,
    )  # fmt: skip
    db.session.commit()
    return db.session.get(OrderPayment, payment.id, populate_existing=True)


def withdraw(actor: User, payment: OrderPayment) -> None:
    """The producer takes back a transfer they recorded, before the supplier confirms it."""
    records.lock_order(payment.order_id)
    if not states.move_payment(payment.id, states.CANCELED, only_from=(states.PENDING,)):
        db.session.rollback()
        raise DomainError(_l("Esa transferencia ya no se puede anular."), "payment")
    audit.record(actor, "transfer.canceled", payment.order, payment=payment.id)
    db.session.commit()


# --- the supplier answers -------------------------------------------------------------------


def confirm(actor: User, payment: OrderPayment, received_minor: int | None = None) -> Order:
    """The supplier says the money arrived (all of it, or `received_minor`). On an order
    cancelled meanwhile, what arrived is owed back: one refund row the supplier settles."""
    order = records.lock_order(payment.order_id)
    payment = db.session.get(OrderPayment, payment.id)
    if not is_supplier_of(actor, order):
        raise DomainError(_l("Usted no puede hacer este cambio en el pedido."), "payment")
    if received_minor is not None and not 0 < received_minor <= payment.amount_minor:
        raise DomainError(
            _l("Escriba lo que llegó: más que 0 y no más de lo que el productor registró."),
            "received",
        )
    received = None if received_minor in (None, payment.amount_minor) else received_minor
    moved = states.move_payment(
        payment.id,
        states.CONFIRMED,
        only_from=(states.PENDING,),
        received_minor=received,
        confirmed_at=utcnow(),
    )
    if not moved:
        db.session.rollback()
        raise DomainError(_CHANGED, "payment")
    db.session.refresh(payment)
    audit.record(actor, "transfer.confirmed", order, payment=payment.id,
                 received=payment.settled_minor, currency=order.currency)  # fmt: skip
    records.tell_producer(
        order, "transfer.confirmed", amount=money_param(payment.settled_minor, order.currency)
    )
    if order.status == OrderStatus.CANCELLED:
        records.refund(actor, payment, payment.settled_minor, RefundReason.CANCELLED.value)
        records.tell_refund(order)
    db.session.commit()
    return order


def dispute(actor: User, payment: OrderPayment, reason: str) -> Order:
    """The supplier says the money did not arrive: a dispute the producer, the supplier and
    the admin see until the admin decides."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise DomainError(
            _l("Explique qué no llegó o qué no coincide (hasta 500 caracteres)."), "reason"
        )
    order = records.lock_order(payment.order_id)
    if not is_supplier_of(actor, order):
        raise DomainError(_l("Usted no puede hacer este cambio en el pedido."), "payment")
    moved = states.move_payment(
        payment.id,
        states.DISPUTED,
        issue=PaymentIssue.NOT_RECEIVED.value,
        dispute_reason=reason,
    )
    if not moved:
        db.session.rollback()
        raise DomainError(_CHANGED, "payment")
    audit.record(actor, "transfer.disputed", order, payment=payment.id, reason=reason)
    records.tell_producer(order, "transfer.disputed", reason=reason)
    records.tell_supplier(order, "transfer.disputed", reason=reason)
    db.session.commit()
    return order


def resolve(actor: User, payment: OrderPayment, paid: bool) -> Order:
    """The admin decides a dispute: the money arrived (paid) or it did not (failed)."""
    order = records.lock_order(payment.order_id)
    target = states.CONFIRMED if paid else states.FAILED
    extra = {"confirmed_at": utcnow()} if paid else {}
    if not states.move_payment(payment.id, target, only_from=(states.DISPUTED,), **extra):
        db.session.rollback()
        raise DomainError(_CHANGED, "payment")
    audit.record(actor, "transfer.resolved", order, payment=payment.id, paid=paid)
    kind = "transfer.resolved_paid" if paid else "transfer.resolved_unpaid"
    records.tell_producer(order, kind)
    records.tell_supplier(order, kind)
    if paid and order.status == OrderStatus.CANCELLED:
        db.session.refresh(payment)
        records.refund(actor, payment, payment.settled_minor, RefundReason.CANCELLED.value)
    db.session.commit()
    return order


def refund_made(actor: User, refund: OrderRefund) -> None:
    """The supplier gave back money Minka cannot move itself (a transfer, OXXO cash)."""
    order = records.lock_order(refund.order_id)
    if not is_supplier_of(actor, order):
        raise DomainError(_l("Usted no puede hacer este cambio en el pedido."), "refund")
    if not states.move_refund(refund.id, RefundState.DONE.value):
        db.session.rollback()
        raise DomainError(_l("Esa devolución ya fue registrada."), "refund")
    audit.record(actor, "transfer.refund_made", order, refund=refund.id)
    records.tell_refund(order)
    db.session.commit()


def open_disputes() -> list[OrderPayment]:
    """Every disputed payment, oldest first: the admin's list."""
    return list(
        db.session.scalars(
            select(OrderPayment)
            .where(OrderPayment.state == states.DISPUTED)
            .order_by(OrderPayment.updated_at, OrderPayment.id)
        )
    )
