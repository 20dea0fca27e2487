"""Card payments through Stripe: suppliers' connected accounts, webhook events received, and
the platform's settings (the card fee)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class PaymentStatus(Vocabulary):
    """Where a card order's money is: unpaid (may pay), pending (a checkout session is open),
    failed (the card was declined; may pay again), paid, refunded, partially_refunded."""

    UNPAID = "unpaid", _l("Sin pagar"), Tone.WARN
    PENDING = "pending", _l("Pago en curso"), Tone.WARN
    FAILED = "failed", _l("Pago rechazado"), Tone.BAD
    PAID = "paid", _l("Pagado"), Tone.OK
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
