"""Producers' orders of listings, and in-app notifications."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization, User
from marketplace.models.base import utcnow
from marketplace.models.catalog import CollectionCenter, Listing
from marketplace.models.credit import Loan
from marketplace.models.payments import OrderPayment, OrderRefund, PaymentSummary, summary
from marketplace.models.producers import Farm, Producer
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class OrderStatus(Vocabulary):
    """placed -> confirmed -> delivered -> completed; cancelled from placed or confirmed."""

    PLACED = "placed", _l("Enviado"), Tone.WARN
    CONFIRMED = "confirmed", _l("Confirmado"), Tone.OK
    DELIVERED = "delivered", _l("Entregado"), Tone.OK
    COMPLETED = "completed", _l("Completado"), Tone.NEUTRAL
    CANCELLED = "cancelled", _l("Cancelado"), Tone.BAD


class PaymentMethod(Vocabulary):
    """How an order is paid: cash, card or OXXO (Stripe Checkout), a transfer or wallet the
    supplier confirms, or an approved loan (payments.countries says where each is offered)."""

    CASH = "cash", _l("Pago en efectivo al recibir o en el centro de acopio")
    CARD = "card", _l("Tarjeta (pago en línea)")
    OXXO = "oxxo", _l("Efectivo en tiendas OXXO")
    TRANSFER = "transfer", _l("Transferencia o billetera (Yape, Plin, Nequi, Daviplata, banco)")
    CREDIT = "credit", _l("Crédito")


class DeliveryPoint(Vocabulary):
    """Where the order is handed over."""

    COLLECTION_CENTER = "collection_center", _l("Centro de acopio")
    FARM = "farm", _l("Finca")


class Order(db.Model):
    """A producer's order of one listing, with the price snapshotted when placed."""

    __tablename__ = "order"
    __table_args__ = (
        Index("ix_order_supplier_status", "supplier_id", "status", "created_at"),
        Index("ix_order_producer_created", "producer_id", "created_at"),
        Index("ix_order_created", "created_at", "id"),  # a cooperative's newest orders
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    quantity: Mapped[int]
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    title: Mapped[str] = mapped_column(String(140))  # snapshot of the listing's title
    unit: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default=OrderStatus.PLACED)
    payment_method: Mapped[str] = mapped_column(String(10), default=PaymentMethod.CASH)
    payment_reference: Mapped[str | None] = mapped_column(String(120))
    # the loan paying the order when payment_method is credit
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id"), index=True)
    delivery_point: Mapped[str] = mapped_column(String(20))
    collection_center_id: Mapped[int | None] = mapped_column(ForeignKey("collection_center.id"))
    farm_id: Mapped[int | None] = mapped_column(ForeignKey("farm.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    producer: Mapped[Producer] = relationship()
    listing: Mapped[Listing] = relationship()
    supplier: Mapped[Organization] = relationship()
    placed_by: Mapped[User] = relationship()
    collection_center: Mapped[CollectionCenter | None] = relationship()
    farm: Mapped[Farm | None] = relationship()
    loan: Mapped[Loan | None] = relationship()
    payments: Mapped[list[OrderPayment]] = relationship(
        back_populates="order", order_by="OrderPayment.id", viewonly=True
    )
    refunds: Mapped[list[OrderRefund]] = relationship(order_by="OrderRefund.id", viewonly=True)

    @property
    def payment(self) -> PaymentSummary:
        """The payment as one figure, summed up from the payment and refund rows."""
        return summary(self)

    @property
    def payment_status(self) -> str | None:
        return summary(self).status

    @property
    def paid_minor(self) -> int:
        return summary(self).paid_minor

    @property
    def refunded_minor(self) -> int:
        return summary(self).refunded_minor

    @property
    def last_payment(self) -> OrderPayment | None:
        """The latest attempt, if any."""
        return self.payments[-1] if self.payments else None

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.status} {self.quantity}x{self.listing_id}>"


class Notification(db.Model):
    """An in-app message to one user, or to every member of an organization.

    `kind` and `params` are stored, not text, so each reader sees it in their language.
    """

    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_org_unread", "organization_id", "read_at"),
        # the notices page reads each side newest first and merges them
        Index("ix_notification_user_newest", "user_id", "created_at", "id"),
        Index("ix_notification_org_newest", "organization_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(200))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind}>"
