"""Deforestation-free traceability: forest-change layers, field evidence, deliveries, lots."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
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
    # needed verification; field evidence accepted by two reviewers (a dispute upheld)
    VERIFIED = "verified", _l("Verificado en campo"), Tone.OK
    # no loss, no forest: deforestation-free
    FREE = "free", _l("Libre de deforestación"), Tone.OK


class LayerKind(StrEnum):
    """A forest layer's data: vector polygons, a raster, or the named polygons of a legal
    layer (protected areas, indigenous territories: `content` is its LegalKind). Never shown:
    no label."""

    VECTOR = "vector"
    RASTER = "raster"
    LEGAL = "legal"


class LegalKind(Vocabulary):
    """What a legal layer's polygons are, declared on import and never guessed: protected
    areas (SERNANP/SINANPE in Peru, RUNAP in Colombia, CONANP in Mexico, WDPA) or indigenous
    territories (comunidades nativas and campesinas in Peru, resguardos in Colombia, tierras
    indígenas in Mexico)."""

    PROTECTED_AREA = "protected_area", _l("área natural protegida")
    INDIGENOUS_TERRITORY = "indigenous_territory", _l("territorio indígena")


class RasterContent(Vocabulary):
    """What a raster layer's pixels mean, declared on import and checked, never guessed.

    loss_year: Hansen GFC `lossyear` (0 none, v = loss in 2000 + v); tree_cover_2000: Hansen
    `treecover2000` (percent canopy 0-100); forest_2020: a 0/1 forest mask of 2020 (JRC
    GFC2020); commodity: a 0/1 plantation/commodity mask of 2020; alerts: GLAD/RADD-style
    disturbance alerts (0 none, else confidence * 10000 + days since 2014-12-31)."""

    LOSS_YEAR = "loss_year", _l("pérdida de cobertura arbórea por año")
    TREE_COVER_2000 = "tree_cover_2000", _l("cobertura arbórea del 2000 (%)")
    FOREST_2020 = "forest_2020", _l("máscara de bosque 2020")
    COMMODITY = "commodity", _l("máscara de cultivo o plantación 2020")
    ALERTS = "alerts", _l("alertas de perturbación (fecha codificada)")


class LotStatus(Vocabulary):
    """An open lot takes deliveries; a closed one has left the centre; a merged one lives on
    inside another lot (its deliveries and weight moved there)."""

    OPEN = "open", _l("abierto")
    CLOSED = "closed", _l("cerrado")
    MERGED = "merged", _l("fusionado")


class ProductState(Vocabulary):
    """What a delivery or a lot's output is, in processing order within its value chain
    (cacao en baba is fresh/wet cacao out of the pod; pergamino is parchment coffee)."""

    CACAO_FRESH = "cacao_baba", _l("Cacao en baba (fresco)")
    CACAO_DRY = "cacao_seco", _l("Cacao seco (grano fermentado y seco)")
    COFFEE_CHERRY = "cafe_cereza", _l("Café cereza")
    COFFEE_PARCHMENT = "cafe_pergamino", _l("Café pergamino seco")
    COFFEE_GREEN = "cafe_verde", _l("Café verde (oro)")


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
    # rasters only: read by window from the stored file, never copied into the database
    content: Mapped[str | None] = mapped_column(String(20))  # RasterContent
    version: Mapped[str] = mapped_column(String(40), default="", server_default="")
    path: Mapped[str | None] = mapped_column(String(300))  # under the instance folder
    sha256: Mapped[str | None] = mapped_column(String(64))
    crs: Mapped[str | None] = mapped_column(String(20))
    width: Mapped[int | None]
    height: Mapped[int | None]
    pixel_deg: Mapped[float | None]
    nodata: Mapped[float | None]
    min_lon: Mapped[float | None]
    min_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    max_lat: Mapped[float | None]

    def provenance(self) -> dict:
        """What an assessment records of this layer: name, version, sha, import date."""
        return {
            "id": self.id,
            "name": self.name,
            "content": self.content or self.kind,
            "version": self.version,
            "sha256": self.sha256,
            "imported_at": self.imported_at.isoformat() if self.imported_at else None,
        }


class ForestLayerSet(db.Model):
    """The layers one assessment read, kept once for every assessment that read the same
    ones: `key` is their ids in order, `layers` the provenance of each (a layer is never
    edited, so its id names its version)."""

    __tablename__ = "forest_layer_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    layers: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ForestAssessment(db.Model):
    """One assessment of a plot (append-only: a row is never updated; the farm points at its
    current one). `indicators`: {name: {"ha", "share"[, "year"]}}; `layer_set`: the
    provenance of the layers read; `reason`: {"code", ...params} rendered in the reader's
    language."""

    __tablename__ = "forest_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    plot_ha: Mapped[float | None]
    point: Mapped[bool] = mapped_column(default=False)
    indicators: Mapped[dict] = mapped_column(JSON, default=dict)
    layer_set_id: Mapped[int | None] = mapped_column(ForeignKey("forest_layer_set.id"))
    reason: Mapped[dict] = mapped_column(JSON, default=dict)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    layer_set: Mapped[ForestLayerSet | None] = relationship()

    @property
    def layers(self) -> list[dict]:
        """The provenance of each layer read (name, content, version, sha256, import date)."""
        return self.layer_set.layers if self.layer_set else []


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


class PositionSource(Vocabulary):
    """Where a piece of field evidence's position came from."""

    PHOTO = "photo", _l("GPS de la foto")
    DEVICE = "device", _l("GPS del teléfono al registrar")


