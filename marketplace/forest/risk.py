"""Deforestation risk of each plot against the cut-off date, from the active forest layers.

The plot is the farm's polygon; without one, a circle around its point with the declared
total hectares (EUDR accepts a point for plots up to 4 ha; the circle is our stand-in for
the land that point represents). What the layers say about the plot becomes indicators
(hectares and share of the plot: forest at the cut-off, commodity, disturbance before and
after it): raster layers read in the plot's window (zonal.py), vector areas intersected
geodesically; of the two, the larger figure of each indicator. The decision tree (tree.py)
turns the indicators into a status with its reason. No active layer reaching the plot ->
unassessed.

Every assessment that differs from the farm's current one is appended to forest_assessment
(indicators, the layers' provenance, the settings, the reason), never updated; the farm
points at its current row and keeps the status columns the rest of Minka reads. When a layer
exists, the farm's `cleared_after_cutoff` follows from the forest's status.

Legality comes on top of the forest tree (legality.py): a plot overlapping a protected area,
an indigenous territory (legal layers) or another producer's plot (overlaps.py, detected
before the assessment) needs verification unless it is at risk; the overlaps are in the
reason and, per legal kind, in the indicators.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

import shapely
from flask import current_app
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, insert, select, update

from marketplace import audit
from marketplace.extensions import db
from marketplace.forest import history, legality, outcomes, overlaps, reviews, zonal
from marketplace.forest.catalog import LayerRef, Layers
from marketplace.forest.geometry import geodesic_area_ha, plot_of
from marketplace.forest.rasters import RasterUnavailable
from marketplace.forest.tree import Settings, decide
from marketplace.forest.zonal import Measure
from marketplace.models import AuditLog, Notification, Role, User
from marketplace.models.base import utcnow
from marketplace.models.producers import Clearing, Farm
from marketplace.models.traceability import ForestArea, ForestLayer, RiskStatus

CUTOFF_YEAR = 2020  # EUDR: loss after 31 Dec 2020 counts
CELL_DEG = 0.5  # bulk assessment fetches the areas of one grid cell of farms at a time
BATCH = 2000
LAYER_UNAVAILABLE = "forest.layer_unavailable"

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
    reason: dict = field(default_factory=dict)
    indicators: dict[str, Measure] = field(default_factory=dict)
    layers: list[dict] = field(default_factory=list)
    plot_ha: float | None = None
    point: bool = False
    forest_status: RiskStatus | None = None  # the forest tree's, before legality


@dataclass(frozen=True)
class _Candidate:
    loss_year: int | None
    geometry: BaseGeometry


def settings() -> Settings:
    """The decision tree's thresholds from the app's MINKA_FOREST_* settings."""
    config = current_app.config
    return Settings(
        cutoff_year=int(config.get("MINKA_FOREST_CUTOFF_YEAR", CUTOFF_YEAR)),
        indicator_share=float(config.get("MINKA_FOREST_INDICATOR_SHARE", 0.10)),
        tree_cover_pct=float(config.get("MINKA_FOREST_TREE_COVER_PCT", 10)),
    )


def evaluate(
    plot: BaseGeometry | None,
    candidates: Iterable[_Candidate],
    covered: bool,
    verified: bool = False,
    config: Settings | None = None,
    raster: dict[str, Measure] | None = None,
    point: bool = False,
) -> Assessment:
    """The status of one plot from the vector areas meeting it and its raster indicators
    (pure: no database)."""
    config = config or Settings()
    if plot is None:
        return Assessment(RiskStatus.UNASSESSED, reason={"code": "no_plot"}, point=point)
    if not covered and not raster:
        return Assessment(RiskStatus.UNASSESSED, reason={"code": "no_layer"}, point=point)
    indicators = dict(raster or {})
    if covered:
        for name, measure in vector_measures(plot, candidates, config.cutoff_year).items():
            if name not in indicators or measure.ha > indicators[name].ha:
                indicators[name] = measure
    decision = decide(indicators, point, verified, config)
    loss = decision.disturbance
    plot_ha = indicators["plot"].ha if "plot" in indicators else None
    return Assessment(
        decision.status,
        loss.ha if loss else 0.0,
        loss.share if loss else 0.0,
        decision.reason,
        indicators,
        plot_ha=plot_ha,
        point=point,
    )


def vector_measures(
    plot: BaseGeometry, candidates: Iterable[_Candidate], cutoff_year: int
) -> dict[str, Measure]:
    """The indicators of vector areas: forest polygons and loss polygons by year."""
    forest, before, after = [], [], defaultdict(list)
    for area in candidates:
        if area.loss_year is None:
            forest.append(area.geometry)
        elif area.loss_year > cutoff_year:
            after[area.loss_year].append(area.geometry)
        else:
            before.append(area.geometry)
    plot_ha = geodesic_area_ha(plot)
    found = {"plot": Measure(round(plot_ha, 4), 1.0)}

    def of(areas: list[BaseGeometry], year: int | None = None) -> Measure:
        ha = _overlap_ha(plot, areas)
        return Measure(round(ha, 4), round(ha / plot_ha, 4), year if ha > 0 else None)

    lost_after = [g for parts in after.values() for g in parts]
    if after:
        by_year = {year: _overlap_ha(plot, parts) for year, parts in after.items()}
        found["disturbance_after"] = of(lost_after, max(by_year, key=lambda y: (by_year[y], y)))
    if before:
        found["disturbance_before"] = of(before)
    if forest or lost_after:
        # trees lost after the cut-off stood at the cut-off
        found["forest_2020"] = of(forest + lost_after)
    return found


def _overlap_ha(plot: BaseGeometry, areas: list[BaseGeometry]) -> float:
    if not areas:
        return 0.0
    # union first: two layers reporting the same loss must not count it twice
    return geodesic_area_ha(shapely.intersection(plot, shapely.union_all(areas)))


# --- the database side --------------------------------------------------------------------


def layers_reaching(farm: Farm) -> list[dict]:
    """The active layers that reach the farm's plot now, as a delivery's snapshot keeps them:
    [{"id", "name", "imported_at"}] (a layer is never edited, so id and import time name
    its version)."""
    plot = plot_of(farm.lat, farm.lon, farm.polygon_geojson, farm.total_ha)
    if plot is None:
        return []
    catalog = Layers()
    refs = sorted(
        catalog.vectors_reaching(plot) + catalog.rasters_for(plot) + catalog.legal_reaching(plot),
        key=lambda r: r.id,
    )
    return [{k: ref.provenance[k] for k in ("id", "name", "imported_at")} for ref in refs]


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
    clearing = CLEARING_BY_STATUS.get(result.forest_status or result.status)
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
    Farm.risk_assessment_id,
    Farm.cleared_after_cutoff,
)


def _plots(farms: list[dict]) -> list[BaseGeometry | None]:
    return [plot_of(f["lat"], f["lon"], f["polygon_geojson"], f["total_ha"]) for f in farms]


def assess(farm: Farm, detect: bool = True) -> Assessment:
    """Assess one farm now and store its risk_* fields and history row (the caller commits).

    First its overlaps with other producers' plots are detected again (`detect`); the other
    plots whose overlaps changed are assessed again too."""
    others = overlaps.detect_for(farm) - {farm.id} if detect else set()
    row = {column.key: getattr(farm, column.key) for column in _FARM_COLUMNS}
    with Layers() as catalog:
        try:
            result = _assess_batch([row], catalog, settings())[0]
        except RasterUnavailable as error:
            result = _unreadable(row, error)
    before = farm.risk_status
    values = _changes(row, result)
    for name, value in values.items():
        setattr(farm, name, value)
    farm.risk_assessment_id = history.record([row], [result], asdict(settings()))[0]
    if before != farm.risk_status:
        audit.record(None, "farm.risk_assessed", farm, before=before, after=farm.risk_status)
        reviews.flag_after_reassessment(farm)
    for other in sorted(others):
        assess(db.session.get(Farm, other), detect=False)
    return result


def _unreadable(farm: dict, error: RasterUnavailable) -> Assessment:
    """A plot saved while a layer's raster cannot be read stays unassessed (never read as
    free of forest, never a lost outline), and the admins are told how to mend it."""
    current_app.logger.error("farm %s left unassessed: %s", farm["id"], error)
    _tell_admins_unavailable(error.layer)
    reason = {"code": "layer_unavailable", "layer": error.layer}
    return Assessment(RiskStatus.UNASSESSED, reason=reason, point=not farm["polygon_geojson"])


def _tell_admins_unavailable(layer: str | None) -> None:
    """Each active admin without an unread notice of it yet (one per outage, not per plot)."""
    told = select(Notification.id).where(
        Notification.user_id == User.id,
        Notification.kind == LAYER_UNAVAILABLE,
        Notification.read_at.is_(None),
    )
    admins = select(User.id).where(User.role == Role.ADMIN, User.active.is_(True), ~told.exists())
    for user_id in db.session.scalars(admins):
        db.session.add(
            Notification(user_id=user_id, kind=LAYER_UNAVAILABLE, params={"layer": layer})
        )


def assess_farm(farm_id: int) -> Assessment | None:
    """Re-assess one farm by id and commit (call it when a farm's polygon or point changes)."""
    farm = db.session.get(Farm, farm_id)
    if farm is None:
        return None
    result = assess(farm)
    db.session.commit()
    return result


def assess_all(commit: bool = True) -> dict[str, int]:
    """Re-assess every farm (vector areas: bbox prefilter in SQL per grid cell, STRtree per
    cell; rasters: each plot's window), after detecting the overlaps between plots of
    different producers. Returns how many farms ended in each status."""
    counts: dict[str, int] = defaultdict(int)
    last_id = 0
    config = settings()
    overlaps.detect_all()
    with Layers() as catalog:
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
            results = _assess_batch(farms, catalog, config)
            _store(farms, results)
            for result in results:
                counts[result.status.value] += 1
    if commit:
        db.session.commit()
    return dict(counts)


def _assess_batch(farms: list[dict], catalog: Layers, config: Settings) -> list[Assessment]:
    plots = _plots(farms)
    vectors = [catalog.vectors_reaching(p) if p is not None else [] for p in plots]
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, plot in enumerate(plots):
        if vectors[i]:
            x, y = plot.centroid.coords[0]
            cells[(math.floor(x / CELL_DEG), math.floor(y / CELL_DEG))].append(i)
    legal = legality.candidates(plots, catalog)
    pairs = overlaps.open_pairs(f["id"] for f in farms)
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
    results = []
    for i, farm in enumerate(farms):
        plot = plots[i]
        rasters = catalog.rasters_for(plot) if plot is not None else []
        measures = (
            zonal.measure(plot, catalog.sources(rasters), config.cutoff_year, config.tree_cover_pct)
            if rasters
            else {}
        )
        result = evaluate(
            plot,
            candidates[i],
            bool(vectors[i]),
            farm["risk_verified_at"] is not None,
            config,
            measures,
            point=not farm["polygon_geojson"],
        )
        legal_refs = catalog.legal_reaching(plot) if plot is not None else []
        if legal[i] or pairs.get(farm["id"]):
            result = _with_legality(result, plot, legal[i], pairs.get(farm["id"], []), legal_refs,
                                    farm["risk_verified_at"])  # fmt: skip
        refs = sorted(vectors[i] + rasters + legal_refs, key=lambda r: r.id)
        results.append(_with_layers(result, [ref.provenance for ref in refs]))
    return outcomes.hold(farms, results, config)  # a dispute's outcome, while it holds


def _with_legality(
    result: Assessment, plot: BaseGeometry, areas: list[legality.Named], pairs: list[dict],
    refs: list[LayerRef], verified_at: datetime | None,
) -> Assessment:  # fmt: skip
    """`result` with the plot's overlaps: legal ones measured, status and reason combined."""
    found = legality.measure(plot, areas, result.point, verified_at, legality.imported_at(refs))
    status, reason = legality.apply(result.status, result.reason, found, pairs)
    indicators = {**result.indicators, **legality.indicators(plot, areas)}
    plot_ha = result.plot_ha if result.plot_ha is not None else round(geodesic_area_ha(plot), 4)
    return Assessment(
        **{
            **result.__dict__,
            "status": status,
            "reason": reason,
            "indicators": indicators,
            "plot_ha": plot_ha,
            "forest_status": result.status,
        }
    )


def _with_layers(result: Assessment, provenance: list[dict]) -> Assessment:
    return Assessment(**{**result.__dict__, "layers": provenance if result.indicators else []})


def _store(farms: list[dict], results: list[Assessment]) -> None:
    """Bulk-update the farms' risk columns and history; audit (in bulk) the farms whose
    status changed."""
    changes = [_changes(f, r) for f, r in zip(farms, results, strict=True)]
    for values, assessment_id in zip(
        changes, history.record(farms, results, asdict(settings())), strict=True
    ):
        values["risk_assessment_id"] = assessment_id
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
