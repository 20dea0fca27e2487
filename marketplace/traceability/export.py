"""Due-diligence export of a lot or a commitment: one feature per plot (farm) that delivered.

Valid by construction: only plots that are ready (traceability.plots.readiness) enter the
GeoJSON, which carries only the properties the EU information system reads (ProducerName,
ProducerCountry, ProductionPlace, Area for points) with every coordinate at exactly six
decimals; the rest (HS code, kilos, dates, risk, deliveries, the declared land tenure and
whether Minka accepted a document proving it) goes to the CSV. Plots that are
not ready are listed apart as "pendientes" with what must be done. The finished text is checked
again by eudr_geojson before it is served; a problem there is a bug and the download is
refused rather than an invalid file served. Producers' names appear only under their live
consent to share with buyers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest.risk import worst
from marketplace.models import Farm, Producer, PurchaseCommitment
from marketplace.models.tenure import Legality
from marketplace.models.traceability import Delivery
from marketplace.producers.services import with_live_consent
from marketplace.traceability import eudr_geojson, tenure
from marketplace.traceability.plots import Readiness, pending_message_of, plot_id, readiness
from marketplace.web import csv_records

log = logging.getLogger(__name__)

HS_CODES = {"cacao": "180100", "cafe": "090111"}  # see shipment_rules.HS_CODES
CSV_COLUMNS = [
    "ProductionPlace",
    "ProducerName",
    "ProducerCountry",
    "HSCode",
    "Quantity",
    "ProductionStartDate",
    "ProductionEndDate",
    "Area",
    "RiskStatus",
    "LandTenure",
    "TenureDocuments",
    "GeometryType",
    "Latitude",
    "Longitude",
    "Deliveries",
    "GeoJSON",
]
PENDING_COLUMNS = ["ProductionPlace", "Farm", "ProducerName", "Area", "Reason", "WhatToDo"]


@dataclass
class Plot:
    """One farm's share of a lot or commitment, with its readiness."""

    farm: Farm
    kg: int
    first: date  # harvest period of its deliveries (delivery dates on rows from before)
    last: date
    codes: list[str]
    risk: str  # worst of its deliveries' risk snapshots, never the farm's status today
    ready: Readiness | None = None
    producer_name: str | None = None  # only under live consent
    legality: str = Legality.NONE  # the tenure documents' state (Legality), CSV only

    @property
    def place(self) -> str:
        return plot_id(self.farm)


@dataclass
class DueDiligence:
    """What a download offers: the valid file's features and plots, and the pending plots."""

    collection: dict
    plots: list[Plot]
    pending: list[Plot]
    hs_code: str

    @property
    def text(self) -> str:
        return eudr_geojson.dumps(self.collection)


def hs_code(commitment: PurchaseCommitment) -> str:
    """The HS heading of the commitment's product; other value chains are not exportable."""
    code = HS_CODES.get(commitment.value_chain)
    if code is None:
        raise DomainError(_l("La exportación de diligencia debida es solo para cacao y café."))
    return code


def plots_of(deliveries: list[Delivery]) -> list[Plot]:
    """Group deliveries by farm: kg, harvest period, delivery codes, risk at delivery,
    readiness, name."""
    by_farm: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        by_farm.setdefault(delivery.farm_id, []).append(delivery)
    farms = {f.id: f for f in db.session.scalars(select(Farm).where(Farm.id.in_(by_farm)))}
    names = _names({f.producer_id for f in farms.values()})
    legal = tenure.legality_by_farm(farms.values())
    return [
        Plot(
            farm=farms[farm_id],
            kg=sum(d.kg for d in rows),
            first=min(d.harvest_from for d in rows),
            last=max(d.harvest_to for d in rows),
            codes=sorted(d.code for d in rows),
            risk=worst(d.risk_status for d in rows),
            ready=readiness(farms[farm_id]),
            producer_name=names.get(farms[farm_id].producer_id),
            legality=legal[farm_id],
        )
        for farm_id, rows in sorted(by_farm.items())
    ]


def _names(producer_ids: set[int]) -> dict[int, str]:
    named = with_live_consent(producer_ids, "buyers")
    if not named:
        return {}
    query = select(Producer).where(Producer.id.in_(named))
    return {p.id: p.full_name for p in db.session.scalars(query)}


def feature(plot: Plot) -> dict:
    """The plot's GeoJSON feature: only what the EU system reads (Area for points)."""
    properties: dict = {"ProductionPlace": plot.place, "ProducerCountry": plot.farm.country}
    if plot.producer_name:
        properties["ProducerName"] = plot.producer_name
    if plot.ready.geometry["type"] == "Point":
        properties["Area"] = round(plot.ready.area_ha, 4)
    return {"type": "Feature", "geometry": plot.ready.geometry, "properties": properties}


