"""What a technician's phone sent while it was offline: one receipt per idempotency key."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Vocabulary
from marketplace.types import UTCDateTime


class SyncKind(Vocabulary):
    """What an entry queued on the phone records."""

    PRODUCER = "producer", _l("Productor")
    FARM = "farm", _l("Finca")
    OUTLINE = "outline", _l("Contorno de la parcela")
    EVIDENCE = "evidence", _l("Evidencia de campo")
    DELIVERY = "delivery", _l("Entrega en el centro de acopio")


class SyncReceipt(db.Model):
    """The record an entry made, under the key the phone gave it: a retry of the same key gets
    the first answer and never a second record (the key is unique)."""

    __tablename__ = "sync_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # the producer, farm, field evidence or delivery it made (the farm for an outline)
    record_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<SyncReceipt {self.key} {self.kind} -> {self.record_id}>"
