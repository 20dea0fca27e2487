"""Deforestation risk of each plot against the cut-off date, from the active forest layers.

The plot is the farm's polygon; without one, a circle around its point with the declared
total hectares (EUDR accepts a point for plots up to 4 ha; the circle is our stand-in for
the land that point represents). Against the active layers' areas:

- tree-cover loss after the cut-off year inside the plot -> at_risk, with its hectares
  (geodesic, WGS84 ellipsoid) and share of the plot;
- otherwise forest cover on at least FOREST_SHARE of the plot -> needs_verification (shade
  cacao and coffee look like forest), unless field evidence already verified it;
- otherwise -> free. Loss before the cut-off is history and does not count.
- No active layer reaching the plot -> unassessed.

A layer reaches a plot when the bounding box of all its areas meets the plot's (the layer's
own extent is not stored, so a GeoTIFF's no-loss margins do not count).
When a layer exists, the farm's `cleared_after_cutoff` follows from the status.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, insert, select, update

from marketplace import audit
from marketplace.extensions import db
from marketplace.forest import reviews
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.models import AuditLog
from marketplace.models.base import utcnow
from marketplace.models.producers import Clearing, Farm
from marketplace.models.traceability import ForestArea, ForestLayer, RiskStatus

CUTOFF_YEAR = 2020  # EUDR: loss after 31 Dec 2020 counts
FOREST_SHARE = 0.10  # forest cover on this share of the plot asks for a field visit
MIN_LOSS_HA = 0.01  # below this, an intersection is a sliver of touching edges
CIRCLE_ANGLES = np.linspace(0, 2 * math.pi, 64, endpoint=False)
M_PER_DEGREE_LAT = 110_950  # near the equator, where Minka's farms are
CELL_DEG = 0.5  # bulk assessment fetches the areas of one grid cell of farms at a time
BATCH = 2000

CLEARING_BY_STATUS = {
    RiskStatus.AT_RISK: Clearing.YES,
    RiskStatus.FREE: Clearing.NO,
    RiskStatus.VERIFIED: Clearing.NO,
    RiskStatus.NEEDS_VERIFICATION: Clearing.UNKNOWN,
}


@dataclass(frozen=True)
class Assessment:
    """What the layers say about one plot."""

    status: RiskStatus
    loss_ha: float | None = None
    loss_share: float | None = None


@dataclass(frozen=True)
class _Candidate:
    loss_year: int | None
    geometry: BaseGeometry


def plot_of(
    lat: float, lon: float, polygon: dict | None, total_ha: float | None
) -> BaseGeometry | None:
    """The farm's polygon, or a circle of `total_ha` around its point; None if neither."""
    if polygon:
        try:
            geometry = shapely.make_valid(shape(polygon))
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
            return None
        return None if geometry.is_empty or geodesic_area_ha(geometry) <= 0 else geometry
    if not total_ha or total_ha <= 0:
        return None
    # a few hundred metres across: a local equirectangular circle is exact enough
    radius_m = math.sqrt(total_ha * 10_000 / math.pi)
    dlat = radius_m / M_PER_DEGREE_LAT * np.cos(CIRCLE_ANGLES)
    dlon = radius_m / (M_PER_DEGREE_LAT * math.cos(math.radians(lat))) * np.sin(CIRCLE_ANGLES)
    return shapely.Polygon(np.column_stack([lon + dlon, lat + dlat]))


def evaluate(
    plot: BaseGeometry | None,
    candidates: Iterable[_Candidate],
    covered: bool,
    verified: bool = False,
    cutoff_year: int = CUTOFF_YEAR,
) -> Assessment:
    """The status of one plot given the areas that intersect it (pure: no database)."""
    if plot is None or not covered:
        return Assessment(RiskStatus.UNASSESSED)
    loss, forest = [], []
    for area in candidates:
        if area.loss_year is None:
            forest.append(area.geometry)
        elif area.loss_year > cutoff_year:
            loss.append(area.geometry)
    if not loss and not forest:
        return Assessment(RiskStatus.FREE, 0.0, 0.0)
    plot_ha = geodesic_area_ha(plot)
    loss_ha = _overlap_ha(plot, loss)
    if loss_ha >= MIN_LOSS_HA:
        return Assessment(RiskStatus.AT_RISK, round(loss_ha, 4), round(loss_ha / plot_ha, 4))
    if _overlap_ha(plot, forest) >= FOREST_SHARE * plot_ha:
        status = RiskStatus.VERIFIED if verified else RiskStatus.NEEDS_VERIFICATION
        return Assessment(status, 0.0, 0.0)
    return Assessment(RiskStatus.FREE, 0.0, 0.0)


