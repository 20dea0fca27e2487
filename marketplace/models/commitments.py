"""Buyers' purchase commitments and producers' pledges of volume to them."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization, User
from marketplace.models.base import utcnow
from marketplace.models.catalog import CollectionCenter
from marketplace.models.producers import Clearing, Farm, Producer
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class CommitmentStatus(Vocabulary):
    """Open commitments take pledges; closed and fulfilled ones do not."""

    OPEN = "open", _l("Abierto"), Tone.OK
    CLOSED = "closed", _l("Cerrado"), Tone.BAD
    FULFILLED = "fulfilled", _l("Completo"), Tone.WARN


class PriceType(Vocabulary):
    """A fixed price per kg, or a premium over a reference price."""

    FIXED = "fixed", _l("Precio fijo por kg")
    PREMIUM = "premium", _l("Prima sobre un precio de referencia")


class PledgeStatus(Vocabulary):
    """Active pledges count toward the commitment; withdrawn ones do not."""

    ACTIVE = "active", _l("Vigente"), Tone.OK
    WITHDRAWN = "withdrawn", _l("Retirado"), Tone.NEUTRAL


class PurchaseCommitment(db.Model):
    """A buyer's promise to buy a volume at a price: the producers' market guarantee."""

    __tablename__ = "purchase_commitment"
    __table_args__ = (Index("ix_purchase_commitment_browse", "status", "value_chain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    product: Mapped[str] = mapped_column(String(120))
    value_chain: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    volume_kg: Mapped[int]
    # kept equal to the sum of active pledges, updated atomically (never oversubscribed)
    pledged_kg: Mapped[int] = mapped_column(default=0)
    min_kg_per_producer: Mapped[int]
    max_kg_per_producer: Mapped[int]
    price_type: Mapped[str] = mapped_column(String(10))
    price_minor_per_kg: Mapped[int | None] = mapped_column(BigInteger)
    premium_minor_per_kg: Mapped[int | None] = mapped_column(BigInteger)
    reference_price: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3))
    max_humidity_pct: Mapped[float | None]
    min_fermentation_pct: Mapped[float | None]
    quality_notes: Mapped[str] = mapped_column(Text, default="")
    deforestation_free: Mapped[bool] = mapped_column(default=True)
    cutoff_date: Mapped[date | None]
    delivery_start: Mapped[date]
    delivery_end: Mapped[date]
    collection_center_id: Mapped[int | None] = mapped_column(ForeignKey("collection_center.id"))
    status: Mapped[str] = mapped_column(String(10), default=CommitmentStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship()
    collection_center: Mapped[CollectionCenter | None] = relationship()
    regions: Mapped[list[CommitmentRegion]] = relationship(
        cascade="all, delete-orphan", order_by="CommitmentRegion.region"
    )

    @property
    def remaining_kg(self) -> int:
        """Volume still open to pledges."""
        return max(self.volume_kg - self.pledged_kg, 0)

    def __repr__(self) -> str:
        return f"<PurchaseCommitment {self.id} {self.product!r} {self.status}>"


class CommitmentRegion(db.Model):
    """A region a commitment buys from."""

    __tablename__ = "commitment_region"
    __table_args__ = (Index("ix_commitment_region_place", "country", "region", "commitment_id"),)

    commitment_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_commitment.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    region: Mapped[str] = mapped_column(String(80), primary_key=True)


class Pledge(db.Model):
    """Volume a producer promises to deliver from one farm to one commitment."""

    __tablename__ = "pledge"
    __table_args__ = (
        Index("ix_pledge_commitment_status", "commitment_id", "status"),
        Index("ix_pledge_producer", "producer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("purchase_commitment.id"))
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id"), index=True)
    producer_id: Mapped[int] = mapped_column(ForeignKey("producer.id"))
    pledged_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kg: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default=PledgeStatus.ACTIVE)
    # on the day of the pledge the farm's clearing was "unknown" (kept for the record; what
    # pages show follows the farm: `awaits_verification`)
    pending_verification: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    commitment: Mapped[PurchaseCommitment] = relationship()
    farm: Mapped[Farm] = relationship()
    producer: Mapped[Producer] = relationship()

    @property
    def awaits_verification(self) -> bool:
        """The deforestation-free buyer still waits to know whether the farm cleared forest
        after the cut-off: its clearing is unknown now (a verification or a dispute settles
        it after the pledge)."""
        return self.commitment.deforestation_free and (
            self.farm.cleared_after_cutoff == Clearing.UNKNOWN
        )

    def __repr__(self) -> str:
        return f"<Pledge {self.id} {self.kg} kg {self.status}>"
