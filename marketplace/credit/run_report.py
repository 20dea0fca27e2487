"""Matching runs as the admin reads them: progress, figures per run and per country, and the
match rates by gender and by archetype beside the overall rate (fairness is watched).

Reads only what runs.py stored on MatchingRun (status, stage, progress, metrics); the
structure of `metrics` is runs._metrics: totals, match rates, and per country the library's
figures (matching.pipeline._metrics).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from marketplace import charts
from marketplace.credit.archetypes import archetype_label
from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.credit.runs import STALE_AFTER
from marketplace.extensions import db
from marketplace.labels import RUN_STAGES, label
from marketplace.models import CreditProduct, Gender, MatchingRun, RunStatus
from marketplace.models.base import utcnow

TOTALS = ("n_producers", "n_eligible", "n_groups", "matched_groups", "producers_financed")


def stage_label(stage: str | None) -> str:
    """A stage code as text: "PE:archetypes" -> "Perú: tipología de productores calculada"."""
    country, _, code = (stage or "").rpartition(":")
    text = str(RUN_STAGES.get(code, code))
    return f"{label('country', country)}: {text}" if country else text


def progress_of(run: MatchingRun) -> dict:
    """What the progress bar shows (the JSON the run page polls)."""
    return {
        "id": run.id,
        "status": run.status,
        "status_label": RunStatus(run.status).label,
        "stage": run.stage,
        "stage_label": stage_label(run.stage),
        "progress": run.progress,
        "percent": percent(run.progress),
        "error": run.error,
        "stale": is_stale(run),
    }


def is_stale(run: MatchingRun) -> bool:
    """A queued or running run silent for too long: its process was probably killed (the
    next start marks it failed)."""
    if run.finished:
        return False
    return utcnow() - (run.heartbeat_at or run.created_at) > STALE_AFTER


def percent(fraction: float | None) -> int:
    """A 0..1 fraction as a whole percentage (never 100 before the end)."""
    value = int((fraction or 0.0) * 100)
    return max(0, min(100, value))


@dataclass(frozen=True)
class Budget:
    """Credit allocated by a run against the products' budgets, in one currency."""

    currency: str
    used_minor: int
    budget_minor: int

    @property
    def share(self) -> float:
        return self.used_minor / self.budget_minor if self.budget_minor else 0.0


@dataclass(frozen=True)
class Allocation:
    """How a country's allocation was decided, and how far it falls short of the LP bound
    (no allocation can beat the bound, so the gap certifies how close to the best it is)."""

    method: str
    objective: float
    bound: float
    gap: float


@dataclass(frozen=True)
class Typology:
    """How a country's farm types were decided: the silhouette for each number of types
    tried, the k with the best, the silhouette the same clustering reaches on a world
    without types, and whether the typology passed the thresholds (else one type per value
    chain)."""

    silhouettes: list[tuple[int, float | None]]
    chosen_k: int | None
    reference: float | None
    clear: bool
    min_silhouette: float
    min_gain: float

    @property
    def best(self) -> float | None:
        values = [v for _, v in self.silhouettes if v is not None]
        return max(values) if values else None

    @property
    def chart(self) -> tuple[list[charts.Column], dict[str, float]]:
        """Columns of the silhouette per k (the chosen k darker) and the heights of the
        threshold and of the reference without types."""
        return charts.columns(
            [(str(k), v) for k, v in self.silhouettes],
            chosen=str(self.chosen_k) if self.chosen_k else None,
            marks={"threshold": self.min_silhouette, "reference": self.reference},
        )


@dataclass(frozen=True)
class Check:
    """A readiness model's figures on the test campaign's loans: AUC and Brier with their
    95 % bootstrap intervals, and the calibration plot's points."""

    auc: float | None
    auc_ci: tuple[float, float] | None
    brier: float | None
    brier_ci: tuple[float, float] | None
    n: int
    points: list[charts.Point]


@dataclass(frozen=True)
class Validation:
    """How a country's readiness model was validated (out of time) or why it was not."""

    reason: str | None  # why the scorecard stayed; None when the model was trained
    test_campaign: int | None
    n_train: int
    n_test: int
    n_later: int
    n_snapshot: int
    trained: Check | None
    scorecard: Check | None


@dataclass(frozen=True)
class StageGap:
    """One stage of the funnel by gender: women's and men's rates (of the stage's base),
    the gap, and the gap within farm-size bands."""

    stage: str
    women: Rate | None
    men: Rate | None
    gap: float | None
    adjusted_gap: float | None


