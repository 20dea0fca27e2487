"""Shipments (embarques): a buyer's closed lots grouped for one EU importer, and the due
diligence statements (DDS) filed for them in the EU information system (TRACES).

A shipment, its lots and its statements are never deleted: the EU deforestation regulation
asks operators to keep the statements' reference and verification numbers for at least five
years, and no route or service removes them once recorded.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import User
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class ShipmentStatus(Vocabulary):
    """Draft: lots come and go; ready: the files are fixed for filing; filed: every part
    has its DDS numbers."""

    DRAFT = "draft", _l("Borrador"), Tone.NEUTRAL
    READY = "ready", _l("Listo para presentar"), Tone.WARN
    FILED = "filed", _l("Presentado"), Tone.OK


class Shipment(db.Model):
    """Lots of one value chain that leave together for an EU importer."""

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    value_chain: Mapped[str] = mapped_column(String(20))
    hs_code: Mapped[str] = mapped_column(String(6))
    description: Mapped[str] = mapped_column(String(150))
    importer_name: Mapped[str] = mapped_column(String(200))
    importer_country: Mapped[str] = mapped_column(String(2))
    importer_eori: Mapped[str] = mapped_column(String(17))
    exporter_name: Mapped[str] = mapped_column(String(200))
    exporter_country: Mapped[str] = mapped_column(String(2))
    exporter_eori: Mapped[str] = mapped_column(String(17), default="")  # "" when it has none
    status: Mapped[str] = mapped_column(String(10), default=ShipmentStatus.DRAFT)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    statements: Mapped[list[ShipmentStatement]] = relationship(
        order_by="ShipmentStatement.part", back_populates="shipment"
    )


class ShipmentLot(db.Model):
    """A lot in a shipment; the lot id is the key, so a lot is in at most one shipment."""

    __tablename__ = "shipment_lot"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShipmentStatement(db.Model):
    """One part of a shipment's geolocation, filed as its own DDS.

    The parts are fixed when the shipment becomes ready (`farm_ids`: the plots in this part);
    the reference and verification numbers are recorded once, after filing."""

    __tablename__ = "shipment_statement"
    __table_args__ = (UniqueConstraint("shipment_id", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"))
    part: Mapped[int]  # 1..parts
    farm_ids: Mapped[list] = mapped_column(JSON)
    producers: Mapped[int]
    size_bytes: Mapped[int]
    reference_number: Mapped[str | None] = mapped_column(String(14), unique=True)
    verification_number: Mapped[str | None] = mapped_column(String(8))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    shipment: Mapped[Shipment] = relationship(back_populates="statements")
    filed_by: Mapped[User | None] = relationship()
