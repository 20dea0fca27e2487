"""The append-only history of plot assessments (forest_assessment).

A row is written when an assessment differs from the farm's current one in anything it
records (status, reason, indicators, layers read, settings, plot area, point or polygon)
and never updated; the caller stores the returned id as the farm's current assessment.
`results` are risk.Assessment values (status, reason, indicators, layers, plot_ha, point).
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import insert, select

from marketplace.extensions import db
from marketplace.forest.zonal import Measure
from marketplace.models.base import utcnow
from marketplace.models.traceability import ForestAssessment


def _row(farm: dict, result, config: dict) -> dict:
    return {
        "farm_id": farm["id"],
        "status": result.status.value,
        "plot_ha": result.plot_ha,
        "point": result.point,
        "indicators": {name: _plain(m) for name, m in sorted(result.indicators.items())},
        "layers": result.layers,
        "reason": result.reason,
        "settings": config,
    }


def _plain(measure: Measure) -> dict:
    return {k: v for k, v in asdict(measure).items() if v is not None}


_COMPARED = ("status", "plot_ha", "point", "indicators", "layers", "reason", "settings")


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
    new, positions = [], []
    for i, (farm, result) in enumerate(zip(farms, results, strict=True)):
        row = _row(farm, result, config)
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
