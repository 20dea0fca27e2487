"""The decision tree of a plot's deforestation risk, after WRI/FAO Whisp for perennial crops.

Pure: indicators in (hectares and share of the plot, see zonal.py), a status and a reason
code with its figures out. An indicator *counts* when it covers more than `indicator_share`
of a polygon plot, or any of a point plot (a farm known only by its point is a circle of
its declared hectares: any pixel of it counts, as Whisp does for points). In order:

1. disturbance after the cut-off on forest of the cut-off year counts -> at_risk;
2. no forest at the cut-off counts -> free (no tree cover to lose);
3. the commodity was already there at the cut-off -> free;
4. the disturbance came before the cut-off -> free (the land was cleared earlier);
5. otherwise forest stands on the plot unexplained -> needs_verification (verified once
   field evidence was accepted).

Whisp checks 2-4 before 1; Minka checks 1 first, so that clearing before the cut-off on one
part of a plot does not excuse clearing 2020 forest on another part. Plantation replanting
does not reach 1: the commodity mask removes those pixels from the disturbance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from marketplace.forest.zonal import Measure
from marketplace.models.traceability import RiskStatus

POINT_MIN_HA = 0.001  # a point plot's "any pixel": above floating-point slivers of edges


@dataclass(frozen=True)
class Settings:
    """The tree's thresholds (MINKA_FOREST_* settings)."""

    cutoff_year: int = 2020
    indicator_share: float = 0.10
    tree_cover_pct: float = 10.0


@dataclass(frozen=True)
class Decision:
    """A status, why (a code and its figures) and the indicators behind it."""

    status: RiskStatus
    reason: dict
    indicators: dict[str, Measure]

    @property
    def disturbance(self) -> Measure | None:
        """The after-cut-off disturbance, when it made the plot at risk."""
        return (
            self.indicators.get("disturbance_after") if self.status == RiskStatus.AT_RISK else None
        )


def counts(measure: Measure | None, point: bool, settings: Settings) -> bool:
    """Whether an indicator covers enough of the plot to count."""
    if measure is None:
        return False
    if point:
        return measure.ha >= POINT_MIN_HA
    return measure.share > settings.indicator_share


def _reason(code: str, measure: Measure | None = None, **extra) -> dict:
    reason = {"code": code, **extra}
    if measure is not None:
        reason.update({k: v for k, v in asdict(measure).items() if v is not None})
    return reason


def decide(
    indicators: dict[str, Measure], point: bool, verified: bool, settings: Settings
) -> Decision:
    """The plot's status and reason from its indicators (assessed plots only)."""
    after = indicators.get("disturbance_after")
    forest = indicators.get("forest_2020")
    commodity = indicators.get("commodity")
    before = indicators.get("disturbance_before")
    cutoff = settings.cutoff_year

    def done(status: RiskStatus, reason: dict) -> Decision:
        return Decision(status, reason, indicators)

    if counts(after, point, settings):
        return done(RiskStatus.AT_RISK, _reason("loss_after", after, cutoff=cutoff))
    if not counts(forest, point, settings):
        return done(RiskStatus.FREE, _reason("no_forest", forest, cutoff=cutoff))
    if counts(commodity, point, settings):
        return done(RiskStatus.FREE, _reason("commodity", commodity, cutoff=cutoff))
    if counts(before, point, settings):
        return done(RiskStatus.FREE, _reason("loss_before", before, cutoff=cutoff))
    if verified:
        return done(RiskStatus.VERIFIED, _reason("verified", forest, cutoff=cutoff))
    return done(RiskStatus.NEEDS_VERIFICATION, _reason("forest", forest, cutoff=cutoff))
