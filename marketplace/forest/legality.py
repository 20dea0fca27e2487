"""Legality overlaps: a plot against protected areas and indigenous territories.

A legal layer (LayerKind.LEGAL, its LegalKind in `content`) holds named polygons (LegalArea)
imported like forest vector layers (layers.py). A plot - its polygon, or the circle
geometry.plot_of makes for a point - that meets one of them is listed with the overlapping
hectares and the share of the plot they are.

Tolerance: on a polygon plot, an overlap under MIN_HA (0.01 ha, 100 m²) or under MIN_SHARE
(1 % of the plot) is digitising noise - two outlines drawn from different sources rarely
share an edge exactly - and is listed as information only. A point plot's circle is not
digitised, so any overlap from tree.POINT_MIN_HA counts, as a point's pixel does for forest.

An overlap that counts makes the plot *needs verification* (an *at risk* plot stays at risk):
the technician checks that the plot may be farmed there (a comunero inside their comunidad
nativa, a plot older than the protected area, a use its management plan allows). Accepted
field evidence (the farm's risk_verified_at) covers the overlaps of layers imported before
it; a layer imported later needs a new verification. An unresolved overlap with another
producer's plot (overlaps.py) is never covered by a verification: one of the outlines is
wrong and must be corrected.

The reason keeps the forest tree's code and figures and adds `overlaps` (legal, each with
`counts` and `verified`) and `plot_overlaps` (other producers' plots), rendered in
templates/traceability/_risk.html.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.forest.catalog import LayerRef, Layers
from marketplace.forest.geometry import geodesic_area_ha
from marketplace.forest.tree import POINT_MIN_HA
from marketplace.forest.zonal import Measure
from marketplace.models.traceability import ForestLayer, LegalArea, LegalKind, RiskStatus

MIN_HA = 0.01
MIN_SHARE = 0.01
CELL_DEG = 0.5  # like risk.CELL_DEG: one SQL prefilter per grid cell of plots
RESOLVED_STATUSES = (RiskStatus.FREE, RiskStatus.VERIFIED, RiskStatus.UNASSESSED)


@dataclass(frozen=True)
class Named:
    """A legal area near a plot: its layer, kind, name, category, and geometry."""

    layer_id: int
    kind: str
    name: str
    category: str
    iucn_category: str
    designation: str
    geometry: BaseGeometry


def counts(ha: float, share: float, point: bool) -> bool:
    """Whether an overlap is more than digitising noise (see the module docstring)."""
    if point:
        return ha >= POINT_MIN_HA
    return ha >= MIN_HA and share >= MIN_SHARE


def measure(
    plot: BaseGeometry, areas: list[Named], point: bool, verified_at: datetime | None = None,
    imported: dict[int, datetime] | None = None,
) -> list[dict]:  # fmt: skip
    """Each legal area the plot overlaps, largest first: name, kind, category, ha, share of
    the plot, whether it counts and whether a verification covers it (pure: no database)."""
    plot_ha = geodesic_area_ha(plot)
    found = []
    for area in areas:
        ha = geodesic_area_ha(shapely.intersection(plot, area.geometry))
        if ha <= 0:
            continue
        share = ha / plot_ha if plot_ha > 0 else 0.0
        layer_time = (imported or {}).get(area.layer_id)
        item = {
            "layer_id": area.layer_id,
            "kind": area.kind,
            "name": area.name,
            "ha": round(ha, 4),
            "share": round(share, 4),
            "counts": counts(ha, share, point),
            "verified": bool(verified_at and layer_time and layer_time <= verified_at),
        }
        if not item["counts"]:  # the tolerance it fell under, as the reason shows it
            item["tolerance"] = (
                {"ha": POINT_MIN_HA} if point else {"ha": MIN_HA, "share": MIN_SHARE}
            )
        for key in ("category", "iucn_category", "designation"):
            if getattr(area, key):
                item[key] = getattr(area, key)
        found.append(item)
    return sorted(found, key=lambda o: (-o["ha"], o["name"]))


def indicators(plot: BaseGeometry, areas: list[Named]) -> dict[str, Measure]:
    """Per legal kind, the hectares of the plot inside any of its areas (union: two layers of
    one kind mapping the same park count it once) and their share of the plot."""
    plot_ha = geodesic_area_ha(plot)
    by_kind: dict[str, list[BaseGeometry]] = defaultdict(list)
    for area in areas:
        by_kind[area.kind].append(area.geometry)
    found = {}
    for kind, parts in sorted(by_kind.items()):
        ha = geodesic_area_ha(shapely.intersection(plot, shapely.union_all(parts)))
        if ha > 0:
            found[kind] = Measure(round(ha, 4), round(ha / plot_ha, 4) if plot_ha > 0 else 0.0)
    return found


def apply(
    status: RiskStatus, reason: dict, legal: list[dict], pairs: list[dict]
) -> tuple[RiskStatus, dict]:
    """The plot's status and reason once its overlaps are added to the forest tree's: an
    overlap that counts and is not covered by a verification (or any unresolved overlap with
    another producer's plot) -> needs_verification unless at_risk; only verified ones ->
    verified where the forest said free or unassessed."""
    if not legal and not pairs:
        return status, reason
    reason = dict(reason)
    if legal:
        reason["overlaps"] = legal
    if pairs:
        reason["plot_overlaps"] = pairs
    open_ = pairs or [o for o in legal if o["counts"] and not o["verified"]]
    covered = [o for o in legal if o["counts"] and o["verified"]]
    if status == RiskStatus.AT_RISK:
        return status, reason
    if open_:
        return RiskStatus.NEEDS_VERIFICATION, reason
    if covered and status in RESOLVED_STATUSES:
        return RiskStatus.VERIFIED, reason
    return status, reason


# --- the database side --------------------------------------------------------------------


def _areas_in(bounds: tuple[float, float, float, float]) -> list[Named]:
    """Active legal areas whose bounding box meets `bounds` (the SQL prefilter)."""
    x0, y0, x1, y1 = bounds
    rows = db.session.execute(
        select(
            LegalArea.layer_id,
            ForestLayer.content,
            LegalArea.name,
            LegalArea.category,
            LegalArea.iucn_category,
            LegalArea.designation,
            LegalArea.geometry,
        )
        .join(ForestLayer, ForestLayer.id == LegalArea.layer_id)
        .where(
            ForestLayer.active.is_(True),
            LegalArea.max_lat >= y0,
            LegalArea.min_lat <= y1,
            LegalArea.max_lon >= x0,
            LegalArea.min_lon <= x1,
        )
    )
    return [
        Named(layer_id, kind, name, category, iucn, designation, shape(geometry))
        for layer_id, kind, name, category, iucn, designation, geometry in rows
    ]


def candidates(plots: list[BaseGeometry | None], catalog: Layers) -> list[list[Named]]:
    """For each plot, the legal areas that intersect it: one bbox query per grid cell of
    plots, then an STRtree over the cell's areas."""
    found: list[list[Named]] = [[] for _ in plots]
    if not catalog.legal:
        return found
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, plot in enumerate(plots):
        if plot is not None and catalog.legal_reaching(plot):
            x, y = plot.centroid.coords[0]
            cells[(math.floor(x / CELL_DEG), math.floor(y / CELL_DEG))].append(i)
    for rows in cells.values():
        areas = _areas_in(tuple(shapely.total_bounds([plots[i] for i in rows])))
        if not areas:
            continue
        tree = shapely.STRtree([a.geometry for a in areas])
        plot_index, area_index = tree.query([plots[i] for i in rows], predicate="intersects")
        for p, a in zip(plot_index.tolist(), area_index.tolist(), strict=True):
            found[rows[p]].append(areas[a])
    return found


def imported_at(refs: list[LayerRef]) -> dict[int, datetime]:
    """When each legal layer was imported (a verification covers only earlier layers)."""
    return {
        ref.id: datetime.fromisoformat(ref.provenance["imported_at"])
        for ref in refs
        if ref.provenance.get("imported_at")
    }


def kind_label(code: str) -> str:
    """A legal kind's label in the reader's language (the code itself if unknown)."""
    return LegalKind(code).label if code in LegalKind.codes() else code
