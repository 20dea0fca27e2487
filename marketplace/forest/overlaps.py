"""Plots of two different producers that overlap (plot_overlap): found, stored once per pair,
shown on both plots' pages, notified to both producers' technicians, resolved when gone.

Two producers cannot both farm the same land: one outline (or declared point) is wrong, or
the land is disputed. Each plot is its polygon or the circle geometry.plot_of makes for a point.
An STRtree over every plot finds the candidate pairs in one pass (`detect_all`, run by
`risk.assess_all`: `flask forest assess`, a layer imported or removed); `detect_for(farm)`
checks one plot against the farms whose point lies within MARGIN_DEG of it (run by
`risk.assess` when an outline is saved or removed).

Tolerance: as for legal overlaps (legality.py), an overlap of two outlines under 0.01 ha, or
under 1 % of both, is digitising noise (two neighbours' shared edge drawn twice) and is not
stored. A point plot's circle is only a guess at the land (EUDR accepts a point for up to
4 ha): two neighbours' circles overlap at their rims all the time, so where a circle is one
of the two, the overlap counts only from POINT_PAIR_SHARE of either plot - the point sits on
the other producer's outline, or the two points are (nearly) the same place, as when one plot
was registered twice under two producers.

A stored pair that is no longer found is resolved (resolved_at, audit-logged, both technicians
told); found again, it reopens. Farms of the same producer may overlap (a plot split in two
drawn twice) without a flag: that is one producer's own bookkeeping, not a competing claim.

A producer's technician is the one who registered them, while they still act for the
producer's cooperative; otherwise the cooperative as an organization (all its members); a
producer outside any cooperative is told directly. Like reviews.py, this module sits in the
forest layer and writes Notification rows itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.extensions import db
from marketplace.forest import legality
from marketplace.forest.geometry import circles, geodesic_area_ha
from marketplace.links import path_for
from marketplace.models import AuditLog, Notification, User
from marketplace.models.base import utcnow
from marketplace.models.producers import Farm, Producer
from marketplace.models.traceability import PlotOverlap
from marketplace.permissions import serving_cooperative_id

MARGIN_DEG = 0.1  # about 11 km: two overlapping plots' points lie within this of each other
CELL_DEG = 0.5  # detect_all pairs the farms of one grid cell (and its margin) at a time
ID_CHUNK = 5000
STORE_CHUNK = 20_000  # pairs stored, audited and notified at a time (a million farms: ~500k)
POINT_PAIR_SHARE = 0.5
PREFILTER_SLACK = 0.8  # the planar prefilter keeps pairs from 80 % of a share threshold
FOUND, RESOLVED = "plot.overlap_found", "plot.overlap_resolved"


@dataclass(frozen=True)
class Pair:
    """Two overlapping plots (a < b) with the overlapping hectares and each one's share."""

    farm_a: int
    farm_b: int
    ha: float
    share_a: float
    share_b: float


def counts(ha: float, share_a: float, share_b: float, point: bool) -> bool:
    """Whether an overlap of two plots is more than digitising noise (see the docstring)."""
    if point:
        return ha >= legality.MIN_HA and max(share_a, share_b) >= POINT_PAIR_SHARE
    return ha >= legality.MIN_HA and max(share_a, share_b) >= legality.MIN_SHARE


def find_pairs(plots: list[dict]) -> list[Pair]:
    """The pairs of plots of different producers that overlap beyond the tolerance (pure).

    `plots`: {"id", "producer_id", "plot" (a geometry or None), "point"}."""
    usable = [p for p in plots if p["plot"] is not None]
    if len(usable) < 2:
        return []
    geometries = np.array([p["plot"] for p in usable], dtype=object)
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    producers = np.array([p["producer_id"] for p in usable])
    keep = producers[left] != producers[right]
    left, right = left[keep], right[keep]
    shared = shapely.intersection(geometries[left], geometries[right])
    # a planar prefilter (the shares barely change over a few hundred metres): most candidate
    # pairs are neighbours' circles meeting at their rims, far under the tolerance
    planar = shapely.area(shared)
    smaller = np.minimum(shapely.area(geometries[left]), shapely.area(geometries[right]))
    points = np.array([p["point"] for p in usable])
    point_pair = points[left] | points[right]
    needed = np.where(point_pair, POINT_PAIR_SHARE, legality.MIN_SHARE) * PREFILTER_SLACK
    keep = (planar > 0) & (planar >= needed * smaller)
    left, right, shared = left[keep], right[keep], shared[keep]
    areas: dict[int, float] = {}

    def area(i: int) -> float:
        if i not in areas:
            areas[i] = geodesic_area_ha(geometries[i])
        return areas[i]

    pairs = []
    for i, j, part in zip(left.tolist(), right.tolist(), shared.tolist(), strict=True):
        ha = geodesic_area_ha(part)
        if ha <= 0:
            continue
        share_a, share_b = ha / area(i), ha / area(j)
        if not counts(ha, share_a, share_b, usable[i]["point"] or usable[j]["point"]):
            continue
        a, b = usable[i], usable[j]
        if a["id"] > b["id"]:
            a, b, share_a, share_b = b, a, share_b, share_a
        pairs.append(Pair(a["id"], b["id"], round(ha, 4), round(share_a, 4), round(share_b, 4)))
    return sorted(pairs, key=lambda p: (p.farm_a, p.farm_b))


