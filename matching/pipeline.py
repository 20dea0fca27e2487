"""The matching run: eligibility -> archetypes -> affordability -> groups -> readiness ->
group table -> allocation, with a progress callback and figures for the run's history.

`run` is the library's single entry point. It takes plain DataFrames and CreditProduct
records and returns a MatchResult of plain tables; it never touches a database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from matching import allocation, archetypes, fairness, groups, readiness
from matching.affordability import requested_amounts
from matching.eligibility import NO_INCOME, OUTSIDE_COVERAGE, eligibility
from matching.types import SUBSISTENCE, CreditProduct, MatchParams, MatchResult

STAGES: tuple[str, ...] = (
    "eligibility",
    "archetypes",
    "affordability",
    "groups",
    "readiness",
    "group_table",
    "allocation",
)
# rate and term used to size requests where no product serves the producer's value chain
DEFAULT_ANNUAL_RATE = 0.25
DEFAULT_TERM_MONTHS = 12

Progress = Callable[[str, float], None]


def product_terms(
    producers: pd.DataFrame, products: Sequence[CreditProduct]
) -> tuple[np.ndarray, np.ndarray]:
    """Annual rate and term per producer: the cheapest product with budget serving its value
    chain, preferring one that lists its district; the default where none serves the chain."""
    # decide once per distinct (value chain, district), then spread to the producers
    chain, chains = pd.factorize(producers["value_chain"])
    district, districts = pd.factorize(producers["district_code"])
    combo, uniq = pd.factorize(chain.astype(np.int64) * max(len(districts), 1) + district)
    u_chain = chains.to_numpy()[uniq // max(len(districts), 1)] if len(uniq) else chains
    u_district = districts.to_numpy()[uniq % max(len(districts), 1)] if len(uniq) else districts
    rate = np.full(len(uniq), DEFAULT_ANNUAL_RATE)
    term = np.full(len(uniq), DEFAULT_TERM_MONTHS, dtype=np.int64)
    # most expensive first, so that the cheapest fitting product is written last
    lending = [p for p in products if p.budget_minor > 0]
    ordered = sorted(lending, key=lambda p: (-p.annual_rate, -p.product_id))
    for by_district in (False, True):
        for p in ordered:
            fits = np.isin(u_chain, list(p.value_chains))
            if by_district:
                fits &= np.isin(u_district, list(p.districts))
            rate[fits] = p.annual_rate
            term[fits] = p.term_months
    return rate[combo], term[combo]


def size_requests(
    producers: pd.DataFrame, products: Sequence[CreditProduct], params: MatchParams
) -> np.ndarray:
    """Requested amount (minor units) per producer, sized at its best-fitting product's terms."""
    rate, term = product_terms(producers, products)
    out = np.zeros(len(producers), dtype=np.int64)
    if len(producers) == 0:
        return out
    combos = pd.DataFrame({"rate": rate, "term": term})
    for (r, t), idx in combos.groupby(["rate", "term"], sort=True).indices.items():
        amounts = requested_amounts(producers.iloc[idx], params, float(r), int(t))
        out[idx] = np.asarray(amounts, dtype=np.int64)
    return out


def _match_rate(matched: pd.Series, by: pd.Series) -> dict[str, float]:
    """Share of matched producers per value of `by` (only values present)."""
    if matched.empty:
        return {}
    rates = matched.groupby(by.to_numpy(), sort=True).mean()
    return {str(k): float(v) for k, v in rates.items()}


