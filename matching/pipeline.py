"""The matching run: eligibility -> archetypes -> affordability -> groups -> readiness ->
group table -> allocation -> repayment (each member under her group's product), with a
progress callback and figures for the run's history.

`run` is the library's single entry point. It takes plain DataFrames and CreditProduct
records and returns a MatchResult of plain tables; it never touches a database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from matching import allocation, archetypes, fairness, groups, readiness, repayment
from matching.eligibility import NO_INCOME, OUTSIDE_COVERAGE, eligibility
from matching.features import INPUTS
from matching.types import SUBSISTENCE, CreditProduct, MatchParams, MatchResult

STAGES: tuple[str, ...] = (
    "eligibility",
    "archetypes",
    "affordability",
    "groups",
    "readiness",
    "group_table",
    "allocation",
    "repayment",
)
# rate and term used to size requests where no product serves the producer's value chain
DEFAULT_ANNUAL_RATE = 0.25
DEFAULT_TERM_MONTHS = 12

Progress = Callable[[str, float], None]


def likely_products(
    producers: pd.DataFrame, products: Sequence[CreditProduct], params: MatchParams
) -> tuple[np.ndarray, np.ndarray]:
    """Per producer, the position in `products` of the product most likely to serve her (-1:
    none serves her value chain), and whether products cover her but her income carries none
    of their minimum tickets.

    The likeliest is, among products with budget serving her chain and covering her district
    (listed, or a branch within its radius of the district's producers' mean position), the
    one with the largest budget (the most room to take her group) under whose schedule her
    income carries at least its minimum ticket; else the largest covering one; where none
    covers her district, the cheapest serving her chain. A product that requires offtake is a
    candidate only for a producer who pledges (it can finance no one else)."""
    n = len(producers)
    lending = [(i, p) for i, p in enumerate(products) if p.budget_minor > 0]
    if n == 0 or not lending:
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool)
    # coverage once per distinct (value chain, district, pledges), spread to the producers
    chain, chains = pd.factorize(producers["value_chain"])
    district, districts = pd.factorize(producers["district_code"])
    pledges = np.nan_to_num(producers["pledged_kg"].to_numpy(dtype=float)) > 0
    key = (chain.astype(np.int64) * len(districts) + district) * 2 + pledges
    combo, uniq = pd.factorize(key)
    uniq, n_combo = uniq // 2, len(uniq)
    pledging = np.bincount(combo, weights=pledges, minlength=n_combo) > 0
    lat = np.bincount(combo, producers["lat"].to_numpy(float), n_combo)
    lon = np.bincount(combo, producers["lon"].to_numpy(float), n_combo)
    count = np.bincount(combo, minlength=n_combo)
    place = pd.DataFrame({
        "value_chain": chains[uniq // len(districts)],
        "district_code": districts[uniq % len(districts)],
        "lat": lat / count, "lon": lon / count,
    })  # fmt: skip
    chain_of = repayment.Coded(chain, np.asarray(chains, dtype=object))
    need = _need(producers, chain_of, params)
    income = repayment.annual_income(producers, params, chain_of)
    # later writes win: the cheapest by chain, the covering product of largest budget, and
    # the carrying one of largest budget; the first two are decided per place, then spread
    by_rate = sorted(lending, key=lambda ip: (-ip[1].annual_rate, -ip[1].product_id))
    by_budget = sorted(lending, key=lambda ip: (ip[1].budget_minor, -ip[1].product_id))
    chain_of_place = place["value_chain"].to_numpy()

    def serving(p: CreditProduct) -> np.ndarray:  # per place: the product serves its chain
        fits = np.isin(chain_of_place, list(p.value_chains))
        return fits & pledging if p.requires_offtake else fits

    cheapest = np.full(n_combo, -1, dtype=np.int64)
    for i, p in by_rate:
        cheapest[serving(p)] = i
    covering = np.full(n_combo, -1, dtype=np.int64)
    carrying = np.full(n, -1, dtype=np.int64)
    for i, p in by_budget:
        places = serving(p)
        if not places.any():
            continue
        places &= allocation.covers(place, p)
        covering[places] = i
        at = np.flatnonzero(places[combo])
        cap = np.fmin(need[at], repayment.afford_cap(p, chain_of[at], income[at], params))
        carrying[at[repayment.floor_minor(np.nan_to_num(cap)) >= max(p.min_amount_minor, 1)]] = i
    covered = covering[combo] >= 0
    which = np.where(carrying >= 0, carrying, np.where(covered, covering[combo], cheapest[combo]))
    return which, covered & (carrying < 0)


def _need(producers: pd.DataFrame, chains, params: MatchParams) -> np.ndarray:
    """What each producer needs for inputs: productive ha x input cost per ha."""
    ha = producers["productive_ha"].to_numpy(dtype=float).clip(min=0.0)
    return ha * repayment.by_chain(chains, lambda c: params.input_cost_per_ha.get(c, np.nan))


def size_requests(
    producers: pd.DataFrame, products: Sequence[CreditProduct], params: MatchParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Requested amount (minor units) per producer: the need for inputs, cut to what her
    income carries under the schedule of the product most likely to serve her
    (matching.repayment); that product's id (-1: the default terms); and whether products
    cover her but her income carries none of their minimum tickets."""
    out = np.zeros(len(producers), dtype=np.int64)
    sized_at = np.full(len(producers), -1, dtype=np.int64)
    if len(producers) == 0:
        return out, sized_at, np.zeros(0, dtype=bool)
    default = CreditProduct(0, 0, "", (), annual_rate=DEFAULT_ANNUAL_RATE,
                            term_months=DEFAULT_TERM_MONTHS)  # fmt: skip
    which, short = likely_products(producers, products, params)
    chains = repayment.Coded.of(producers["value_chain"])
    need = _need(producers, chains, params)
    income = repayment.annual_income(producers, params, chains)
    for i in np.unique(which):
        at = which == i
        product = products[i] if i >= 0 else default
        cap = repayment.afford_cap(product, chains[at], income[at], params)
        amount = np.fmin(need[at], cap)
        ok = np.isfinite(amount) & (amount > 0)
        out[np.flatnonzero(at)[ok]] = repayment.floor_minor(amount[ok]).astype(np.int64)
        sized_at[at] = product.product_id if i >= 0 else -1
    return out, sized_at, short