# --- the database side --------------------------------------------------------------------

COLUMNS = (Farm.id, Farm.producer_id, Farm.lat, Farm.lon, Farm.polygon_geojson, Farm.total_ha)


def plots_of(rows: Iterable) -> list[dict]:
    """The plot of each farm row (id, producer_id, lat, lon, polygon_geojson, total_ha), as
    find_pairs reads them: plot_of's, made all at once (outlines from their GeoJSON, made
    valid; circles around points)."""
    rows = list(rows)
    plots = np.full(len(rows), None, dtype=object)
    points = [i for i, row in enumerate(rows) if not row.polygon_geojson and row.total_ha]
    if points:
        plots[points] = circles(
            np.array([rows[i].lat for i in points], float),
            np.array([rows[i].lon for i in points], float),
            np.array([rows[i].total_ha for i in points], float),
        )
    outlined = [i for i, row in enumerate(rows) if row.polygon_geojson]
    if outlined:
        texts = [json.dumps(rows[i].polygon_geojson) for i in outlined]
        made = shapely.make_valid(shapely.from_geojson(texts, on_invalid="ignore"))
        made[shapely.is_empty(made) | shapely.is_missing(made)] = None
        plots[outlined] = made
    return [
        {
            "id": row.id,
            "producer_id": row.producer_id,
            "plot": plots[i],
            "point": not row.polygon_geojson,
        }
        for i, row in enumerate(rows)
    ]


def detect_all() -> set[int]:
    """Find every overlapping pair now, store the new ones, resolve those gone (the caller
    commits). Returns the farms whose open overlaps changed."""
    points = db.session.execute(select(Farm.id, Farm.lat, Farm.lon)).all()

    def fetch(ids: list[int]) -> list:
        return [
            row
            for part in _parts(ids)
            for row in db.session.execute(select(*COLUMNS).where(Farm.id.in_(part)))
        ]

    found = pairs_by_cell(
        np.array([p.id for p in points], dtype=np.int64),
        np.array([p.lat for p in points], float),
        np.array([p.lon for p in points], float),
        fetch,
    )
    return _store(found, _open_slices())


def _open_slices() -> Iterator[list[PlotOverlap]]:
    """Every open overlap, STORE_CHUNK rows at a time by id: a re-assessment of a million
    farms compares some 500,000 with the pairs found, one slice in memory at a time."""
    last_id = 0
    while rows := list(
        db.session.scalars(
            select(PlotOverlap)
            .where(PlotOverlap.resolved_at.is_(None), PlotOverlap.id > last_id)
            .order_by(PlotOverlap.id)
            .limit(STORE_CHUNK)
        )
    ):
        yield rows
        last_id = rows[-1].id


