"""Listings of inputs and technical-assistance services, and the collection centres
(centros de acopio: where producers pick up inputs and deliver their harvest)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DDL, BigInteger, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import Organization
from marketplace.models.base import utcnow
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class ListingKind(Vocabulary):
    """An input (a product with stock) or a service (technical assistance)."""

    INPUT = "input", _l("Insumo")
    SERVICE = "service", _l("Servicio de asistencia técnica")


class ListingStatus(Vocabulary):
    """Drafts and paused listings are invisible to producers; deleted ones stay for orders."""

    DRAFT = "draft", _l("Borrador"), Tone.NEUTRAL
    PUBLISHED = "published", _l("Publicado"), Tone.OK
    PAUSED = "paused", _l("Pausado"), Tone.WARN
    DELETED = "deleted", _l("Eliminado"), Tone.NEUTRAL


class DeliveryMode(Vocabulary):
    """How the producer gets what they ordered."""

    PICKUP = "pickup", _l("Recojo en un centro de acopio")
    FARM_DELIVERY = "farm_delivery", _l("Entrega en la finca")
    ON_FARM_SERVICE = "on_farm_service", _l("Servicio en la finca")


class CollectionCenter(db.Model):
    """A centro de acopio run by a cooperative: pick-up point and harvest delivery point."""

    __tablename__ = "collection_center"
    __table_args__ = (Index("ix_collection_center_place", "country", "region"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    operator_name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(80))
    district_code: Mapped[str] = mapped_column(String(10))
    lat: Mapped[float]
    lon: Mapped[float]
    opening_hours: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()

    def __repr__(self) -> str:
        return f"<CollectionCenter {self.id} {self.name!r}>"


class Listing(db.Model):
    """A product or service an organization offers to producers."""

    __tablename__ = "listing"
    __table_args__ = (
        Index("ix_listing_browse", "status", "kind", "category"),
        Index("ix_listing_status_created", "status", "created_at"),
        Index("ix_listing_status_price", "status", "price_minor"),
        # Price sorts within one country (prices of different currencies do not compare),
        # and "nearest to my farm" reading a box around the farm: marketplace/catalog/plan.py
        Index("ix_listing_country_price", "status", "country", "price_minor"),
        Index("ix_listing_status_lat", "status", "lat", "lon", "organization_id"),
        # the few sold-out listings (stock 0), which the catalogue lists after the others
        Index("ix_listing_status_stock", "status", "stock"),
        # Words searched anywhere in search_text (LIKE '%word%'): on PostgreSQL a trigram
        # index answers them, a word no listing has included, without reading the table.
        # SQLite keeps a plain index of that name (it cannot use one for such a search).
        Index(
            "ix_listing_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    # title + description + category, lower-case without accents, for Spanish search
    search_text: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    unit: Mapped[str] = mapped_column(String(20))
    stock: Mapped[int | None]  # None for services: no stock to run out of
    delivery_mode: Mapped[str] = mapped_column(String(20))
    lead_time_days: Mapped[int] = mapped_column(default=0)
    country: Mapped[str] = mapped_column(String(2))
    # where it is dispatched from, for "nearest to my farm"
    lat: Mapped[float]
    lon: Mapped[float]
    status: Mapped[str] = mapped_column(String(10), default=ListingStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organization: Mapped[Organization] = relationship()
    regions: Mapped[list[ListingRegion]] = relationship(
        cascade="all, delete-orphan", order_by="ListingRegion.region"
    )
    value_chains: Mapped[list[ListingValueChain]] = relationship(cascade="all, delete-orphan")

    @property
    def sold_out(self) -> bool:
        """True for an input with no units left (a service has no stock and never runs out)."""
        return self.stock is not None and self.stock < 1

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.title!r} {self.status}>"


# The trigram index above needs pg_trgm; migrations create it, and so does create_all.
event.listen(
    Listing.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class ListingRegion(db.Model):
    """A region a listing serves (indexed for the catalogue's region filter)."""

    __tablename__ = "listing_region"
    __table_args__ = (Index("ix_listing_region_place", "country", "region", "listing_id"),)

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    region: Mapped[str] = mapped_column(String(80), primary_key=True)


class ListingValueChain(db.Model):
    """A value chain a listing is meant for."""

    __tablename__ = "listing_value_chain"
    __table_args__ = (Index("ix_listing_value_chain_chain", "value_chain", "listing_id"),)

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    value_chain: Mapped[str] = mapped_column(String(20), primary_key=True)
