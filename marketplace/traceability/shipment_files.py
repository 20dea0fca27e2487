"""A shipment's geolocation files: the due-diligence export of its lots' deliveries, the plots
still pending, and the parts each filed as its own DDS.

The plots come from `export.due_diligence` (valid by construction: only ready plots enter
the file; the others are its pending list), with the shipment's 6-digit HS code; the parts
split the ready plots within one statement's limits (`shipment_parts.split`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import PurchaseCommitment, Shipment, ShipmentLot, ShipmentStatus
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import export, shipment_rules
from marketplace.traceability.shipment_parts import PlotTooLarge, collection, size_of, split
from marketplace.web import csv_records

PENDING_COLUMNS = ["ProductionPlace", "ProducerName", "Area", "Reason", "Action"]


@dataclass
class Part:
    """One part of the shipment's geolocation: one DDS."""

    number: int
    plots: list[export.Plot]
    features: list[dict]
    hs_code: str
    producers: int = 0
    size_bytes: int = 0
    farm_ids: list[int] = field(default_factory=list)

    @property
    def due_diligence(self) -> export.DueDiligence:
        """The part as the export's download (checked text, CSV)."""
        return export.DueDiligence(collection(self.features), self.plots, [], self.hs_code)


@dataclass
class Files:
    """What the shipment's page offers to download."""

    parts: list[Part]
    pending: list[export.Plot]  # plots that are not ready, with why

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


def _found(shipment: Shipment, deliveries: list[Delivery]) -> export.DueDiligence | None:
    commitment = _a_commitment(shipment)
    if commitment is None or not deliveries:
        return None
    found = export.due_diligence(commitment, deliveries)
    found.hs_code = shipment.hs_code
    return found


def _part(number: int, pairs: list[tuple[export.Plot, dict]], hs_code: str) -> Part:
    plots = [plot for plot, _feature in pairs]
    features = [feature for _plot, feature in pairs]
    return Part(
        number=number,
        plots=plots,
        features=features,
        hs_code=hs_code,
        producers=len({plot.farm.producer_id for plot in plots}),
        size_bytes=size_of(features),
        farm_ids=[plot.farm.id for plot in plots],
    )


def files(
    shipment: Shipment,
    max_producers: int = shipment_rules.MAX_PRODUCERS,
    max_bytes: int = shipment_rules.MAX_BYTES,
) -> Files:
    """The shipment's parts and pending plots: as fixed when it became ready, else split now."""
    found = _found(shipment, shipment_deliveries(shipment))
    if found is None:
        return Files(parts=[], pending=[])
    pairs = list(zip(found.plots, found.collection["features"], strict=True))
    if shipment.status != ShipmentStatus.DRAFT and shipment.statements:
        by_farm = {plot.farm.id: (plot, feature) for plot, feature in pairs}
        parts = [
            _part(s.part, [by_farm[i] for i in s.farm_ids if i in by_farm], shipment.hs_code)
            for s in shipment.statements
        ]
        return Files(parts=parts, pending=found.pending)
    producer_of = {id(feature): plot.farm.producer_id for plot, feature in pairs}
    plot_of = {id(feature): plot for plot, feature in pairs}
    try:
        groups = split(
            [feature for _plot, feature in pairs],
            max_producers=max_producers,
            max_bytes=max_bytes,
            producer_of=lambda feature: producer_of[id(feature)],
        )
    except PlotTooLarge as error:
        raise DomainError(
            _l(
                "La geolocalización de la parcela %(place)s sola supera el límite de un DDS.",
                place=str(error),
            )
        ) from error
    parts = [
        _part(n, [(plot_of[id(f)], f) for f in group], shipment.hs_code)
        for n, group in enumerate(groups, start=1)
    ]
    return Files(parts=parts, pending=found.pending)


def pending_rows(pending: list[export.Plot]) -> list[dict]:
    """The pending plots as rows: which plot, whose, why, and who must do what."""
    return [
        {
            "ProductionPlace": plot.place,
            "ProducerName": plot.producer_name or "",
            "Area": round(plot.ready.area_ha, 4),
            "Reason": plot.ready.pending.value,
            "Action": export.pending_message(plot),
        }
        for plot in pending
    ]


def pending_csv(pending: list[export.Plot]) -> str:
    """The pending list as CSV."""
    return csv_records(PENDING_COLUMNS, pending_rows(pending))