@dataclass(frozen=True)
class GroupFigures:
    """How pure a country's groups are, and who an allocated group's product left out."""

    one_archetype: float  # share of groups whose members are of one archetype
    one_cooperative: float  # ... of one cooperative (or all without one)
    outside_coverage: int  # members of allocated groups outside the product's coverage


@dataclass(frozen=True)
class CountryFigures:
    """One country's pipeline figures in a run."""

    country: str
    totals: dict[str, int]
    types: int
    silhouette: float | None
    model_kind: str | None
    model_version: str | None
    auc: float | None
    brier: float | None
    budgets: list[Budget]
    allocation: Allocation | None = None
    typology: Typology | None = None
    validation: Validation | None = None
    funnel: list[StageGap] = field(default_factory=list)
    groups: GroupFigures | None = None
    # members each post-allocation check left out, by reason code (matching.repayment)
    excluded: dict[str, int] = field(default_factory=dict)
    # median share of expected volume pledged, over the groups financed by offtake products
    offtake_pledged_share: float | None = None


@dataclass(frozen=True)
class RunFigures:
    """A run's figures: totals, budget per currency, and each country's own."""

    run: MatchingRun
    duration: timedelta | None
    totals: dict[str, int]
    match_rate: float | None
    budgets: list[Budget]
    countries: list[CountryFigures] = field(default_factory=list)

    @property
    def models(self) -> list[tuple[str, str]]:
        """Distinct (kind, version) of the readiness models the countries used."""
        seen = {(c.model_kind, c.model_version) for c in self.countries if c.model_kind}
        return sorted(seen)


@dataclass(frozen=True)
class Rate:
    """The share of eligible producers whose group was matched, in one category."""

    code: str
    label: str
    rate: float
    n: int


def run_figures(runs: Iterable[MatchingRun]) -> list[RunFigures]:
    """Figures of several runs, with one query for the currencies of their products."""
    runs = list(runs)
    currencies = _product_currencies(runs)
    return [_figures(run, currencies) for run in runs]


def _figures(run: MatchingRun, currencies: dict[str, str]) -> RunFigures:
    metrics = run.metrics or {}
    countries = [
        _country(code, values or {}, currencies)
        for code, values in sorted((metrics.get("countries") or {}).items())
    ]
    return RunFigures(
        run=run,
        duration=_duration(run),
        totals={key: int(metrics[key]) for key in TOTALS if key in metrics},
        match_rate=metrics.get("match_rate"),
        budgets=_sum_budgets(b for c in countries for b in c.budgets),
        countries=countries,
    )


def _duration(run: MatchingRun) -> timedelta | None:
    if run.finished_at is None:
        return None
    return run.finished_at - (run.started_at or run.created_at)


def _country(code: str, values: dict, currencies: dict[str, str]) -> CountryFigures:
    fallback = COUNTRY_ECONOMICS[code].currency if code in COUNTRY_ECONOMICS else ""
    budgets = [
        Budget(currencies.get(product_id, fallback), int(b["used"]), int(b["budget"]))
        for product_id, b in (values.get("budget_used") or {}).items()
    ]
    return CountryFigures(
        country=code,
        totals={key: int(values[key]) for key in TOTALS if key in values},
        types=int(values.get("n_types", values.get("k")) or 0),
        silhouette=values.get("silhouette"),
        model_kind=values.get("model_kind"),
        model_version=values.get("model_version"),
        auc=values.get("auc"),
        brier=values.get("brier"),
        budgets=_sum_budgets(budgets),
        allocation=_allocation(values.get("allocation")),
        typology=_typology(values),
        validation=_validation(values),
        funnel=_funnel(values.get("fairness")),
        groups=_groups(values),
        excluded={
            str(code): int(n)
            for code, n in ((values.get("repayment") or {}).get("excluded") or {}).items()
        },
        offtake_pledged_share=(values.get("repayment") or {}).get("offtake_median_pledged_share"),
    )


def _groups(values: dict) -> GroupFigures | None:
    """The group figures (None for runs from before they were recorded)."""
    if "groups_one_archetype" not in values:
        return None
    return GroupFigures(
        one_archetype=float(values["groups_one_archetype"]),
        one_cooperative=float(values["groups_one_cooperative"]),
        outside_coverage=int(values.get("outside_coverage") or 0),
    )