def _overlap_ha(plot: BaseGeometry, areas: list[BaseGeometry]) -> float:
    if not areas:
        return 0.0
    # union first: two layers reporting the same loss must not count it twice
    return geodesic_area_ha(shapely.intersection(plot, shapely.union_all(areas)))


# --- the database side --------------------------------------------------------------------


def layer_extents() -> list[tuple[float, float, float, float]]:
    """(min_lon, min_lat, max_lon, max_lat) of each active layer: the box of its areas."""
    rows = db.session.execute(
        select(
            func.min(ForestArea.min_lon),
            func.min(ForestArea.min_lat),
            func.max(ForestArea.max_lon),
            func.max(ForestArea.max_lat),
        )
        .join(ForestLayer, ForestLayer.id == ForestArea.layer_id)
        .where(ForestLayer.active.is_(True))
        .group_by(ForestArea.layer_id)
    )
    return [tuple(row) for row in rows]


def layers_reaching(farm: Farm) -> list[dict]:
    """The active layers that reach the farm's plot now, as a delivery's snapshot keeps them:
    [{"id", "name", "imported_at"}] (a layer is never edited, so id and import time name
    its version)."""
    plot = plot_of(farm.lat, farm.lon, farm.polygon_geojson, farm.total_ha)
    if plot is None:
        return []
    rows = db.session.execute(
        select(
            ForestLayer.id,
            ForestLayer.name,
            ForestLayer.imported_at,
            func.min(ForestArea.min_lon),
            func.min(ForestArea.min_lat),
            func.max(ForestArea.max_lon),
            func.max(ForestArea.max_lat),
        )
        .join(ForestArea, ForestArea.layer_id == ForestLayer.id)
        .where(ForestLayer.active.is_(True))
        .group_by(ForestLayer.id, ForestLayer.name, ForestLayer.imported_at)
        .order_by(ForestLayer.id)
    )
    return [
        {"id": row[0], "name": row[1], "imported_at": row[2].isoformat()}
        for row in rows
        if _covered(plot, [tuple(row[3:])])
    ]


def _covered(plot: BaseGeometry, extents: list[tuple[float, float, float, float]]) -> bool:
    x0, y0, x1, y1 = plot.bounds
    return any(e[0] <= x1 and e[1] <= y1 and x0 <= e[2] and y0 <= e[3] for e in extents)


def _areas_in(bounds: tuple[float, float, float, float]) -> list[_Candidate]:
    """Active areas whose bounding box meets `bounds` (the SQL prefilter)."""
    x0, y0, x1, y1 = bounds
    rows = db.session.execute(
        select(ForestArea.loss_year, ForestArea.geometry)
        .join(ForestLayer, ForestLayer.id == ForestArea.layer_id)
        .where(
            ForestLayer.active.is_(True),
            ForestArea.max_lat >= y0,
            ForestArea.min_lat <= y1,
            ForestArea.max_lon >= x0,
            ForestArea.min_lon <= x1,
        )
    )
    return [_Candidate(year, shape(geometry)) for year, geometry in rows]


def _changes(farm: dict, result: Assessment) -> dict:
    """The farm columns to write for `result` (cleared_after_cutoff only when assessed)."""
    values = {
        "id": farm["id"],
        "risk_status": result.status.value,
        "risk_loss_ha": result.loss_ha,
        "risk_loss_share": result.loss_share,
        "risk_assessed_at": utcnow(),
    }
    clearing = CLEARING_BY_STATUS.get(result.status)
    values["cleared_after_cutoff"] = clearing.value if clearing else farm["cleared_after_cutoff"]
    return values


_FARM_COLUMNS = (
    Farm.id,
    Farm.lat,
    Farm.lon,
    Farm.polygon_geojson,
    Farm.total_ha,
    Farm.risk_status,
    Farm.risk_verified_at,
    Farm.cleared_after_cutoff,
)


