"""A producer's consent to share their details, per scope."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import User
from marketplace.models.base import utcnow
from marketplace.models.producers import Producer
from marketplace.models.vocabulary import Vocabulary
from marketplace.types import UTCDateTime


class ConsentScope(Vocabulary):
    """Who a producer's personal details may be shown to."""

    LENDERS = "lenders", _l("Entidades de crédito (cajas, cooperativas, microfinancieras)")
    BUYERS = "buyers", _l("Compradores de mi cosecha")


class Consent(db.Model):
    """The current state of one scope for one producer; history lives in the audit log."""

    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("producer_id", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(20))
    granted: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    producer: Mapped[Producer] = relationship()
    changed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Consent producer={self.producer_id} {self.scope} granted={self.granted}>"