def _typology(values: dict) -> Typology | None:
    """The silhouette curve and the decision; None for runs from before it was stored."""
    curve = values.get("silhouettes")
    if not curve or values.get("typology_clear") is None:
        return None
    points = sorted((int(k), None if v is None else float(v)) for k, v in curve.items())
    return Typology(
        silhouettes=points,
        chosen_k=int(values["k"]) if values.get("k") else None,
        reference=values.get("silhouette_reference"),
        clear=bool(values["typology_clear"]),
        min_silhouette=float(values.get("typology_min_silhouette") or 0.0),
        min_gain=float(values.get("typology_min_gain") or 0.0),
    )


def _check(values: dict | None) -> Check | None:
    if not values:
        return None
    return Check(
        auc=values.get("auc"),
        auc_ci=tuple(values["auc_ci"]) if values.get("auc_ci") else None,
        brier=values.get("brier"),
        brier_ci=tuple(values["brier_ci"]) if values.get("brier_ci") else None,
        n=int(values.get("n") or 0),
        points=charts.calibration(values.get("reliability") or []),
    )


def _validation(values: dict) -> Validation | None:
    """The readiness validation; None for runs from before it was reported."""
    if "readiness_validation" not in values and "readiness_reason" not in values:
        return None
    figures = values.get("readiness_validation") or {}
    trained = values.get("model_kind") == "trained"
    card = figures.get("scorecard") or {}
    return Validation(
        reason=values.get("readiness_reason"),
        test_campaign=figures.get("test_campaign", card.get("test_campaign")),
        n_train=int(figures.get("n_train") or 0),
        n_test=int(figures.get("n_test") or card.get("n") or 0),
        n_later=int(figures.get("n_later") or 0),
        n_snapshot=int(figures.get("n_snapshot") or 0),
        trained=_check(figures) if trained else None,
        scorecard=_check(card),
    )


def _funnel(rows: list | None) -> list[StageGap]:
    def rate(values: dict | None, code: str) -> Rate | None:
        if not values or values.get("rate") is None:
            return None
        return Rate(code, Gender(code).label, float(values["rate"]), int(values["n"]))

    return [
        StageGap(
            stage=row["stage"],
            women=rate(row["by_gender"].get("female"), "female"),
            men=rate(row["by_gender"].get("male"), "male"),
            gap=row.get("gap"),
            adjusted_gap=row.get("adjusted_gap"),
        )
        for row in rows or []
    ]


def _allocation(values: dict | None) -> Allocation | None:
    """The solver's figures; None for runs from before the LP bound was reported."""
    if not values or values.get("bound") is None or values.get("gap") is None:
        return None
    return Allocation(
        method=str(values.get("status") or ""),
        objective=float(values.get("objective") or 0.0),
        bound=float(values["bound"]),
        gap=float(values["gap"]),
    )


def _sum_budgets(budgets: Iterable[Budget]) -> list[Budget]:
    used: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for b in budgets:
        used[b.currency] += b.used_minor
        total[b.currency] += b.budget_minor
    return [Budget(c, used[c], total[c]) for c in sorted(total)]


def _product_currencies(runs: list[MatchingRun]) -> dict[str, str]:
    """Product id (as the metrics key it: a string) -> currency of that credit product."""
    ids = {
        int(product_id)
        for run in runs
        for country in ((run.metrics or {}).get("countries") or {}).values()
        for product_id in ((country or {}).get("budget_used") or {})
    }
    if not ids:
        return {}
    rows = db.session.execute(
        select(CreditProduct.id, CreditProduct.currency).where(CreditProduct.id.in_(ids))
    )
    return {str(product_id): currency for product_id, currency in rows}


def fairness(run: MatchingRun) -> dict[str, list[Rate]]:
    """Match rates by gender and by archetype (largest group first), from the run's figures."""
    metrics = run.metrics or {}
    return {
        "gender": _rates(metrics.get("match_rate_by_gender"), lambda c: Gender(c).label),
        "archetype": _rates(metrics.get("match_rate_by_archetype"), archetype_label),
    }


def _rates(values: dict | None, name) -> list[Rate]:
    rates = [
        Rate(code, name(code), float(v["rate"]), int(v["n"])) for code, v in (values or {}).items()
    ]
    return sorted(rates, key=lambda r: (-r.n, r.label))
