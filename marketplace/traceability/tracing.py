"""The buyer's traceability view: commitment -> lots -> deliveries -> plots and their status.

Statuses shown are the deliveries' snapshots (the plot's risk when the product arrived);
the plot's status today appears beside them, and review flags say where it got worse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.models import CollectionCenter, Farm, PurchaseCommitment
from marketplace.models.traceability import (
    Delivery,
    ForestAssessment,
    Lot,
    LotReview,
    RiskStatus,
)
from marketplace.producers.services import with_live_consent
from marketplace.traceability.lots import FREE_STATUSES, is_deforestation_free, worst_status
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
    reviews: list[LotReview] = field(default_factory=list)
    farm_status: dict[int, str] = field(default_factory=dict)  # worst snapshot per farm

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
    farms = {
        f.id: f
        for f in db.session.scalars(
            select(Farm)
            .where(Farm.id.in_(farm_ids))
            .options(selectinload(Farm.risk_assessment).selectinload(ForestAssessment.layer_set))
        )
    }
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
    by_farm: dict[int, list[str]] = {}
    for delivery in deliveries:
        by_farm.setdefault(delivery.farm_id, []).append(delivery.risk_status)
    return Trace(
        deliveries=deliveries,
        lots=list(summaries.values()),
        farms=farms,
        names=names,
        centers=centers,
        delivered_kg=sum(d.kg for d in deliveries),
        free_kg=sum(d.kg for d in deliveries if d.risk_status in FREE_STATUSES),
        reviews=reviews_of([s.lot for s in summaries.values()]),
        farm_status={fid: worst_status(statuses) for fid, statuses in by_farm.items()},
    )


@dataclass(frozen=True)
class Review:
    """A lot's review flag as pages show it."""

    lot: Lot
    farm: Farm
    status: str
    assessed_at: datetime


def reviews_of(lots: list[Lot]) -> list[Review]:
    """The review flags on these lots, oldest first, with their lot and plot."""
    if not lots:
        return []
    by_id = {lot.id: lot for lot in lots}
    rows = db.session.execute(
        select(LotReview, Farm)
        .join(Farm, Farm.id == LotReview.farm_id)
        .where(LotReview.lot_id.in_(by_id))
        .order_by(LotReview.assessed_at, LotReview.id)
    ).all()
    return [Review(by_id[r.lot_id], farm, r.risk_status, r.assessed_at) for r, farm in rows]


def map_features(farms: dict[int, Farm], statuses: dict[int, str] | None = None) -> dict:
    """The plots as GeoJSON for the map, each with its status at delivery (the worst of its
    deliveries' snapshots; today's when none is given) and its label for the popup (no
    producer names: the page's list carries those, under consent)."""
    statuses = statuses or {}
    rows = []
    for farm in farms.values():
        status = RiskStatus(statuses.get(farm.id, farm.risk_status))
        # the export's geometry when the plot is ready, else whatever was captured
        geometry = readiness(farm).geometry or farm.polygon_geojson
        if not geometry:
            geometry = {"type": "Point", "coordinates": [farm.lon, farm.lat]}
        rows.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "id": farm.id,
                    "status": status.value,
                    "label": status.label,
                    "name": farm.name,
                },
            }
        )
    return {"type": "FeatureCollection", "features": rows}
