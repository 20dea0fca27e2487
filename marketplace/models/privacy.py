"""Producers' data-protection requests (access, rectification, objection, deletion) and the
objections to uses of their data that are in force."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import User
from marketplace.models.base import utcnow
from marketplace.models.producers import Producer
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class RequestKind(Vocabulary):
    """The rights the three countries' laws give (ARCO in Mexico and Peru)."""

    ACCESS = "access", _l("Acceso a sus datos")
    RECTIFICATION = "rectification", _l("Corrección de datos")
    OBJECTION = "objection", _l("Oposición a un uso de sus datos")
    DELETION = "deletion", _l("Supresión de sus datos")


class RequestStatus(Vocabulary):
    """open -> done | rejected; access and objections are done as they are filed."""

    OPEN = "open", _l("En trámite"), Tone.WARN
    DONE = "done", _l("Atendida"), Tone.OK
    REJECTED = "rejected", _l("Rechazada"), Tone.BAD


class RequestChannel(Vocabulary):
    """How the request reached Minka."""

    ONLINE = "online", _l("En línea, por la propia persona")
    IN_PERSON = "in_person", _l("En persona, ante un técnico de su cooperativa")


class ObjectionUse(Vocabulary):
    """The uses of her data a producer can object to, each with a real effect in the code."""

    CREDIT_SCORING = (
        "credit_scoring",
        _l("Evaluación para crédito: grupos de crédito y puntaje de preparación"),
    )
    SHARE_LENDERS = "share_lenders", _l("Mostrar mis datos a entidades de crédito")
    SHARE_BUYERS = "share_buyers", _l("Mostrar mi nombre y mi finca a los compradores")


class DataRequest(db.Model):
    """One request a producer (or her technician, with her, in person) filed."""

    __tablename__ = "data_request"
    __table_args__ = (
        Index("ix_data_request_status_due", "status", "due_on"),
        Index("ix_data_request_producer", "producer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    kind: Mapped[str] = mapped_column(String(16))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(12))
    # the objection's use (ObjectionUse), for kind objection
    use: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    # the country whose law sets the deadline (the producer's, when filed)
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.OPEN)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # a carried-out deletion: what was removed and what was anonymised, item by item
    receipt: Mapped[dict | None] = mapped_column(JSON)

    producer: Mapped[Producer] = relationship()
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    def __repr__(self) -> str:
        return f"<DataRequest {self.id} {self.kind} {self.status}>"


class Objection(db.Model):
    """Whether a producer objects to one use of her data now; history lives in the audit log."""

    __tablename__ = "objection"
    __table_args__ = (UniqueConstraint("producer_id", "use"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"))
    use: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    def __repr__(self) -> str:
        return f"<Objection producer={self.producer_id} {self.use} active={self.active}>"
