"""Allocation: which credit group goes to which credit product.

Feasible (group, product) pairs come from coverage, value chain, ticket size, minimum
readiness and the offtake requirement. The allocation maximises financed producers weighted
by readiness (score = size x readiness_mean) under each product's budget, each group to at
most one product. It is decided the same way on any machine: the LP relaxation (HiGHS) gives
an upper bound on every allocation; its solution rounded and filled is kept when within 0.5 %
of the bound, otherwise a MILP on the reduced-cost core decides, stopped by a node count,
never by a clock. The greedy by score per amount is the fallback. The answer is checked
against every constraint; a violation raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matching import repayment
from matching.types import CreditProduct

EARTH_RADIUS_KM = 6371.0088
MAX_ALTERNATIVES = 3
PAIR_COLUMNS = ["group_id", "product_id", "score", "amount_minor"]
MATCH_COLUMNS = ["group_id", "product_id", "rank", "score", "amount_minor"]
# the rounded LP solution is kept when within this share of the LP bound
ACCEPT_GAP = 0.005
# branch-and-bound nodes of the core MILP: a count, never a time, so any machine agrees
NODE_LIMIT = 1_000
INTEGRAL_TOL = 1e-6
EMPTY_FIGURES = {
    "status": "no_pairs",
    "objective": 0.0,
    "bound": 0.0,
    "gap": 0.0,
    "greedy_objective": 0.0,
}


class AllocationError(RuntimeError):
    """The solver's answer violates a constraint (never expected; raised, not hidden)."""


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group_id": pd.Series(dtype="int64"),
            "product_id": pd.Series(dtype="int64"),
            "score": pd.Series(dtype="float64"),
            "amount_minor": pd.Series(dtype="int64"),
        }
    )


def _empty_matches() -> pd.DataFrame:
    out = _empty_pairs()
    out.insert(2, "rank", pd.Series(dtype="int64"))
    return out[MATCH_COLUMNS]


def covers(groups: pd.DataFrame, product: CreditProduct) -> np.ndarray:
    """Boolean mask: the product covers each group (district listed or a branch in radius)."""
    mask = groups["district_code"].isin(product.districts).to_numpy().copy()
    if product.branches and product.radius_km > 0:
        lat = groups["lat"].to_numpy(dtype=float)
        lon = groups["lon"].to_numpy(dtype=float)
        for b_lat, b_lon in product.branches:
            mask |= haversine_km(lat, lon, b_lat, b_lon) <= product.radius_km
    return mask


def feasible_pairs(
    groups: pd.DataFrame,
    products: Sequence[CreditProduct],
    producers_req: pd.DataFrame,
) -> pd.DataFrame:
    """Feasible (group, product) pairs with score and amount.

    Parameters
    ----------
    groups : DataFrame
        One row per group: group_id, value_chain, district_code, lat, lon, size,
        readiness_mean, readiness_min, pledged_share.
    products : sequence of CreditProduct
    producers_req : DataFrame
        One row per grouped producer: group_id, requested_minor.

    Returns
    -------
    DataFrame
        group_id, product_id, score (size x readiness_mean), amount_minor (sum of the
        members' requests clipped to the product's max amount).
    """
    if len(groups) == 0 or not products:
        return _empty_pairs()
    gids = groups["group_id"].to_numpy(dtype=np.int64)
    order = np.argsort(gids, kind="stable")
    sorted_gids = gids[order]
    members = producers_req[producers_req["group_id"].isin(gids)]
    pos = order[np.searchsorted(sorted_gids, members["group_id"].to_numpy(dtype=np.int64))]
    req = members["requested_minor"].to_numpy(dtype=np.int64)
    n = len(groups)
    req_min = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    if len(req):
        srt = np.lexsort((req, pos))
        first = np.ones(len(srt), dtype=bool)
        first[1:] = pos[srt][1:] != pos[srt][:-1]
        req_min[pos[srt][first]] = req[srt][first]
    has_members = np.bincount(pos, minlength=n) > 0

    chain = groups["value_chain"].to_numpy()
    readiness_min = groups["readiness_min"].to_numpy(dtype=float)
    score = groups["size"].to_numpy(dtype=float) * groups["readiness_mean"].to_numpy(dtype=float)

    parts = []
    for product in products:
        ok = has_members & np.isin(chain, list(product.value_chains))
        ok &= readiness_min >= product.min_readiness
        ok &= req_min >= product.min_amount_minor
        if product.requires_offtake:
            ok &= repayment.pledges_cover(groups, product, producers_req)
        if not ok.any():
            continue
        ok &= covers(groups, product)
        if not ok.any():
            continue
        clipped = np.minimum(req, product.max_amount_minor)
        amount = np.bincount(pos, weights=clipped, minlength=n)
        ok &= amount > 0
        idx = np.flatnonzero(ok)
        parts.append(
            pd.DataFrame(
                {
                    "group_id": gids[idx],
                    "product_id": np.full(len(idx), product.product_id, dtype=np.int64),
                    "score": score[idx],
                    "amount_minor": np.rint(amount[idx]).astype(np.int64),
                }
            )
        )
    if not parts:
        return _empty_pairs()
    return pd.concat(parts, ignore_index=True).sort_values(
        ["group_id", "product_id"], ignore_index=True
    )


