"""Deforestation-free traceability: forest-change layers, field evidence, deliveries, lots."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import User
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class RiskStatus(Vocabulary):
    """A plot's deforestation risk against the cut-off date (worst first)."""

    # tree-cover loss after the cut-off inside the plot
    AT_RISK = "at_risk", _l("Riesgo: deforestación posterior al corte"), Tone.BAD
    # no polygon/point, or no layer covers it
    UNASSESSED = "unassessed", _l("Sin evaluar"), Tone.WARN
    # no loss, but forest cover (e.g. shade cacao)
    NEEDS_VERIFICATION = "needs_verification", _l("Requiere verificación"), Tone.WARN
    # needed verification; field evidence accepted by an admin or buyer
    VERIFIED = "verified", _l("Verificado en campo"), Tone.OK
    # no loss, no forest: deforestation-free
    FREE = "free", _l("Libre de deforestación"), Tone.OK


class LayerKind(StrEnum):
    """A forest layer's data: vector polygons or a raster (never shown: no label)."""

    VECTOR = "vector"
    RASTER = "raster"


class LotStatus(Vocabulary):
    """An open lot takes deliveries; a closed one has left the centre."""

    OPEN = "open", _l("abierto")
    CLOSED = "closed", _l("cerrado")


class ForestLayer(db.Model):
    """A forest-change layer an admin loaded (`flask forest import`)."""

    __tablename__ = "forest_layer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ForestArea(db.Model):
    """One polygon of a layer: tree-cover loss in `loss_year`, or forest cover (no year).

    The bounding box columns let an assessment fetch only the areas near a plot."""

    __tablename__ = "forest_area"
    __table_args__ = (Index("ix_forest_area_bbox", "min_lat", "max_lat", "min_lon", "max_lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("forest_layer.id", ondelete="CASCADE"))
    loss_year: Mapped[int | None]  # None: forest cover, not loss
    geometry: Mapped[dict] = mapped_column(JSON)  # GeoJSON Polygon/MultiPolygon, WGS84
    min_lat: Mapped[float]
    max_lat: Mapped[float]
    min_lon: Mapped[float]
    max_lon: Mapped[float]


class FieldEvidence(db.Model):
    """What a technician saw on a plot: a photo, a note, a date (audit-logged)."""

    __tablename__ = "field_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    photo_path: Mapped[str | None] = mapped_column(String(200))  # under the instance folder
    note: Mapped[str] = mapped_column(Text, default="")
    observed_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recorded_by: Mapped[User] = relationship()


class Lot(db.Model):
    """Deliveries aggregated at a collection centre for a buyer's commitment."""

    __tablename__ = "lot"
    __table_args__ = (Index("ix_lot_commitment", "commitment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("purchase_commitment.id"))
    collection_center_id: Mapped[int] = mapped_column(ForeignKey("collection_center.id"))
    # what leaves the centre; never more than the deliveries that entered it (mass balance)
    weight_kg: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(10), default=LotStatus.OPEN)
    risk_status: Mapped[str] = mapped_column(String(20), default=RiskStatus.UNASSESSED)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="lot")


class Delivery(db.Model):
    """Harvest delivered against a pledge at a collection centre, with its check-off."""

    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_pledge", "pledge_id"),
        Index("ix_delivery_producer", "producer_id", "delivered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    pledge_id: Mapped[int] = mapped_column(ForeignKey("pledge.id"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("purchase_commitment.id"))
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id"))
    collection_center_id: Mapped[int] = mapped_column(ForeignKey("collection_center.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"), index=True)
    kg: Mapped[int]
    delivered_on: Mapped[date]
    humidity_pct: Mapped[float | None]
    fermentation_pct: Mapped[float | None]
    quality_note: Mapped[str] = mapped_column(String(500), default="")
    # the buyer's payment for it, the share deducted for the producer's loan, what remains
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    deduction_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loan.id"))
    repayment_id: Mapped[int | None] = mapped_column(ForeignKey("repayment.id"))
    # the plot's risk when delivered (lots inherit the worst)
    risk_status: Mapped[str] = mapped_column(String(20), default=RiskStatus.UNASSESSED)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lot: Mapped[Lot | None] = relationship(back_populates="deliveries")

    @property
    def paid_to_producer_minor(self) -> int:
        return self.value_minor - self.deduction_minor