def due_diligence(commitment: PurchaseCommitment, deliveries: list[Delivery]) -> DueDiligence:
    """The valid features of the ready plots behind these deliveries, and the pending ones."""
    code = hs_code(commitment)
    plots = plots_of(deliveries)
    ready = [p for p in plots if p.ready.ready]
    collection = {"type": "FeatureCollection", "features": [feature(p) for p in ready]}
    return DueDiligence(collection, ready, [p for p in plots if not p.ready.ready], code)


@dataclass
class Review:
    """What the buyer's page says about the file: the pending plots, and whether the file
    holds more than one due diligence statement may carry."""

    pending: list[Plot]
    over_limits: bool


def review(commitment: PurchaseCommitment, deliveries: list[Delivery]) -> Review | None:
    """The page's summary of the export; None for a product that has no export."""
    if commitment.value_chain not in HS_CODES:
        return None
    found = due_diligence(commitment, deliveries)
    return Review(found.pending, over_statement_limits(found))


def over_statement_limits(found: DueDiligence) -> bool:
    """Whether the file holds more than one due diligence statement may carry (25 MB, 1,000
    producers of one commodity): the buyer must split it across shipments."""
    size = len(found.text.encode())
    producers = {found.hs_code: len({p.farm.producer_id for p in found.plots})}
    return bool(eudr_geojson.limit_problems(size, producers))


def feature_collection(commitment: PurchaseCommitment, deliveries: list[Delivery]) -> dict:
    """The GeoJSON FeatureCollection of the ready plots behind these deliveries."""
    return due_diligence(commitment, deliveries).collection


def checked_text(found: DueDiligence) -> str:
    """The GeoJSON text, checked against the EU's rules; refuses rather than serve a bad file."""
    text = found.text
    problems = eudr_geojson.problems(json.loads(text))
    if problems:
        log.error("due-diligence export failed its own check: %s", "; ".join(map(str, problems)))
        raise DomainError(
            _l(
                "El archivo no cumple las reglas del sistema de la UE y no se descargó (un "
                "error de Minka, ya registrado). Primer problema: %(problem)s.",
                problem=str(problems[0]),
            )
        )
    return text


def _position(value: float) -> Decimal:
    """A coordinate with the file's decimals, as a number (written as is, never quoted)."""
    return Decimal(f"{value:.{eudr_geojson.DECIMALS}f}")


def to_csv(found: DueDiligence) -> str:
    """The ready plots with the data the file leaves out: HS code, kilos, dates, risk."""
    features = found.collection["features"]
    pairs = zip(found.plots, features, strict=True)
    return csv_records(CSV_COLUMNS, (_csv_row(found, plot, item) for plot, item in pairs))


def _csv_row(found: DueDiligence, plot: Plot, item: dict) -> dict:
    geometry = item["geometry"]
    row = {
        "ProductionPlace": plot.place,
        "ProducerName": plot.producer_name or "",
        "ProducerCountry": plot.farm.country,
        "HSCode": found.hs_code,
        "Quantity": plot.kg,
        "ProductionStartDate": plot.first.isoformat(),
        "ProductionEndDate": plot.last.isoformat(),
        "Area": round(plot.ready.area_ha, 4),
        "RiskStatus": plot.risk,
        "LandTenure": plot.farm.tenure,
        "TenureDocuments": plot.legality,
        "GeometryType": geometry["type"],
        "Latitude": "",
        "Longitude": "",
        "Deliveries": " ".join(plot.codes),
        "GeoJSON": eudr_geojson.dumps_geometry(geometry),
    }
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"]
        row["Latitude"], row["Longitude"] = _position(lat), _position(lon)
    return row


def pending_message(plot: Plot) -> str:
    """Why the plot is not in the file and who must do what, in the reader's language."""
    return pending_message_of(plot.ready)


def pending_csv(found: DueDiligence) -> str:
    """The pending plots: which, why, and who must do what."""
    rows = (
        {
            "ProductionPlace": plot.place,
            "Farm": plot.farm.name,
            "ProducerName": plot.producer_name or "",
            "Area": round(plot.ready.area_ha, 4),
            "Reason": plot.ready.pending.value,
            "WhatToDo": pending_message(plot),
        }
        for plot in found.pending
    )
    return csv_records(PENDING_COLUMNS, rows)
