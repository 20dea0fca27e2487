"""The append-only history of plot assessments (forest_assessment).

A row is written when an assessment differs from the farm's current one in anything it
records (status, reason, indicators, layers read, settings, plot area, point or polygon)
and never updated; the caller stores the returned id as the farm's current assessment. The
provenance of the layers read is kept once per distinct set of layers (forest_layer_set),
so a new tile reaching a million plots adds one set, not a million copies of it.
`results` are risk.Assessment values (status, reason, indicators, layers, plot_ha, point).
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import insert, select

from marketplace.extensions import db
from marketplace.forest.zonal import Measure
from marketplace.models.base import utcnow
from marketplace.models.traceability import ForestAssessment, ForestLayerSet


def _row(farm: dict, result, config: dict, layer_set_id: int | None) -> dict:
    return {
        "farm_id": farm["id"],
        "status": result.status.value,
        "plot_ha": result.plot_ha,
        "point": result.point,
        "indicators": {name: plain(m) for name, m in sorted(result.indicators.items())},
        "layer_set_id": layer_set_id,
        "reason": result.reason,
        "settings": config,
    }


def key(layers: list[dict]) -> str:
    """The key of a list of layers (their ids in order)."""
    return ",".join(str(layer["id"]) for layer in layers)


def layer_sets(results: list) -> dict[str, int]:
    """The id of the set of each distinct list of layers read (made when new)."""
    wanted = {key(r.layers): r.layers for r in results if r.layers}
    if not wanted:
        return {}
    found = dict(
        db.session.execute(
            select(ForestLayerSet.key, ForestLayerSet.id).where(ForestLayerSet.key.in_(wanted))
        ).all()
    )
    for name, layers in wanted.items():
        if name not in found:
            made = ForestLayerSet(key=name, layers=layers)
            db.session.add(made)
            db.session.flush()
            found[name] = made.id
    return found


def plain(measure: Measure) -> dict:
    """A measure as stored (its figures without the empty ones)."""
    return {k: v for k, v in asdict(measure).items() if v is not None}


_COMPARED = ("status", "plot_ha", "point", "indicators", "layer_set_id", "reason", "settings")


def record(farms: list[dict], results: list, config: dict) -> list[int]:
    """Append a history row for each farm whose assessment changed; each farm's current id."""
    current_ids = [f["risk_assessment_id"] for f in farms if f["risk_assessment_id"]]
    current = {
        row.id: row
        for row in db.session.execute(
            select(ForestAssessment.id, *(getattr(ForestAssessment, c) for c in _COMPARED)).where(
                ForestAssessment.id.in_(current_ids)
            )
        )
    }
    ids = [f["risk_assessment_id"] for f in farms]
    sets = layer_sets(results)
    new, positions = [], []
    for i, (farm, result) in enumerate(zip(farms, results, strict=True)):
        row = _row(farm, result, config, sets.get(key(result.layers)))
        old = current.get(farm["risk_assessment_id"])
        if old is None or any(getattr(old, c) != row[c] for c in _COMPARED):
            new.append({**row, "assessed_at": utcnow()})
            positions.append(i)
    if new:
        made = db.session.execute(
            insert(ForestAssessment).returning(ForestAssessment.id, sort_by_parameter_order=True),
            new,
        ).scalars()
        for i, new_id in zip(positions, made, strict=True):
            ids[i] = new_id
    return ids
