"""Allocation: which credit group goes to which credit product.

Feasible (group, product) pairs come from coverage, value chain, ticket size, minimum
readiness and the offtake requirement. The allocation maximises financed producers weighted
by readiness (score = size x readiness_mean) under each product's budget, each group to at
most one product, as a binary program solved by scipy.optimize.milp (HiGHS). The solution is
checked against every constraint after solving; a violation raises.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.types import CreditProduct

EARTH_RADIUS_KM = 6371.0088
MAX_ALTERNATIVES = 3
PAIR_COLUMNS = ["group_id", "product_id", "score", "amount_minor"]
MATCH_COLUMNS = ["group_id", "product_id", "rank", "score", "amount_minor"]


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
    pledged = groups["pledged_share"].to_numpy(dtype=float)
    score = groups["size"].to_numpy(dtype=float) * groups["readiness_mean"].to_numpy(dtype=float)

    parts = []
    for product in products:
        ok = has_members & np.isin(chain, list(product.value_chains))
        ok &= readiness_min >= product.min_readiness
        ok &= req_min >= product.min_amount_minor
        if product.requires_offtake:
            ok &= pledged > 0
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
    """Greedy baseline: pairs by score (then smaller amount), take while budget lasts."""
    budget = {p.product_id: int(p.budget_minor) for p in products}
    order = np.lexsort(
        (
            pairs["product_id"].to_numpy(),
            pairs["amount_minor"].to_numpy(),
            -pairs["score"].to_numpy(),
        )
    )
    chosen = np.zeros(len(pairs), dtype=bool)
    taken: set[int] = set()
    g = pairs["group_id"].to_numpy()
    p = pairs["product_id"].to_numpy()
    a = pairs["amount_minor"].to_numpy()
    for i in order:  # bounded by the number of pairs (groups x products), not producers
        if g[i] in taken or a[i] > budget.get(p[i], 0):
            continue
        budget[p[i]] -= int(a[i])
        taken.add(int(g[i]))
        chosen[i] = True
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


def solve(
    pairs: pd.DataFrame,
    products: Sequence[CreditProduct],
    time_limit: float = 20.0,
    mip_rel_gap: float = 1e-3,
) -> tuple[np.ndarray, dict]:
    """Boolean mask over `pairs` of the chosen pairs (verified), and the solver's figures."""
    n = len(pairs)
    info = {"status": "no pairs", "gap": 0.0, "objective": 0.0, "greedy_objective": 0.0}
    if n == 0:
        return np.zeros(0, dtype=bool), info
    budgets = {p.product_id: int(p.budget_minor) for p in products}
    pid = pairs["product_id"].to_numpy()
    amount = pairs["amount_minor"].to_numpy(dtype=np.int64)
    budget_of = np.array([budgets.get(int(x), 0) for x in np.unique(pid)], dtype=np.int64)
    p_codes = np.unique(pid, return_inverse=True)[1]
    fits = amount <= budget_of[p_codes]
    chosen = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(fits)
    if len(idx):
        g_codes = np.unique(pairs["group_id"].to_numpy()[idx], return_inverse=True)[1]
        pc = p_codes[idx]
        cols = np.arange(len(idx))
        a_budget = sparse.csr_array(
            (amount[idx].astype(float), (pc, cols)), shape=(len(budget_of), len(idx))
        )
        a_group = sparse.csr_array(
            (np.ones(len(idx)), (g_codes, cols)), shape=(int(g_codes.max()) + 1, len(idx))
        )
        res = milp(
            c=-pairs["score"].to_numpy(dtype=float)[idx],
            integrality=np.ones(len(idx)),
            bounds=Bounds(0, 1),
            constraints=[
                LinearConstraint(a_budget, -np.inf, budget_of.astype(float)),
                LinearConstraint(a_group, -np.inf, 1.0),
            ],
            options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap, "presolve": True},
        )
        if res.x is not None:
            chosen[idx] = res.x > 0.5
        info["status"] = res.message
        info["gap"] = _float_or_none(getattr(res, "mip_gap", None))
    verify(pairs, chosen, products)
    # never worse than the greedy baseline (matters only if HiGHS stopped on its time limit)
    base = greedy(pairs, products)
    score = pairs["score"].to_numpy(dtype=float)
    info["greedy_objective"] = float(score[base].sum())
    if score[base].sum() > score[chosen].sum() + 1e-9:
        verify(pairs, base, products)
        chosen = base
        info["status"] += " (greedy baseline kept)"
    info["objective"] = float(score[chosen].sum())
    return chosen, info


def _float_or_none(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def allocate(
    pairs: pd.DataFrame,
    products: Sequence[CreditProduct],
    time_limit: float = 20.0,
    mip_rel_gap: float = 1e-3,
    info: dict | None = None,
) -> pd.DataFrame:
    """Chosen pairs (rank 0) and up to 3 ranked alternatives per group (rank 1..3).

    The solver's figures (status, gap, objective, greedy objective) go into `info` if given.
    """
    if len(pairs) == 0:
        return _empty_matches()
    pairs = pairs.reset_index(drop=True)
    chosen, figures = solve(pairs, products, time_limit=time_limit, mip_rel_gap=mip_rel_gap)
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
