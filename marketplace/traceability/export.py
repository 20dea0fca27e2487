"""Due-diligence export of a lot or a commitment: one feature per plot (farm) that delivered.

Shape: a GeoJSON FeatureCollection (RFC 7946, WGS84 lon/lat, at most 6 decimals) as the EU
information system (EUDR) takes it, and a CSV of the same rows. A plot above 4 ha gets its
polygon; others a point. A plot above 4 ha WITHOUT a polygon is still exported, as a point,
with "ExportReady": false - refusing the whole lot would hide which plots need work; the
buyer sees them flagged and must complete them before filing. Producers' names appear only
under their live consent to share with buyers.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest.risk import worst
from marketplace.models import Farm, Producer, PurchaseCommitment
from marketplace.models.traceability import Delivery
from marketplace.producers.services import with_live_consent
from marketplace.web import spreadsheet_safe

POLYGON_MIN_HA = 4.0
DECIMALS = 6
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
    "ExportReady",
    "GeometryType",
    "Latitude",
    "Longitude",
    "GeoJSON",
]


@dataclass
class Plot:
    """One farm's share of a lot or commitment."""

    farm: Farm
    kg: int
    first: date  # harvest period of its deliveries (delivery dates on rows from before)
    last: date
    codes: list[str]
    risk: str  # worst of its deliveries' risk snapshots, never the farm's status today


def hs_code(commitment: PurchaseCommitment) -> str:
    """The HS heading of the commitment's product; other value chains are not exportable."""
    code = HS_CODES.get(commitment.value_chain)
    if code is None:
        raise DomainError(_l("La exportación de diligencia debida es solo para cacao y café."))
    return code


def plots_of(deliveries: list[Delivery]) -> list[Plot]:
    """Group deliveries by farm: kg, harvest period, delivery codes, risk at delivery."""
    by_farm: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        by_farm.setdefault(delivery.farm_id, []).append(delivery)
    farms = {f.id: f for f in db.session.scalars(select(Farm).where(Farm.id.in_(by_farm)))}
    return [
        Plot(
            farm=farms[farm_id],
            kg=sum(d.kg for d in rows),
            first=min(d.harvest_from for d in rows),
            last=max(d.harvest_to for d in rows),
            codes=sorted(d.code for d in rows),
            risk=worst(d.risk_status for d in rows),
        )
        for farm_id, rows in sorted(by_farm.items())
    ]


def _round(position) -> list[float]:
    return [round(float(position[0]), DECIMALS), round(float(position[1]), DECIMALS)]


def polygon_rings(geojson: dict | None) -> list | None:
    """The outer and inner rings of a stored Polygon (or Feature of one), else None."""
    if not geojson:
        return None
    if geojson.get("type") == "Feature":
        geojson = geojson.get("geometry") or {}
    if geojson.get("type") != "Polygon" or not geojson.get("coordinates"):
        return None
    rings = []
    for ring in geojson["coordinates"]:
        points = [_round(p) for p in ring]
        if points and points[0] != points[-1]:
            points.append(points[0])  # RFC 7946: a ring's last position repeats its first
        if len(points) < 4:
            return None
        rings.append(points)
    return rings


def plot_area_ha(farm: Farm) -> float:
    """The plot's area: measured from its polygon when there is one, else declared."""
    return farm.polygon_area_ha if farm.polygon_area_ha is not None else farm.total_ha


def plot_geometry(farm: Farm) -> tuple[dict, bool]:
    """The plot's export geometry by the 4 ha rule, and whether it is export-ready."""
    needs_polygon = plot_area_ha(farm) > POLYGON_MIN_HA
    rings = polygon_rings(farm.polygon_geojson) if needs_polygon else None
    if rings is not None:
        return {"type": "Polygon", "coordinates": rings}, True
    point = {"type": "Point", "coordinates": _round((farm.lon, farm.lat))}
    return point, not needs_polygon


def features(commitment: PurchaseCommitment, deliveries: list[Delivery]) -> list[dict]:
    """The export's GeoJSON features, one per plot."""
    code = hs_code(commitment)
    plots = plots_of(deliveries)
    producer_ids = {p.farm.producer_id for p in plots}
    named = with_live_consent(producer_ids, "buyers")
    producers = {
        p.id: p for p in db.session.scalars(select(Producer).where(Producer.id.in_(named)))
    }
    rows = []
    for plot in plots:
        geometry, ready = plot_geometry(plot.farm)
        producer = producers.get(plot.farm.producer_id)
        properties = {
            "ProductionPlace": plot.farm.name,
            "ProducerCountry": plot.farm.country,
            "HSCode": code,
            "Quantity": plot.kg,
            "ProductionStartDate": plot.first.isoformat(),
            "ProductionEndDate": plot.last.isoformat(),
            "Area": round(plot_area_ha(plot.farm), 4),
            "RiskStatus": plot.risk,
            "ExportReady": ready,
            "Deliveries": plot.codes,
        }
        if producer is not None:
            properties["ProducerName"] = producer.full_name
        rows.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return rows


def feature_collection(commitment: PurchaseCommitment, deliveries: list[Delivery]) -> dict:
    """The GeoJSON FeatureCollection of the plots behind these deliveries."""
    return {"type": "FeatureCollection", "features": features(commitment, deliveries)}


def to_csv(collection: dict) -> str:
    """The same rows as CSV: a point's lat/lon in columns, a polygon as GeoJSON text."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for feature in collection["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        row = {k: props.get(k, "") for k in CSV_COLUMNS}
        row["ExportReady"] = "yes" if props["ExportReady"] else "no"
        row["GeometryType"] = geometry["type"]
        if geometry["type"] == "Point":
            row["Longitude"], row["Latitude"] = geometry["coordinates"]
        row["GeoJSON"] = json.dumps(geometry, separators=(",", ":"))
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return out.getvalue()