def run(
    producers: pd.DataFrame,
    products: list[CreditProduct],
    outcomes: pd.DataFrame | None = None,
    params: MatchParams = MatchParams(),  # noqa: B008 - frozen dataclass, safe as a default
    progress: Progress | None = None,
    previous: dict | None = None,
) -> MatchResult:
    """Run the whole matching on plain tables; deterministic for ``params.seed``.

    Parameters
    ----------
    producers : DataFrame
        One row per producer, columns of ``matching.types.PRODUCER_COLUMNS``.
    products : list of CreditProduct
    outcomes : DataFrame, optional
        Past repayments (``OUTCOME_COLUMNS``); enough of them switch readiness to the
        trained model.
    params : MatchParams
    progress : callable, optional
        Called as ``progress(stage, fraction)`` after each stage, fraction in (0, 1].
    previous : dict, optional
        ``MatchResult.state`` of the previous run (archetype centroids and codes), so that
        archetype codes stay stable between runs.

    Returns
    -------
    MatchResult
        Tables ordered by producer_id / group_id; ``state`` is the next run's ``previous``.
    """
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def done(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = now - clock[0]
        clock[0] = now
        if progress is not None:
            progress(stage, (STAGES.index(stage) + 1) / len(STAGES))

    # a fixed row order: the result does not depend on how the caller ordered producers
    producers = producers.sort_values("producer_id", kind="stable", ignore_index=True)
    pid = producers["producer_id"].to_numpy()

    elig = eligibility(producers, params)
    eligible = elig["eligible"].to_numpy(dtype=bool)
    done("eligibility")

    prev_profile = None
    if previous is not None and len(previous.get("archetypes", ())):
        prev_profile = pd.DataFrame(previous["archetypes"])  # records or a DataFrame
    labels, model, profiles = archetypes.classify(producers, params, previous=prev_profile)
    archetype = _align(labels, pid).astype(object)
    done("archetypes")

    # A producer whose expected income cannot carry any instalment (yield unknown, say) is
    # not credit-ready: they are kept out of groups, with the reason, rather than joining a
    # group with a request of 0 that no product's minimum ticket accepts.
    requested = np.zeros(len(producers), dtype=np.int64)
    requested[eligible] = size_requests(producers[eligible], products, params)
    no_income = eligible & (requested <= 0)
    reasons = elig["reasons"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(no_income):
        reasons[i] = (*reasons[i], NO_INCOME)
    eligible = eligible & ~no_income
    done("affordability")

    # groups never mix archetypes (nor cooperatives: form_groups' buckets)
    elig_producers = (
        producers[eligible].reset_index(drop=True).assign(archetype=archetype[eligible])
    )
    gid_series = groups.form_groups(elig_producers, params)
    gid_elig = _align(gid_series, elig_producers["producer_id"].to_numpy()).astype(np.int64)
    group_id = np.full(len(producers), -1, dtype=np.int64)
    group_id[eligible] = gid_elig
    done("groups")

    # everyone is scored: past borrowers who are no longer eligible still train the model
    scored, model_info = readiness.score(producers, outcomes, params)
    scored = scored.set_index("producer_id").reindex(pid)
    ready = scored["readiness"].to_numpy(dtype=float)
    explanation = scored["explanation"].to_numpy(dtype=object)
    done("readiness")

    grouped = gid_elig >= 0
    table = groups.group_table(
        elig_producers, pd.Series(gid_elig, index=elig_producers["producer_id"].to_numpy())
    )
    members = pd.DataFrame(
        {
            "group_id": gid_elig[grouped],
            "readiness": ready[eligible][grouped],
            "requested_minor": requested[eligible][grouped],
            # coverage is decided per member, where each one lives
            "district_code": elig_producers["district_code"].to_numpy()[grouped],
            "lat": elig_producers["lat"].to_numpy(dtype=float)[grouped],
            "lon": elig_producers["lon"].to_numpy(dtype=float)[grouped],
        }
    )
    agg = (
        members[["group_id", "readiness", "requested_minor"]]
        .groupby("group_id", sort=True)
        .agg(
            readiness_mean=("readiness", "mean"),
            readiness_min=("readiness", "min"),
            requested_minor=("requested_minor", "sum"),
        )
    )
    table = table.drop(columns=[c for c in agg.columns if c in table.columns])
    table = table.merge(agg, left_on="group_id", right_index=True, how="left")
    table = table.sort_values("group_id", ignore_index=True)
    done("group_table")

    pairs = allocation.feasible_pairs(table, products, members)
    solver: dict = {**allocation.EMPTY_FIGURES}
    matches = allocation.allocate(
        pairs,
        products,
        accept_gap=params.allocation_accept_gap,
        node_limit=params.allocation_node_limit,
        mip_rel_gap=params.allocation_gap,
        info=solver,
    )
    # a member of an allocated group whom the chosen product does not cover is not financed
    outside = np.zeros(len(producers), dtype=bool)
    outside[np.flatnonzero(eligible)[grouped]] = allocation.outside_coverage(
        members, matches, products
    )
    for i in np.flatnonzero(outside):
        reasons[i] = (*reasons[i], OUTSIDE_COVERAGE)
    chosen = matches[matches["rank"] == 0]
    financed = np.isin(group_id, chosen["group_id"].to_numpy()) & (group_id >= 0) & ~outside
    done("allocation")

    out = pd.DataFrame(
        {
            "producer_id": pid,
            "eligible": eligible,
            "reasons": reasons,
            "archetype": archetype,
            "group_id": group_id,
            "readiness": ready,
            "explanation": explanation,
            "requested_minor": requested,
            "financed": financed,
        }
    )
    metrics = _metrics(out, producers, table, chosen, products, model, model_info)
    metrics["seconds"] = timings
    metrics["n_pairs"] = len(pairs)
    metrics["allocation"] = solver
    return MatchResult(
        producers=out,
        archetypes=profiles,
        groups=table,
        matches=matches,
        metrics=metrics,
        state=_state(profiles, model, producers, params),
    )


def _align(values, pid: np.ndarray) -> np.ndarray:
    """Values in the order of `pid` (a Series indexed by producer_id, or positional)."""
    if isinstance(values, pd.Series) and values.index.name == "producer_id":
        return values.reindex(pid).to_numpy()
    return np.asarray(values)


def _state(profiles: pd.DataFrame, model, producers: pd.DataFrame, params: MatchParams) -> dict:
    """What the next run needs as `previous` (archetype codes and centroids), and what
    classifying producers who join before it needs (``archetypes.assign``); plain JSON."""
    centre = [c for c in profiles.columns if c.startswith("center_")]
    if "archetype" not in profiles.columns or not centre:
        return {"archetypes": [], "classifier": {}}
    table = profiles[["archetype", *centre]].dropna(subset=centre)
    fit_rows = producers[producers["productive_ha"] >= params.min_productive_ha]
    return {
        "archetypes": table.to_dict(orient="records"),
        "classifier": archetypes.classifier_state(model, fit_rows),
    }


def _metrics(out, producers, table, chosen, products, model, model_info) -> dict:
    """Run figures: counts, typology, readiness model, budget use and fairness rates."""
    eligible = out["eligible"].to_numpy()
    matched_groups = set(chosen["group_id"].tolist())
    in_matched = out["financed"]
    used = chosen.groupby("product_id")["amount_minor"].sum()
    elig_matched = in_matched[eligible].astype(float)
    typology = model.named_steps["typology"] if model is not None else None
    return {
        "n_producers": len(out),
        "n_eligible": int(eligible.sum()),
        "k": int(typology.n_clusters_) if typology is not None else 0,
        "silhouette": _float(typology.silhouette_) if typology is not None else None,
        **_typology_metrics(typology),
        "n_types": int(out["archetype"][out["archetype"] != SUBSISTENCE].nunique()),
        "model_kind": model_info.get("kind"),
        "model_version": model_info.get("version"),
        "auc": _float(model_info.get("auc")),
        "brier": _float(model_info.get("brier")),
        "n_groups": len(table),
        "matched_groups": len(matched_groups),
        "producers_financed": int(in_matched.sum()),
        # members of allocated groups left out: the chosen product does not cover them
        "outside_coverage": int(
            sum(OUTSIDE_COVERAGE in r for r in out["reasons"][out["group_id"] >= 0])
        ),
        **_group_purity(out, producers),
        "budget_used": {
            p.product_id: {"used": int(used.get(p.product_id, 0)), "budget": int(p.budget_minor)}
            for p in products
        },
        "match_rate": float(elig_matched.mean()) if len(elig_matched) else 0.0,
        "match_rate_by_gender": _match_rate(elig_matched, producers["gender"][eligible]),
        "match_rate_by_archetype": _match_rate(elig_matched, out["archetype"][eligible]),
        "readiness_reason": model_info.get("reason"),
        "readiness_validation": model_info.get("validation"),
        "fairness": _funnel(out, producers, in_matched.to_numpy()),
    }


def _typology_metrics(typology) -> dict:
    """The silhouette curve (k -> silhouette), the reference on shuffled features, whether
    the typology was clear enough to use, and the thresholds it was held to."""
    if typology is None:
        return {}
    return {
        "silhouettes": {str(k): _float(v) for k, v in typology.silhouettes_.items()},
        "silhouette_reference": _float(typology.reference_silhouette_),
        "typology_clear": bool(typology.clear_),
        "typology_min_silhouette": float(typology.min_silhouette),
        "typology_min_gain": float(typology.min_gain),
    }


def _funnel(out, producers, matched) -> list[dict]:
    """Fairness at the pipeline's stages: eligible of all, grouped of eligible, matched of
    grouped (the application adds approved and repaid from loans)."""
    everyone = np.ones(len(out), dtype=bool)
    eligible = out["eligible"].to_numpy(dtype=bool)
    grouped = out["group_id"].to_numpy() >= 0
    stages = [
        ("eligible", eligible, everyone),
        ("grouped", grouped, eligible),
        ("matched", matched & grouped, grouped),
    ]
    return fairness.stage_table(producers["gender"], producers["productive_ha"], stages)


def _group_purity(out: pd.DataFrame, producers: pd.DataFrame) -> dict[str, float]:
    """Share of groups whose members are of one archetype, and of one cooperative (or none)."""
    grouped = out["group_id"].to_numpy() >= 0
    if not grouped.any():
        return {"groups_one_archetype": 1.0, "groups_one_cooperative": 1.0}
    frame = pd.DataFrame({"g": out["group_id"].to_numpy()[grouped]})
    frame["a"] = out["archetype"].to_numpy()[grouped]
    if "cooperative_id" in producers.columns:
        coop = pd.to_numeric(producers["cooperative_id"], errors="coerce").fillna(-1)
        frame["c"] = coop.where(coop >= 0, -1).to_numpy()[grouped]  # any negative: none
    else:
        frame["c"] = -1
    distinct = frame.groupby("g").nunique()
    return {
        "groups_one_archetype": float((distinct["a"] == 1).mean()),
        "groups_one_cooperative": float((distinct["c"] == 1).mean()),
    }


def _float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