def assess(farm: Farm) -> Assessment:
    """Assess one farm now and store its risk_* fields (the caller commits)."""
    plot = plot_of(farm.lat, farm.lon, farm.polygon_geojson, farm.total_ha)
    extents = layer_extents()
    covered = plot is not None and _covered(plot, extents)
    candidates = _areas_in(plot.bounds) if covered else []
    verified = farm.risk_verified_at is not None
    result = evaluate(plot, candidates, covered, verified)
    before = farm.risk_status
    values = _changes({"id": farm.id, "cleared_after_cutoff": farm.cleared_after_cutoff}, result)
    for name, value in values.items():
        setattr(farm, name, value)
    if before != farm.risk_status:
        audit.record(None, "farm.risk_assessed", farm, before=before, after=farm.risk_status)
        reviews.flag_after_reassessment(farm)
    return result


def assess_farm(farm_id: int) -> Assessment | None:
    """Re-assess one farm by id and commit (call it when a farm's polygon or point changes)."""
    farm = db.session.get(Farm, farm_id)
    if farm is None:
        return None
    result = assess(farm)
    db.session.commit()
    return result


def assess_all(commit: bool = True) -> dict[str, int]:
    """Re-assess every farm (bbox prefilter in SQL per grid cell, STRtree per cell).

    Returns how many farms ended in each status."""
    extents = layer_extents()
    counts: dict[str, int] = defaultdict(int)
    last_id = 0
    while True:
        farms = [
            row._asdict()
            for row in db.session.execute(
                select(*_FARM_COLUMNS).where(Farm.id > last_id).order_by(Farm.id).limit(BATCH)
            )
        ]
        if not farms:
            break
        last_id = farms[-1]["id"]
        results = _assess_batch(farms, extents)
        _store(farms, results)
        for result in results:
            counts[result.status.value] += 1
    if commit:
        db.session.commit()
    return dict(counts)


def _assess_batch(farms: list[dict], extents: list) -> list[Assessment]:
    plots = [plot_of(f["lat"], f["lon"], f["polygon_geojson"], f["total_ha"]) for f in farms]
    covered = [p is not None and _covered(p, extents) for p in plots]
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, plot in enumerate(plots):
        if covered[i]:
            x, y = plot.centroid.coords[0]
            cells[(math.floor(x / CELL_DEG), math.floor(y / CELL_DEG))].append(i)
    candidates: dict[int, list[_Candidate]] = defaultdict(list)
    for rows in cells.values():
        bounds = shapely.total_bounds([plots[i] for i in rows])
        areas = _areas_in(tuple(bounds))
        if not areas:
            continue
        tree = shapely.STRtree([a.geometry for a in areas])
        plot_index, area_index = tree.query([plots[i] for i in rows], predicate="intersects")
        for p, a in zip(plot_index.tolist(), area_index.tolist(), strict=True):
            candidates[rows[p]].append(areas[a])
    return [
        evaluate(plots[i], candidates[i], covered[i], farms[i]["risk_verified_at"] is not None)
        for i in range(len(farms))
    ]


def _store(farms: list[dict], results: list[Assessment]) -> None:
    """Bulk-update the farms' risk columns; audit (in bulk) the farms whose status changed."""
    changes = [_changes(f, r) for f, r in zip(farms, results, strict=True)]
    db.session.execute(update(Farm), changes)
    audits = [
        {
            "actor_id": None,
            "action": "farm.risk_assessed",
            "entity_type": Farm.__tablename__,
            "entity_id": farm["id"],
            "detail": {"before": farm["risk_status"], "after": values["risk_status"]},
        }
        for farm, values in zip(farms, changes, strict=True)
        if farm["risk_status"] != values["risk_status"]
    ]
    if audits:
        db.session.execute(insert(AuditLog), audits)
        reviews.flag_farms((a["entity_id"], a["detail"]["after"], utcnow()) for a in audits)


def status_counts() -> dict[str, int]:
    """How many farms are in each risk status now."""
    rows = db.session.execute(select(Farm.risk_status, func.count()).group_by(Farm.risk_status))
    return dict(rows.all())


def worst(statuses: Iterable[str]) -> str:
    """The worst of some risk statuses (RiskStatus is ordered worst first)."""
    order = list(RiskStatus)
    found = [RiskStatus(s) for s in statuses]
    return min(found, key=order.index).value if found else RiskStatus.UNASSESSED.value