def pairs_by_cell(
    ids: np.ndarray, lats: np.ndarray, lons: np.ndarray, fetch: Callable[[list[int]], list]
) -> list[Pair]:
    """Every overlapping pair, one grid cell of CELL_DEG at a time: the farms whose point lies
    in the cell or within MARGIN_DEG of it are fetched (`fetch(ids)` -> farm rows) and
    paired, and a pair is kept by the cell of its first farm's point - each pair found once,
    memory that of one cell."""
    if not len(ids):
        return []
    cells = np.floor(np.column_stack([lons, lats]) / CELL_DEG).astype(np.int64)
    keys, which = np.unique(cells, axis=0, return_inverse=True)
    which = which.ravel()
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(keys) + 1))
    members = {(int(x), int(y)): order[bounds[k] : bounds[k + 1]] for k, (x, y) in enumerate(keys)}
    found: list[Pair] = []
    for (x, y), home in members.items():
        around = np.concatenate(
            [members.get((x + dx, y + dy), home[:0]) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        )
        x0, y0 = x * CELL_DEG - MARGIN_DEG, y * CELL_DEG - MARGIN_DEG
        x1, y1 = (x + 1) * CELL_DEG + MARGIN_DEG, (y + 1) * CELL_DEG + MARGIN_DEG
        lon, lat = lons[around], lats[around]
        near = around[(lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)]
        own = set(ids[home].tolist())
        pairs = find_pairs(plots_of(fetch(ids[near].tolist())))
        found += [p for p in pairs if p.farm_a in own]
    return sorted(found, key=lambda p: (p.farm_a, p.farm_b))


def detect_for(farm: Farm) -> set[int]:
    """Check one farm's plot against its neighbours' (the caller commits); the farms whose
    open overlaps changed."""
    plots = plots_of([farm])
    plot = plots[0]["plot"]
    if plot is not None:
        x0, y0, x1, y1 = plot.bounds
        near = db.session.execute(
            select(*COLUMNS).where(
                Farm.id != farm.id,
                Farm.producer_id != farm.producer_id,
                Farm.lat.between(y0 - MARGIN_DEG, y1 + MARGIN_DEG),
                Farm.lon.between(x0 - MARGIN_DEG, x1 + MARGIN_DEG),
            )
        )
        plots += plots_of(near)
    found = [p for p in find_pairs(plots) if farm.id in (p.farm_a, p.farm_b)]
    open_rows = db.session.scalars(
        select(PlotOverlap).where(
            PlotOverlap.resolved_at.is_(None),
            or_(PlotOverlap.farm_a_id == farm.id, PlotOverlap.farm_b_id == farm.id),
        )
    )
    return _store(found, [list(open_rows)])


def _store(found: list[Pair], open_slices: Iterable[list[PlotOverlap]]) -> set[int]:
    """Settle the open overlaps against the pairs found, then store the new ones; the farms
    whose open overlaps changed."""
    now = utcnow()
    by_key = {(p.farm_a, p.farm_b): p for p in found}
    changed: set[int] = set()
    for rows in open_slices:
        changed |= _settle_open(rows, by_key, now)
    new = sorted(by_key.items())  # new, or found again after being resolved
    for start in range(0, len(new), STORE_CHUNK):
        changed |= _store_found(dict(new[start : start + STORE_CHUNK]), now)
    return changed


def _settle_open(rows: list[PlotOverlap], by_key: dict[tuple[int, int], Pair], now) -> set[int]:
    """Resolve the open rows not found again (audited and notified) and update the figures of
    those found, taking them out of `by_key`; the farms whose overlaps changed."""
    changed: set[int] = set()
    audits, notes = [], []
    for row in rows:
        pair = by_key.pop((row.farm_a_id, row.farm_b_id), None)
        if pair is None:
            row.resolved_at = now
            changed |= {row.farm_a_id, row.farm_b_id}
            audits.append(_audit(row, "plot_overlap.resolved"))
            notes.append((row, RESOLVED))
        elif (row.overlap_ha, row.share_a, row.share_b) != (pair.ha, pair.share_a, pair.share_b):
            row.overlap_ha, row.share_a, row.share_b = pair.ha, pair.share_a, pair.share_b
            changed |= {row.farm_a_id, row.farm_b_id}
    if audits:
        db.session.execute(insert(AuditLog), audits)
    _notify(notes)
    db.session.flush()
    return changed


def _store_found(by_key: dict[tuple[int, int], Pair], now) -> set[int]:
    """Store one slice of the pairs found (reopening resolved rows), audit and notify them:
    the memory of a slice, whatever the detection found. The farms whose pairs changed."""
    closed = {
        (row.farm_a_id, row.farm_b_id): row
        for part in _parts(sorted({a for a, _ in by_key}))
        for row in db.session.scalars(
            select(PlotOverlap).where(
                PlotOverlap.resolved_at.is_not(None), PlotOverlap.farm_a_id.in_(part)
            )
        )
    }
    stored = _add_found([(closed.get(key), pair) for key, pair in by_key.items()], now)
    if stored:
        db.session.execute(insert(AuditLog), [_audit(r, "plot_overlap.found") for r in stored])
    _notify([(row, FOUND) for row in stored])
    return {farm_id for row in stored for farm_id in (row.farm_a_id, row.farm_b_id)}


def _add_found(found: list[tuple[PlotOverlap | None, Pair]], now) -> list[PlotOverlap]:
    """Store each pair found (reopening its resolved row, or a new one) in one flush. Two
    outlines saved at once may both find the same new pair: then, one at a time, those the
    other did not store."""

    def rows() -> list[PlotOverlap]:
        made = []
        for row, pair in found:
            row = row or PlotOverlap(farm_a_id=pair.farm_a, farm_b_id=pair.farm_b)
            row.overlap_ha, row.share_a, row.share_b = pair.ha, pair.share_a, pair.share_b
            row.found_at, row.resolved_at = now, None
            made.append(row)
        return made

    try:
        with db.session.begin_nested():
            stored = rows()
            db.session.add_all(stored)
        return stored
    except IntegrityError:
        pass
    stored = []
    for row in rows():  # the savepoint's rollback undid the changes: made again
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            continue  # the other one stored the pair and told the technicians
        stored.append(row)
    return stored


def _audit(row: PlotOverlap, action: str) -> dict:
    return {
        "actor_id": None,
        "action": action,
        "entity_type": PlotOverlap.__tablename__,
        "entity_id": row.id,
        "detail": {"farm_a": row.farm_a_id, "farm_b": row.farm_b_id, "ha": row.overlap_ha},
    }


def _notify(notes: list[tuple[PlotOverlap, str]]) -> None:
    """Tell each plot's technician (see the module docstring), once per side."""
    if not notes:
        return
    farm_ids = {fid for row, _ in notes for fid in (row.farm_a_id, row.farm_b_id)}
    reach = selectinload(Farm.producer).selectinload(Producer.registered_by)
    farms = {
        farm.id: farm
        for part in _parts(sorted(farm_ids))
        for farm in db.session.scalars(
            select(Farm).where(Farm.id.in_(part)).options(reach.selectinload(User.organization))
        )
    }
    messages = []
    for row, kind in notes:
        for own, other in ((row.farm_a_id, row.farm_b_id), (row.farm_b_id, row.farm_a_id)):
            user_id, org_id = recipient(farms[own].producer)
            if user_id is None and org_id is None:
                continue
            params = {"farm": farms[own].name, "other": farms[other].name, "ha": row.overlap_ha}
            link = path_for("traceability.plot", farm_id=own)
            messages.append(
                {
                    "user_id": user_id,
                    "organization_id": org_id,
                    "kind": kind,
                    "params": params,
                    "link": link,
                }
            )
    if messages:
        db.session.execute(insert(Notification), messages)


def recipient(producer: Producer) -> tuple[int | None, int | None]:
    """(user id, organization id) of whom to tell about the producer's plots: the technician
    who registered them while serving their cooperative, else the cooperative, else the
    producer's own account."""
    technician = producer.registered_by
    if (
        technician is not None
        and producer.cooperative_id is not None
        and serving_cooperative_id(technician) == producer.cooperative_id
    ):
        return technician.id, None
    if producer.cooperative_id is not None:
        return None, producer.cooperative_id
    return producer.user_id, None


def open_pairs(farm_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Each farm's unresolved overlaps with other producers' plots, as a reason lists them:
    {"farm_id", "farm", "ha", "share"} (share of the farm's own plot), largest first."""
    ids = list(farm_ids)
    by_id = {  # a pair whose two farms fall in different slices is read twice
        row.id: row
        for part in _parts(ids)
        for row in db.session.scalars(
            select(PlotOverlap).where(
                PlotOverlap.resolved_at.is_(None),
                or_(PlotOverlap.farm_a_id.in_(part), PlotOverlap.farm_b_id.in_(part)),
            )
        )
    }
    rows = list(by_id.values())
    if not rows:
        return {}
    other_ids = list({fid for r in rows for fid in (r.farm_a_id, r.farm_b_id)})
    names = {
        farm_id: name
        for part in _parts(other_ids)
        for farm_id, name in db.session.execute(select(Farm.id, Farm.name).where(Farm.id.in_(part)))
    }
    wanted = set(ids)
    found: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        for own, other, share in (
            (r.farm_a_id, r.farm_b_id, r.share_a),
            (r.farm_b_id, r.farm_a_id, r.share_b),
        ):
            if own in wanted:
                found[own].append(
                    {
                        "farm_id": other,
                        "farm": names.get(other, ""),
                        "ha": r.overlap_ha,
                        "share": share,
                    }
                )
    return {
        fid: sorted(items, key=lambda o: (-o["ha"], o["farm_id"])) for fid, items in found.items()
    }


def _parts(ids: list[int]) -> Iterator[list[int]]:
    """`ids` in slices a statement can bind (PostgreSQL takes at most 65,535 parameters)."""
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def overlaps_of(farm: Farm) -> list[tuple[PlotOverlap, Farm]]:
    """Every overlap of the farm (open ones first, then resolved), with the other plot."""
    rows = db.session.scalars(
        select(PlotOverlap)
        .where(or_(PlotOverlap.farm_a_id == farm.id, PlotOverlap.farm_b_id == farm.id))
        .order_by(PlotOverlap.resolved_at.is_not(None), PlotOverlap.found_at.desc())
    )
    out = []
    for row in rows:
        other = db.session.get(Farm, row.farm_b_id if row.farm_a_id == farm.id else row.farm_a_id)
        out.append((row, other))
    return out
