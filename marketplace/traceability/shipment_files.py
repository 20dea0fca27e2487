"""A shipment's geolocation files: the due-diligence export of its lots' deliveries, the plots
still pending, and the parts each filed as its own DDS.

The features come from `export.features` (one per plot), with the shipment's 6-digit HS code.
A plot that is not export-ready stays out of the files and goes to the pending list
(`pending`): today the export flags such plots with `"ExportReady": false`; when the export
gives its own pending list, `_ready_and_pending` is the one function to switch.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import PurchaseCommitment, Shipment, ShipmentLot, ShipmentStatus
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import export, shipment_rules
from marketplace.traceability.shipment_parts import PlotTooLarge, size_of, split
from marketplace.web import spreadsheet_safe

PENDING_COLUMNS = ["ProductionPlace", "ProducerName", "Area", "Reason", "Action"]
POLYGON_MISSING = "polygon_missing"
PENDING_REASONS = {
    POLYGON_MISSING: (
        _l("La parcela mide más de 4 ha y no tiene polígono."),
        _l("El técnico de la cooperativa o la productora dibuja o sube el polígono."),
    ),
}


@dataclass
class Part:
    """One part of the shipment's geolocation: one DDS."""

    number: int
    features: list[dict]
    producers: int
    size_bytes: int
    farm_ids: list[int] = field(default_factory=list)


@dataclass
class Files:
    """What the shipment's page offers to download."""

    parts: list[Part]
    pending: list[dict]  # features of the plots that are not ready

    @property
    def plots(self) -> int:
        return sum(len(part.features) for part in self.parts)


def shipment_deliveries(shipment: Shipment) -> list[Delivery]:
    """The deliveries in the shipment's lots, oldest first."""
    lot_ids = select(ShipmentLot.lot_id).where(ShipmentLot.shipment_id == shipment.id)
    query = (
        select(Delivery)
        .where(Delivery.lot_id.in_(lot_ids))
        .order_by(Delivery.delivered_on, Delivery.id)
    )
    return list(db.session.scalars(query))


def _a_commitment(shipment: Shipment) -> PurchaseCommitment | None:
    query = (
        select(PurchaseCommitment)
        .join(Lot, Lot.commitment_id == PurchaseCommitment.id)
        .join(ShipmentLot, ShipmentLot.lot_id == Lot.id)
        .where(ShipmentLot.shipment_id == shipment.id)
        .limit(1)
    )
    return db.session.scalar(query)


def _ready_and_pending(features: list[dict]) -> tuple[list[dict], list[dict]]:
    ready = [f for f in features if f["properties"].get("ExportReady", True)]
    pending = [f for f in features if not f["properties"].get("ExportReady", True)]
    return ready, pending


def _features(shipment: Shipment, deliveries: list[Delivery]) -> list[dict]:
    """The export's features of these deliveries' plots, with the shipment's HS code."""
    commitment = _a_commitment(shipment)
    if commitment is None or not deliveries:
        return []
    features = export.features(commitment, deliveries)
    for feature in features:
        feature["properties"]["HSCode"] = shipment.hs_code
    return features


class _Keys:
    """Which farm and producer a feature is about, read from its delivery codes."""

    def __init__(self, deliveries: list[Delivery]) -> None:
        self.farm = {d.code: d.farm_id for d in deliveries}
        self.producer = {d.code: d.producer_id for d in deliveries}

    def farm_of(self, feature: dict) -> int:
        return self.farm[feature["properties"]["Deliveries"][0]]

    def producer_of(self, feature: dict) -> int:
        return self.producer[feature["properties"]["Deliveries"][0]]


def _part(number: int, features: list[dict], keys: _Keys) -> Part:
    return Part(
        number=number,
        features=features,
        producers=len({keys.producer_of(f) for f in features}),
        size_bytes=size_of(features),
        farm_ids=[keys.farm_of(f) for f in features],
    )


def files(
    shipment: Shipment,
    max_producers: int = shipment_rules.MAX_PRODUCERS,
    max_bytes: int = shipment_rules.MAX_BYTES,
) -> Files:
    """The shipment's parts and pending plots: as fixed when it became ready, else split now."""
    deliveries = shipment_deliveries(shipment)
    keys = _Keys(deliveries)
    ready, pending = _ready_and_pending(_features(shipment, deliveries))
    if shipment.status != ShipmentStatus.DRAFT and shipment.statements:
        by_farm = {keys.farm_of(f): f for f in ready}
        parts = [
            _part(s.part, [by_farm[i] for i in s.farm_ids if i in by_farm], keys)
            for s in shipment.statements
        ]
        return Files(parts=parts, pending=pending)
    try:
        groups = split(
            ready, max_producers=max_producers, max_bytes=max_bytes, producer_of=keys.producer_of
        )
    except PlotTooLarge as error:
        raise DomainError(
            _l(
                "La geolocalización de la parcela %(place)s sola supera el límite de un DDS.",
                place=str(error),
            )
        ) from error
    parts = [_part(n, group, keys) for n, group in enumerate(groups, start=1)]
    return Files(parts=parts, pending=pending)


def pending_rows(pending: list[dict]) -> list[dict]:
    """The pending plots as rows: which plot, whose, why, and who must do what."""
    rows = []
    for feature in pending:
        props = feature["properties"]
        reason, action = PENDING_REASONS[POLYGON_MISSING]
        rows.append(
            {
                "ProductionPlace": props.get("ProductionPlace", ""),
                "ProducerName": props.get("ProducerName", ""),
                "Area": props.get("Area", ""),
                "Reason": str(reason),
                "Action": str(action),
            }
        )
    return rows


def pending_csv(pending: list[dict]) -> str:
    """The pending list as CSV."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PENDING_COLUMNS)
    writer.writeheader()
    for row in pending_rows(pending):
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()
