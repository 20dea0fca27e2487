"""Text messages to producers' phones (SMS, WhatsApp) and the one-time codes sent by them."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class MessageChannel(Vocabulary):
    """How a message reaches a phone."""

    SMS = "sms", _l("SMS")
    WHATSAPP = "whatsapp", _l("WhatsApp")


class MessageStatus(Vocabulary):
    """Where a queued message stands."""

    PENDING = "pending", _l("Por enviar")
    SENT = "sent", _l("Enviado")
    FAILED = "failed", _l("No se pudo enviar")


class DeliveryStatus(Vocabulary):
    """What Twilio last reported about a sent message reaching the phone (its status
    callback): handed on, then delivered (read, on WhatsApp) or not delivered."""

    QUEUED = "queued", _l("En cola en Twilio"), Tone.NEUTRAL
    SENDING = "sending", _l("Saliendo de Twilio"), Tone.NEUTRAL
    SENT = "sent", _l("En manos del operador"), Tone.WARN
    DELIVERED = "delivered", _l("Llegó al celular"), Tone.OK
    UNDELIVERED = "undelivered", _l("No llegó"), Tone.BAD
    FAILED = "failed", _l("No llegó: Twilio no pudo enviarlo"), Tone.BAD
    READ = "read", _l("Leído"), Tone.OK


class CodePurpose(Vocabulary):
    """What a one-time code sent by SMS proves."""

    PASSWORD_RESET = "reset", _l("Cambiar la contraseña olvidada")
    CLAIM = "claim", _l("Reclamar un registro hecho por un técnico")


class OutboundMessage(db.Model):
    """A message waiting to go out, or the record of one that went (the outbox).

    Rows are added in the same transaction as the change they tell about and sent after it
    commits (sms.outbox.drain); `dedupe_key` is unique so that a reminder queued twice the same
    day is one row. A one-time code's text is replaced by a redacted one once sent. `status`
    says whether Minka handed the message to Twilio; `delivery_status` whether it reached the
    phone (sms.receipts, from Twilio's reports found by `provider_sid`).
    """

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(10), default=MessageChannel.SMS)
    to: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: What Twilio's status callback last reported (a DeliveryStatus; None until the first
    #: report, and always without MINKA_PUBLIC_URL), when, and its error code (30003...).
    delivery_status: Mapped[str | None] = mapped_column(String(12))
    delivery_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[int | None] = mapped_column()


class OneTimeCode(db.Model):
    """A six-digit code sent by SMS, kept only as a hash; it expires, allows a few tries and
    is used once. A password reset names the account; a claim names the producer record the
    signed-in account asks to take over."""

    __tablename__ = "one_time_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producer.id"))
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
