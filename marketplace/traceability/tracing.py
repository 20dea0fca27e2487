"""The buyer's traceability view: commitment -> lots -> deliveries -> plots and their status."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import CollectionCenter, Farm, PurchaseCommitment
from marketplace.models.traceability import Delivery, Lot
from marketplace.producers.services import with_live_consent
from marketplace.traceability.lots import FREE_STATUSES, is_deforestation_free
from marketplace.traceability.plots import readiness

MAX_DELIVERIES = 2_000  # a commitment's page; the export has them all


@dataclass
class LotSummary:
    lot: Lot
    kg: int = 0
    deductions_minor: int = 0
    statuses: list[str] = field(default_factory=list)

    @property
    def deforestation_free(self) -> bool:
        return is_deforestation_free(self.statuses)


@dataclass
class Trace:
    """Everything the buyer's page shows."""

    deliveries: list[Delivery]
    lots: list[LotSummary]
    farms: dict[int, Farm]
    names: dict[int, str]  # producer id -> name, only under live "buyers" consent
    centers: dict[int, str]
    delivered_kg: int
    free_kg: int

    @property
    def free_share(self) -> float | None:
        return self.free_kg / self.delivered_kg if self.delivered_kg else None


def commitment_deliveries(commitment: PurchaseCommitment, lot: Lot | None = None) -> list:
    """A commitment's deliveries (or one lot's), oldest first."""
    query = select(Delivery).where(Delivery.commitment_id == commitment.id)
    if lot is not None:
        query = query.where(Delivery.lot_id == lot.id)
    return list(db.session.scalars(query.order_by(Delivery.delivered_on, Delivery.id)))


def trace(commitment: PurchaseCommitment, lot: Lot | None = None) -> Trace:
    """The commitment's (or one lot's) deliveries with their lots, plots and names."""
    deliveries = commitment_deliveries(commitment, lot)[:MAX_DELIVERIES]
    lot_query = select(Lot).where(Lot.commitment_id == commitment.id).order_by(Lot.id)
    if lot is not None:
        lot_query = lot_query.where(Lot.id == lot.id)
    summaries = {row.id: LotSummary(row) for row in db.session.scalars(lot_query)}
    for delivery in deliveries:
        summary = summaries.get(delivery.lot_id)
        if summary is not None:
            summary.kg += delivery.kg
            summary.deductions_minor += delivery.deduction_minor
            summary.statuses.append(delivery.risk_status)
    farm_ids = {d.farm_id for d in deliveries}
    farms = {f.id: f for f in db.session.scalars(select(Farm).where(Farm.id.in_(farm_ids)))}
    named = with_live_consent({f.producer_id for f in farms.values()}, "buyers")
    names = {f.producer_id: f.producer.full_name for f in farms.values() if f.producer_id in named}
    center_ids = {d.collection_center_id for d in deliveries} | {
        s.lot.collection_center_id for s in summaries.values()
    }
    centers = {
        c.id: c.name
        for c in db.session.scalars(
            select(CollectionCenter).where(CollectionCenter.id.in_(center_ids))
        )
    }
    return Trace(
        deliveries=deliveries,
        lots=list(summaries.values()),
        farms=farms,
        names=names,
        centers=centers,
        delivered_kg=sum(d.kg for d in deliveries),
        free_kg=sum(d.kg for d in deliveries if d.risk_status in FREE_STATUSES),
    )


def map_features(farms: dict[int, Farm]) -> dict:
    """The plots as GeoJSON for the map (no names: the page's table carries those)."""
    rows = []
    for farm in farms.values():
        # the export's geometry when the plot is ready, else whatever was captured
        geometry = readiness(farm).geometry or farm.polygon_geojson
        if not geometry:
            geometry = {"type": "Point", "coordinates": [farm.lon, farm.lat]}
        rows.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"id": farm.id, "status": farm.risk_status, "name": farm.name},
            }
        )
    return {"type": "FeatureCollection", "features": rows}
