"""A dispute's outcome holds while the layers say what they said when it was opened.

A dispute answers one assessment (its *basis*). When two reviewers confirm an outcome, a new
assessment row is appended (status verified / free for an upheld claim, the same status for
a rejected one; reason "dispute_upheld" / "dispute_rejected" naming the dispute) and the farm
points at it. A later reassessment keeps that row - nothing new is appended - while it
reproduces the basis: the tree decides the same status for the same reason (with the same
overlaps with protected areas, indigenous territories and other producers' plots) from the
same indicators (the same hectares, shares and years of forest, disturbance and commodity),
on the same plot (its area, point or polygon), reading the same layers in the same versions
(a layer is never edited: a new version is a new import, so a new id), with the same
settings.

Anything else is new evidence and the outcome lapses: a disturbance after the dispute (a new
alert or loss year reaching the plot comes with a new layer import), a new version of a
layer, a layer added or removed, another producer's plot drawn over this one, the outline
redrawn, the thresholds changed. The plot then
takes the tree's status like any other, the lapse is audit-logged ("dispute.lapsed") and a
new dispute can be opened against the new assessment. A dispute still open or proposed whose
basis is no longer current is superseded (final, never decided) for the same reason.

`hold(farms, results, config)` is the one entry point: risk.py calls it on every batch of
fresh results before they are recorded, so callers need not.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlalchemy import or_, select, update

from marketplace import audit
from marketplace.extensions import db
from marketplace.forest import history
from marketplace.forest.tree import Settings
from marketplace.models import Farm, ForestAssessment
from marketplace.models.disputes import ACTIVE, DECIDED, DisputeStatus, ForestDispute
from marketplace.models.traceability import ForestLayerSet, RiskStatus

DISPUTE_CODES = ("dispute_upheld", "dispute_rejected")


def layers_reason(reason: dict) -> dict:
    """What the layers said: a dispute's outcome keeps the reason it disputed."""
    while reason.get("code") in DISPUTE_CODES:
        reason = reason.get("disputed") or {}
    return reason


def reproduces(result, basis: ForestAssessment, basis_key: str, config: dict) -> bool:
    """Whether a fresh result says what the disputed assessment said: status, reason (with
    its overlaps), indicators, layers, plot and settings."""
    return (
        RiskStatus(result.status).value == basis.status
        and layers_reason(result.reason) == layers_reason(basis.reason)
        and {name: history.plain(m) for name, m in sorted(result.indicators.items())}
        == basis.indicators
        and history.key(result.layers) == basis_key
        and result.plot_ha == basis.plot_ha
        and result.point == basis.point
        and config == basis.settings
    )


def hold(farms: list[dict], results: list, config: Settings) -> list:
    """The results to record: a decided dispute's outcome where it still holds; lapsed
    outcomes and superseded disputes audit-logged (the caller commits)."""
    farm_ids = [f["id"] for f in farms]
    current = [f["risk_assessment_id"] for f in farms if f["risk_assessment_id"]]
    disputes = list(
        db.session.scalars(
            select(ForestDispute).where(
                or_(
                    ForestDispute.outcome_assessment_id.in_(current)
                    & ForestDispute.status.in_(DECIDED),
                    ForestDispute.farm_id.in_(farm_ids) & ForestDispute.status.in_(ACTIVE),
                )
            )
        )
    )
    if not disputes:
        return results
    bases = _bases(
        {d.assessment_id for d in disputes} | {d.outcome_assessment_id for d in disputes}
    )
    by_farm: dict[int, list[ForestDispute]] = {}
    for dispute in disputes:
        by_farm.setdefault(dispute.farm_id, []).append(dispute)
    settings = asdict(config)
    held = list(results)
    for i, farm in enumerate(farms):
        for dispute in sorted(by_farm.get(farm["id"], []), key=lambda d: d.status in ACTIVE):
            basis, key = bases[dispute.assessment_id]
            same = reproduces(held[i], basis, key, settings)
            if dispute.status in DECIDED:
                if same:
                    outcome = bases[dispute.outcome_assessment_id][0]
                    held[i] = replace(
                        held[i], status=RiskStatus(outcome.status), reason=outcome.reason
                    )
                else:
                    _lapsed(farm["id"], dispute, "outcome")
            elif not same or farm["risk_assessment_id"] != dispute.assessment_id:
                _supersede(farm["id"], dispute)
    return held


def _bases(ids: set[int | None]) -> dict[int, tuple[ForestAssessment, str]]:
    rows = db.session.execute(
        select(ForestAssessment, ForestLayerSet.key)
        .outerjoin(ForestLayerSet, ForestLayerSet.id == ForestAssessment.layer_set_id)
        .where(ForestAssessment.id.in_([i for i in ids if i is not None]))
    ).all()
    return {row.id: (row, key or "") for row, key in rows}


def _lapsed(farm_id: int, dispute: ForestDispute, what: str) -> None:
    farm = db.session.get(Farm, farm_id)
    audit.record(None, "dispute.lapsed", farm, dispute=dispute.id, lapsed=what)


def _supersede(farm_id: int, dispute: ForestDispute) -> None:
    changed = db.session.execute(
        update(ForestDispute)
        .where(ForestDispute.id == dispute.id, ForestDispute.status.in_(ACTIVE))
        .values(status=DisputeStatus.SUPERSEDED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.expire(dispute)
        _lapsed(farm_id, dispute, "dispute")
