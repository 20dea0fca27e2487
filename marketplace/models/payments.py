"""Payments of orders: each attempt and each refund as its own row (pretix's order payments and
refunds), suppliers' Stripe connected accounts and transfer details, webhook events received,
and the platform's settings (the card fee)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime

if TYPE_CHECKING:
    from marketplace.models.orders import Order


class PaymentStatus(Vocabulary):
    """Where an order's money is, summed up from its payment and refund rows: unpaid (may
    pay), pending (an attempt is open), failed (the last attempt failed; may pay again), paid,
    refunded, partially_refunded."""

    UNPAID = "unpaid", _l("Sin pagar"), Tone.WARN
    PENDING = "pending", _l("Pago en curso"), Tone.WARN
    FAILED = "failed", _l("Pago rechazado"), Tone.BAD
    PAID = "paid", _l("Pagado"), Tone.OK
    PARTIALLY_PAID = "partially_paid", _l("Pagado en parte"), Tone.WARN
    REFUNDED = "refunded", _l("Devuelto"), Tone.BAD
    PARTIALLY_REFUNDED = "partially_refunded", _l("Devuelto en parte"), Tone.WARN


class PaymentAccount(db.Model):
    """A supplier organization's Stripe Express connected account and what it may do."""

    __tablename__ = "payment_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(String(64), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<PaymentAccount {self.organization_id} {self.stripe_account_id}>"


class StripeEvent(db.Model):
    """A webhook event received; the unique event id makes a replay a no-op."""

    __tablename__ = "stripe_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[str] = mapped_column(String(40), default="")

    def __repr__(self) -> str:
        return f"<StripeEvent {self.event_id} {self.type} {self.result}>"


class PlatformSetting(db.Model):
    """One platform-wide setting an admin changes (e.g. the card fee), stored as text."""

    __tablename__ = "platform_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    def __repr__(self) -> str:
        return f"<PlatformSetting {self.key}={self.value!r}>"


class PaymentState(Vocabulary):
    """One payment attempt (payments.states has the moves): created -> pending -> confirmed |
    failed | canceled | expired; a transfer the supplier says did not arrive is disputed until
    the admin decides."""

    CREATED = "created", _l("Creado"), Tone.NEUTRAL
    PENDING = "pending", _l("Pendiente"), Tone.WARN
    CONFIRMED = "confirmed", _l("Confirmado"), Tone.OK
    FAILED = "failed", _l("Fallido"), Tone.BAD
    CANCELED = "canceled", _l("Anulado"), Tone.NEUTRAL
    EXPIRED = "expired", _l("Vencido"), Tone.NEUTRAL
    DISPUTED = "disputed", _l("En disputa"), Tone.BAD


class RefundState(Vocabulary):
    """One refund: created -> done | failed."""

    CREATED = "created", _l("Solicitada"), Tone.WARN
    DONE = "done", _l("Devuelta"), Tone.OK
    FAILED = "failed", _l("Fallida"), Tone.BAD


class PaymentProvider(Vocabulary):
    """Who moves the money: Stripe (card, OXXO) or the supplier's own account (transfer)."""

    STRIPE = "stripe", _l("Stripe")
    MANUAL = "manual", _l("Transferencia directa al proveedor")


class PaymentChannel(Vocabulary):
    """The wallet or bank a transfer went through (countries.METHODS says where each is)."""

    YAPE = "yape", _l("Yape")
    PLIN = "plin", _l("Plin")
    NEQUI = "nequi", _l("Nequi")
    DAVIPLATA = "daviplata", _l("Daviplata")
    PSE = "pse", _l("PSE")
    BANK = "bank", _l("Transferencia bancaria")


class PaymentIssue(Vocabulary):
    """Why a payment needs a person's look, or what Minka did about it."""

    AMOUNT_MISMATCH = "amount_mismatch", _l("El monto cobrado no coincide con el pedido")
    LATE_PAYMENT_REFUNDED = (
        "late_payment_refunded",
        _l("Pago tardío devuelto: el pedido ya estaba cancelado"),
    )
    DUPLICATE_REFUNDED = "duplicate_refunded", _l("Pago duplicado devuelto")
    NOT_RECEIVED = "not_received", _l("El proveedor dice que no recibió la transferencia")


class RefundReason(Vocabulary):
    """Why money went back."""

    CANCELLED = "cancelled", _l("Pedido cancelado")
    LATE_PAYMENT = "late_payment", _l("Pago tardío de un pedido cancelado")
    DUPLICATE = "duplicate", _l("Pago duplicado")
    OUTSIDE = "outside", _l("Devolución hecha desde el panel de Stripe")