def _match_rate(matched: pd.Series, by: pd.Series) -> dict[str, float]:
    """Share of matched producers per value of `by` (only values present)."""
    if matched.empty:
        return {}
    rates = matched.groupby(by.to_numpy(), sort=True).mean()
    return {str(k): float(v) for k, v in rates.items()}


CODED_COLUMNS = ("gender", "country", "district_code", "value_chain", "cleared_after_cutoff")


def _coded(producers: pd.DataFrame) -> pd.DataFrame:
    """The text columns as categoricals: every stage compares, groups or factorizes them,
    and on a million rows of strings that cost more than the typology's k-means."""
    coded = {c: _categorical(producers[c]) for c in CODED_COLUMNS if c in producers}
    return producers.assign(**coded)


def _categorical(column: pd.Series):
    """The column as a categorical of its sorted values (``astype("category")``'s result),
    built from one factorisation of plain objects: 3x faster on pandas' text columns."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    codes, values = pd.factorize(column.to_numpy(dtype=object), sort=True)
    return pd.Categorical.from_codes(codes, categories=values)


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
    producers = _coded(producers.sort_values("producer_id", kind="stable", ignore_index=True))
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

    # A producer whose expected income cannot carry any instalment (yield unknown, say), or
    # not the minimum ticket of any product covering her, is not credit-ready: kept out of
    # groups, with the reason, rather than joining a group no product's minimum accepts.
    requested = np.zeros(len(producers), dtype=np.int64)
    sized_at = np.full(len(producers), -1, dtype=np.int64)
    short = np.zeros(len(producers), dtype=bool)
    sized = size_requests(producers[eligible], products, params)
    requested[eligible], sized_at[eligible], short[eligible] = sized
    no_income = eligible & (requested <= 0)
    # covered, but her income carries no covering product's minimum ticket: kept out too
    unaffordable = eligible & ~no_income & short
    reasons = elig["reasons"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(no_income):
        reasons[i] = (*reasons[i], NO_INCOME)
    for i in np.flatnonzero(unaffordable):
        reasons[i] = (*reasons[i], repayment.UNAFFORDABLE)
    eligible = eligible & ~no_income & ~unaffordable
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
    scored = scored.set_index("producer_id")
    ready = _align(scored["readiness"], pid).astype(float)
    explanation = _align(scored["explanation"], pid).astype(object)
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
    members = repayment.member_frame(elig_producers[grouped], members, params)
    agg = members.groupby("group_id", sort=True).agg(
        readiness_mean=("readiness", "mean"),
        readiness_min=("readiness", "min"),
        requested_minor=("requested_minor", "sum"),
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
    done("allocation")
    # each member of an allocated group under its product: covered (where she lives),
    # affordable (its schedule against her monthly income), pledges covering (offtake)
    outside = allocation.outside_coverage(members, matches, products)
    checked, matches = repayment.check_members(members, matches, products, params, outside)

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
            "sized_product_id": sized_at,
        }
    )
    out, figures = repayment.apply_to_producers(out, checked, table, matches, products)
    out["financed"] = out["financed_minor"].to_numpy() > 0
    done("repayment")
    chosen = matches[matches["rank"] == 0]
    metrics = _metrics(out, producers, table, chosen, products, model, model_info)
    metrics["seconds"] = timings
    metrics["n_pairs"] = len(pairs)
    metrics["allocation"] = solver
    metrics["repayment"] = figures
    # members kept out before grouping count with those the allocated product left out
    figures["unaffordable_before_groups"] = int(unaffordable.sum())
    figures["excluded"][repayment.UNAFFORDABLE] += int(unaffordable.sum())
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
        if np.array_equal(values.index.to_numpy(), pid):  # in order already: no lookup
            return values.to_numpy()
        return values.reindex(pid).to_numpy()
    return np.asarray(values)


def _state(profiles: pd.DataFrame, model, producers: pd.DataFrame, params: MatchParams) -> dict:
    """What the next run needs as `previous` (archetype codes and centroids), and what
    classifying producers who join before it needs (``archetypes.assign``); plain JSON."""
    centre = [c for c in profiles.columns if c.startswith("center_")]
    if "archetype" not in profiles.columns or not centre:
        return {"archetypes": [], "classifier": {}}
    table = profiles[["archetype", *centre]].dropna(subset=centre)
    fit_rows = producers.loc[producers["productive_ha"] >= params.min_productive_ha, INPUTS]
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
        # members of matched groups that the coverage and repayment checks kept
        "producers_financed": int(out["financed"].sum()),
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