def greedy(pairs: pd.DataFrame, products: Sequence[CreditProduct]) -> np.ndarray:
    """Greedy baseline: pairs by score per amount (then larger score), take while budget lasts."""
    problem = _Problem.of(pairs, products)
    chosen = np.zeros(len(pairs), dtype=bool)
    chosen[problem.idx] = _take_in_order(problem, _by_ratio(problem, np.zeros(problem.n)))
    return chosen


def verify(pairs: pd.DataFrame, chosen: np.ndarray, products: Sequence[CreditProduct]) -> None:
    """Raise AllocationError unless the chosen pairs respect budgets and one product a group."""
    sel = pairs[chosen]
    if sel["group_id"].duplicated().any():
        raise AllocationError("a group was allocated to more than one product")
    budgets = {p.product_id: int(p.budget_minor) for p in products}
    used = sel.groupby("product_id")["amount_minor"].sum()
    for pid, amount in used.items():
        if pid not in budgets:
            raise AllocationError(f"unknown product {pid}")
        if int(amount) > budgets[pid]:
            raise AllocationError(f"product {pid}: {int(amount)} exceeds budget {budgets[pid]}")


@dataclass(frozen=True)
class _Problem:
    """The pairs that fit their product's budget, as arrays in the pairs' fixed order."""

    idx: np.ndarray  # positions in `pairs`
    score: np.ndarray
    amount: np.ndarray  # int64
    g_codes: np.ndarray  # group of each pair, 0..n_groups-1
    p_codes: np.ndarray  # product of each pair, 0..n_products-1
    budget: np.ndarray  # int64, per product code

    @property
    def n(self) -> int:
        return len(self.idx)

    @classmethod
    def of(cls, pairs: pd.DataFrame, products: Sequence[CreditProduct]) -> _Problem:
        budgets = {p.product_id: int(p.budget_minor) for p in products}
        product_ids, p_codes = np.unique(pairs["product_id"].to_numpy(), return_inverse=True)
        budget = np.array([budgets.get(int(x), 0) for x in product_ids], dtype=np.int64)
        amount = pairs["amount_minor"].to_numpy(dtype=np.int64)
        idx = np.flatnonzero(amount <= budget[p_codes])
        g_codes = np.unique(pairs["group_id"].to_numpy()[idx], return_inverse=True)[1]
        return cls(
            idx=idx,
            score=pairs["score"].to_numpy(dtype=float)[idx],
            amount=amount[idx],
            g_codes=g_codes.astype(np.int64),
            p_codes=p_codes[idx].astype(np.int64),
            budget=budget,
        )

    def matrices(self) -> tuple[sparse.csr_array, sparse.csr_array]:
        """Budget rows (amounts) and group rows (ones), one column per pair."""
        cols = np.arange(self.n)
        a_budget = sparse.csr_array(
            (self.amount.astype(float), (self.p_codes, cols)), shape=(len(self.budget), self.n)
        )
        n_groups = int(self.g_codes.max()) + 1 if self.n else 0
        a_group = sparse.csr_array(
            (np.ones(self.n), (self.g_codes, cols)), shape=(n_groups, self.n)
        )
        return a_budget, a_group


def _by_ratio(problem: _Problem, tier: np.ndarray) -> np.ndarray:
    """Pair order: lower tier first, then score per amount, larger score, group, product."""
    ratio = problem.score / np.maximum(problem.amount, 1)
    return np.lexsort((problem.p_codes, problem.g_codes, -problem.score, -ratio, tier))


def _take_in_order(problem: _Problem, order: np.ndarray) -> np.ndarray:
    """Take pairs in `order` while their product's budget lasts and their group is free."""
    left = problem.budget.copy()
    taken = np.zeros(int(problem.g_codes.max()) + 1 if problem.n else 0, dtype=bool)
    chosen = np.zeros(problem.n, dtype=bool)
    g, p, a = problem.g_codes, problem.p_codes, problem.amount
    for i in order.tolist():  # bounded by the number of pairs, not producers
        if taken[g[i]] or a[i] > left[p[i]]:
            continue
        left[p[i]] -= a[i]
        taken[g[i]] = True
        chosen[i] = True
    return chosen