class OrderPayment(db.Model):
    """One attempt to pay an order: its provider, amount, provider ids and state. Amounts in
    the order currency's minor units."""

    __tablename__ = "order_payment"
    __table_args__ = (Index("ix_order_payment_order_state", "order_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"))
    provider: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))  # a PaymentMethod: card | oxxo | transfer
    channel: Mapped[str | None] = mapped_column(String(12))  # a PaymentChannel (transfers)
    state: Mapped[str] = mapped_column(String(12), default=PaymentState.CREATED)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # what the supplier says arrived (a transfer), when it differs from amount_minor
    received_minor: Mapped[int | None] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # the operation number of a transfer, or the OXXO voucher's number
    reference: Mapped[str | None] = mapped_column(String(60))
    voucher_url: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(String(300))
    issue: Mapped[str | None] = mapped_column(String(40))  # a PaymentIssue
    dispute_reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="payments")
    refunds: Mapped[list[OrderRefund]] = relationship(
        back_populates="payment", order_by="OrderRefund.id"
    )

    @property
    def settled_minor(self) -> int:
        """What this payment brought in: what arrived, else the amount asked."""
        return self.amount_minor if self.received_minor is None else self.received_minor

    def __repr__(self) -> str:
        return f"<OrderPayment {self.id} order={self.order_id} {self.method} {self.state}>"


class OrderRefund(db.Model):
    """Money going back for one payment, all of it or a part."""

    __tablename__ = "order_refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("order_payment.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default=RefundState.CREATED)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(20))  # a RefundReason
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    payment: Mapped[OrderPayment] = relationship(back_populates="refunds")

    def __repr__(self) -> str:
        return f"<OrderRefund {self.id} payment={self.payment_id} {self.state}>"


class TransferDetails(db.Model):
    """Where a supplier in Peru or Colombia receives transfers: one row per channel it
    declares (a wallet's phone number, or a bank account and its interbank code)."""

    __tablename__ = "transfer_details"
    __table_args__ = (Index("uq_transfer_details_org_channel", "organization_id", "channel",
                            unique=True),)  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    channel: Mapped[str] = mapped_column(String(12))  # a PaymentChannel
    holder: Mapped[str] = mapped_column(String(120))
    account: Mapped[str] = mapped_column(String(60))  # phone number, account or CCI
    bank: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<TransferDetails {self.organization_id} {self.channel}>"


#: The methods whose payment Minka follows as rows (cash and credit have none).
TRACKED_METHODS = ("card", "oxxo", "transfer")
# A created attempt has not reached its provider yet: the order still reads unpaid.
_OPEN = (PaymentState.PENDING.value, PaymentState.DISPUTED.value)


@dataclass(frozen=True)
class PaymentSummary:
    """An order's payment rows read as one status and two sums."""

    status: str | None
    paid_minor: int
    refunded_minor: int
    issue: str | None
    error: str | None


def summary(order: Order) -> PaymentSummary:
    """Sum up the order's rows: a duplicate payment Minka refunded does not count; paid is
    what confirmed payments brought in, refunded what went back from them."""
    rows = [p for p in order.payments if p.issue != PaymentIssue.DUPLICATE_REFUNDED]
    confirmed = [p for p in rows if p.state == PaymentState.CONFIRMED]
    paid = sum(p.settled_minor for p in confirmed)
    refunded = sum(
        r.amount_minor for p in confirmed for r in p.refunds if r.state == RefundState.DONE
    )
    issue = next((p.issue for p in reversed(order.payments) if p.issue), None)
    last = rows[-1] if rows else None
    error = last.error if last is not None else None
    return PaymentSummary(_status(order, rows, paid, refunded), paid, refunded, issue, error)


def _status(order: Order, rows: list[OrderPayment], paid: int, refunded: int) -> str | None:
    if paid > 0 and refunded >= paid:
        return PaymentStatus.REFUNDED.value
    if refunded > 0:
        return PaymentStatus.PARTIALLY_REFUNDED.value
    if paid >= order.total_minor:
        return PaymentStatus.PAID.value
    if any(p.state in _OPEN for p in rows):
        return PaymentStatus.PENDING.value
    if paid > 0:
        return PaymentStatus.PARTIALLY_PAID.value
    if rows and rows[-1].state == PaymentState.FAILED:
        return PaymentStatus.FAILED.value
    if order.payment_method in TRACKED_METHODS:
        return PaymentStatus.UNPAID.value
    return None