class LegalArea(db.Model):
    """One named polygon of a legal layer (a protected area or an indigenous territory), with
    the category and designation its source gives (IUCN category, SINANPE category, resguardo,
    comunidad nativa...). The bounding box columns let an assessment fetch only the areas
    near a plot; the kind is the layer's (`ForestLayer.content`)."""

    __tablename__ = "legal_area"
    __table_args__ = (Index("ix_legal_area_bbox", "min_lat", "max_lat", "min_lon", "max_lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("forest_layer.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(120), default="", server_default="")
    iucn_category: Mapped[str] = mapped_column(String(20), default="", server_default="")
    designation: Mapped[str] = mapped_column(String(200), default="", server_default="")
    geometry: Mapped[dict] = mapped_column(JSON)  # GeoJSON Polygon/MultiPolygon, WGS84
    min_lat: Mapped[float]
    max_lat: Mapped[float]
    min_lon: Mapped[float]
    max_lon: Mapped[float]


class PlotOverlap(db.Model):
    """Two plots of different producers that overlap, stored once per pair (`farm_a_id` is
    the lower id): the overlapping hectares and the share of each plot they are. Resolved when
    a later detection no longer finds it (an outline was corrected); found again, it reopens."""

    __tablename__ = "plot_overlap"
    __table_args__ = (UniqueConstraint("farm_a_id", "farm_b_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_a_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    farm_b_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    overlap_ha: Mapped[float]
    share_a: Mapped[float]
    share_b: Mapped[float]
    found_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FieldEvidence(db.Model):
    """What a technician saw on a plot: a photo, a note, a date, and where it was taken
    (the photo's own GPS tags when it has them, else the phone's position; audit-logged)."""

    __tablename__ = "field_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    photo_path: Mapped[str | None] = mapped_column(String(200))  # under the instance folder
    note: Mapped[str] = mapped_column(Text, default="")
    observed_on: Mapped[date]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]  # the fix's radius, when the device or photo gave one
    position_source: Mapped[str | None] = mapped_column(String(10))  # PositionSource
    photo_taken_on: Mapped[date | None]  # the photo's own date (EXIF)
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
    # what the output weight is (ProductState); inputs are converted to it (mass balance)
    output_state: Mapped[str | None] = mapped_column(String(20))
    # lineage: the lot this one was split from, the lot this one was merged into
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="lot")
    reviews: Mapped[list[LotReview]] = relationship(
        back_populates="lot", order_by="LotReview.id", cascade="all, delete-orphan"
    )


class LotReview(db.Model):
    """A flag on a lot: a plot that delivered into it was reassessed worse after the
    delivery. The delivery's own snapshot never changes; this row says "revisar"."""

    __tablename__ = "lot_review"
    __table_args__ = (
        UniqueConstraint("lot_id", "farm_id", "risk_status", name="uq_lot_review_farm_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id"))
    risk_status: Mapped[str] = mapped_column(String(20))  # the plot's new status
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it changed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lot: Mapped[Lot] = relationship(back_populates="reviews")


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
    # when it was harvested (None on rows from before: the delivery date stands in)
    harvest_start: Mapped[date | None]
    harvest_end: Mapped[date | None]
    product_state: Mapped[str | None] = mapped_column(String(20))  # ProductState
    # the plot's risk when delivered, frozen: lots, exports and pages read this snapshot,
    # never the farm's status today (lots inherit the worst)
    risk_status: Mapped[str] = mapped_column(String(20), default=RiskStatus.UNASSESSED)
    risk_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the forest layers that reached the plot then: [{"id", "name", "imported_at"}]
    risk_layers: Mapped[list | None] = mapped_column(JSON)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lot: Mapped[Lot | None] = relationship(back_populates="deliveries")

    @property
    def paid_to_producer_minor(self) -> int:
        return self.value_minor - self.deduction_minor

    @property
    def harvest_from(self) -> date:
        """The harvest period's first day (the delivery date on rows from before it)."""
        return self.harvest_start or self.delivered_on

    @property
    def harvest_to(self) -> date:
        """The harvest period's last day (the delivery date on rows from before it)."""
        return self.harvest_end or self.delivered_on