@dataclass(frozen=True)
class _Relaxation:
    """The LP relaxation's optimum (the bound), its solution and reduced costs."""

    bound: float
    x: np.ndarray
    reduced_cost: np.ndarray  # of the maximisation: > 0 at 1, < 0 at 0, 0 when basic


def _relax(problem: _Problem) -> _Relaxation | None:
    """Solve the LP relaxation with HiGHS (dual simplex: exact, deterministic); None if not
    solved to optimality."""
    a_budget, a_group = problem.matrices()
    res = linprog(
        c=-problem.score,
        A_ub=sparse.vstack([a_budget, a_group], format="csr"),
        b_ub=np.concatenate([problem.budget.astype(float), np.ones(a_group.shape[0])]),
        bounds=(0, 1),
        method="highs-ds",
    )
    if res.status != 0:
        return None
    reduced = -(np.asarray(res.lower.marginals) + np.asarray(res.upper.marginals))
    return _Relaxation(bound=-float(res.fun), x=np.clip(res.x, 0.0, 1.0), reduced_cost=reduced)


def round_and_fill(problem: _Problem, lp: _Relaxation) -> np.ndarray:
    """Pairs at 1 in the LP, then its fractional ones, then any other pair; within each tier
    by score per amount, taken while budgets and one product per group hold."""
    tier = np.where(lp.x >= 1 - INTEGRAL_TOL, 0, np.where(lp.x > INTEGRAL_TOL, 1, 2))
    return _take_in_order(problem, _by_ratio(problem, tier))


def _core_milp(
    problem: _Problem, lp: _Relaxation, incumbent: np.ndarray, node_limit: int, mip_rel_gap: float
) -> tuple[np.ndarray, dict]:
    """The MILP on the reduced-cost core, the other pairs fixed at their LP value.

    A pair whose reduced cost exceeds the bound minus the incumbent's objective takes its LP
    value in every solution better than the incumbent (reduced-cost fixing), so the core is
    the pairs within that distance of 0, plus the LP's fractional ones: solved to the end,
    the core MILP is the optimum. HiGHS stops on a node limit, never on time: the answer is
    the same on any machine.
    """
    slack = lp.bound - float(problem.score[incumbent].sum())
    fractional = (lp.x > INTEGRAL_TOL) & (lp.x < 1 - INTEGRAL_TOL)
    core = fractional | (np.abs(lp.reduced_cost) <= slack + INTEGRAL_TOL)
    fixed = (lp.x >= 1 - INTEGRAL_TOL) & ~core
    left = problem.budget - np.bincount(
        problem.p_codes[fixed], weights=problem.amount[fixed], minlength=len(problem.budget)
    ).astype(np.int64)
    busy = np.zeros(int(problem.g_codes.max()) + 1, dtype=bool)
    busy[problem.g_codes[fixed]] = True
    free = np.flatnonzero(core & ~busy[problem.g_codes] & (problem.amount <= left[problem.p_codes]))
    figures = {"core_pairs": int(len(free)), "nodes": 0}
    chosen = fixed.copy()
    if len(free) == 0:
        return chosen, figures
    sub = _Problem(
        idx=free,
        score=problem.score[free],
        amount=problem.amount[free],
        g_codes=np.unique(problem.g_codes[free], return_inverse=True)[1].astype(np.int64),
        p_codes=problem.p_codes[free],
        budget=left,
    )
    a_budget, a_group = sub.matrices()
    res = milp(
        c=-sub.score,
        integrality=np.ones(sub.n),
        bounds=Bounds(0, 1),
        constraints=[
            LinearConstraint(a_budget, -np.inf, left.astype(float)),
            LinearConstraint(a_group, -np.inf, 1.0),
        ],
        options={"node_limit": node_limit, "mip_rel_gap": mip_rel_gap, "presolve": True},
    )
    figures["nodes"] = int(getattr(res, "mip_node_count", 0) or 0)
    if res.x is not None:
        chosen[free] = res.x > 0.5
    return chosen, figures


def solve(
    pairs: pd.DataFrame,
    products: Sequence[CreditProduct],
    accept_gap: float = ACCEPT_GAP,
    node_limit: int = NODE_LIMIT,
    mip_rel_gap: float = 1e-3,
) -> tuple[np.ndarray, dict]:
    """Boolean mask over `pairs` of the chosen pairs (verified), and the solver's figures.

    The LP relaxation's optimum bounds every allocation from above. Its rounded-and-filled
    solution is kept when within `accept_gap` of that bound ("lp_rounding"); otherwise the
    MILP on the reduced-cost core decides ("core_milp"); the greedy by score per amount is
    the fallback ("greedy") and is never beaten by what is kept. Figures: status, objective,
    bound, gap (share of the bound the allocation falls short of), greedy_objective.
    """
    info = {**EMPTY_FIGURES}
    if len(pairs) == 0:
        return np.zeros(0, dtype=bool), info
    problem = _Problem.of(pairs, products)
    if problem.n == 0:  # no pair fits its product's budget: nothing can be financed
        best, status, bound = np.zeros(0, dtype=bool), "no_pairs", 0.0
    else:
        best, status, bound = _certified(problem, accept_gap, node_limit, mip_rel_gap, info)
    base = _take_in_order(problem, _by_ratio(problem, np.zeros(problem.n)))
    greedy_objective = float(problem.score[base].sum())
    if greedy_objective > problem.score[best].sum() + 1e-9:
        best, status = base, "greedy"
    chosen = np.zeros(len(pairs), dtype=bool)
    chosen[problem.idx] = best
    verify(pairs, chosen, products)
    objective = float(problem.score[best].sum())
    info.update(
        status=status,
        objective=objective,
        bound=bound,
        gap=_gap(objective, bound),
        greedy_objective=greedy_objective,
    )
    return chosen, info


def _certified(
    problem: _Problem, accept_gap: float, node_limit: int, mip_rel_gap: float, info: dict
) -> tuple[np.ndarray, str, float | None]:
    """The LP path: chosen pairs, status and bound (None, nothing chosen, if the LP failed)."""
    lp = _relax(problem)
    if lp is None:
        return np.zeros(problem.n, dtype=bool), "greedy", None
    best, status = round_and_fill(problem, lp), "lp_rounding"
    if problem.score[best].sum() < (1 - accept_gap) * lp.bound:
        core, figures = _core_milp(problem, lp, best, node_limit, mip_rel_gap)
        info.update(figures)
        if _is_feasible(problem, core) and _not_worse(problem, core, best):
            best, status = core, "core_milp"
    return best, status, lp.bound


def _is_feasible(problem: _Problem, chosen: np.ndarray) -> bool:
    used = np.bincount(
        problem.p_codes[chosen], weights=problem.amount[chosen], minlength=len(problem.budget)
    )
    groups_once = len(np.unique(problem.g_codes[chosen])) == int(chosen.sum())
    return bool(groups_once and (used <= problem.budget).all())


def _not_worse(problem: _Problem, a: np.ndarray, b: np.ndarray) -> bool:
    return bool(problem.score[a].sum() >= problem.score[b].sum() - 1e-9)


def _gap(objective: float, bound: float | None) -> float | None:
    """Share of the bound the objective falls short of (0 when the bound is 0)."""
    if bound is None:
        return None
    return max(0.0, (bound - objective) / bound) if bound > 0 else 0.0


def allocate(
    pairs: pd.DataFrame,
    products: Sequence[CreditProduct],
    accept_gap: float = ACCEPT_GAP,
    node_limit: int = NODE_LIMIT,
    mip_rel_gap: float = 1e-3,
    info: dict | None = None,
) -> pd.DataFrame:
    """Chosen pairs (rank 0) and up to 3 ranked alternatives per group (rank 1..3).

    The solver's figures (status, objective, bound, gap, greedy objective) go into `info`.
    """
    if len(pairs) == 0:
        return _empty_matches()
    pairs = pairs.reset_index(drop=True)
    chosen, figures = solve(
        pairs, products, accept_gap=accept_gap, node_limit=node_limit, mip_rel_gap=mip_rel_gap
    )
    if info is not None:
        info.update(figures)
    top = pairs[chosen].assign(rank=0)
    alt = pairs[~chosen].sort_values(
        ["group_id", "score", "amount_minor", "product_id"],
        ascending=[True, False, False, True],
    )
    alt = alt.assign(rank=alt.groupby("group_id").cumcount() + 1)
    alt = alt[alt["rank"] <= MAX_ALTERNATIVES]
    out = pd.concat([top, alt], ignore_index=True)[MATCH_COLUMNS]
    out["rank"] = out["rank"].astype(np.int64)
    return out.sort_values(["group_id", "rank"], ignore_index=True)
