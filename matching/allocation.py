"""Allocation: which credit group goes to which credit product.

Feasible (group, product) pairs come from coverage (per member), value chain, targeted
archetypes, group size, ticket size, minimum readiness and the offtake requirement. The
allocation maximises financed producers weighted by readiness (score = the covered members'
readiness summed) under each product's budget, each group to at most one product. It is
decided the same way on any machine: the LP relaxation (HiGHS) gives an upper bound on every
allocation; its solution rounded and filled is kept when within 0.5 % of the bound,
otherwise a MILP on the reduced-cost core decides, stopped by a node count, never by a
clock. Large LPs are sifted: decided at estimated prices, the rest solved, the decisions
checked against the result's prices (see _sifted). The greedy by score per amount is the
fallback. The answer is checked against every constraint; a violation raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matching import repayment
from matching.codes import inverse_of, unique_inverse
from matching.types import CreditProduct, MatchParams

EARTH_RADIUS_KM = 6371.0088
# how an archetype code separates its type from the rest, and the traits of a type
ARCHETYPE_SEPARATOR = ":"
TRAIT_JOIN = "+"
MAX_ALTERNATIVES = 3
PAIR_COLUMNS = ["group_id", "product_id", "score", "amount_minor"]
MATCH_COLUMNS = ["group_id", "product_id", "rank", "score", "amount_minor"]
# the rounded LP solution is kept when within this share of the LP bound
ACCEPT_GAP = 0.005
# branch-and-bound nodes of the core MILP: a count, never a time, so any machine agrees
NODE_LIMIT = 1_000
INTEGRAL_TOL = 1e-6
# LPs of this many pairs or more are sifted: an LP on every SIFT_SAMPLE-th group prices the
# budgets, groups decided at those prices within SIFT_MARGIN of their score stay out of the
# LP (see _sifted); HiGHS's dual simplex grows much faster than linearly with the groups
SIFT_MIN_PAIRS = 50_000
SIFT_SAMPLE = 10
SIFT_MARGIN = 0.005
SIFT_ROUNDS = 8
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


# a great circle is at least as long as its latitude difference (R x the angle); the margin
# keeps a point on the boundary for the exact test whatever the rounding
_KM_PER_DEGREE_OF_LATITUDE = EARTH_RADIUS_KM * np.pi / 180 * (1 - 1e-9)


def within_km(lat: np.ndarray, lon: np.ndarray, b_lat: float, b_lon: float, radius_km: float):
    """``haversine_km(lat, lon, b_lat, b_lon) <= radius_km`` per point, the trigonometry
    computed only where the latitude difference alone does not already rule a point out
    (a branch's radius spans a small part of a country: most points are ruled out)."""
    near = np.abs(lat - b_lat) * _KM_PER_DEGREE_OF_LATITUDE <= radius_km
    at = np.flatnonzero(near)
    near[at] = haversine_km(lat[at], lon[at], b_lat, b_lon) <= radius_km
    return near


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


def covers(frame: pd.DataFrame, product: CreditProduct) -> np.ndarray:
    """Boolean mask: the product covers each row (its district listed, or within the radius
    of a branch); rows are producers, or anything with district_code, lat and lon."""
    mask = frame["district_code"].isin(product.districts).to_numpy().copy()
    if product.branches and product.radius_km > 0:
        lat = frame["lat"].to_numpy(dtype=float)
        lon = frame["lon"].to_numpy(dtype=float)
        for b_lat, b_lon in product.branches:
            mask |= within_km(lat, lon, b_lat, b_lon, product.radius_km)
    return mask


@dataclass(frozen=True)
class _Members:
    """Grouped producers as arrays: their group's position, district code, place, request
    and readiness (None where members carry none)."""

    pos: np.ndarray  # position of the member's group in the groups table
    district: np.ndarray  # codes into `districts`, -1 when missing
    districts: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    requested: np.ndarray  # int64
    readiness: np.ndarray | None

    @classmethod
    def of(cls, groups: pd.DataFrame, producers_req: pd.DataFrame) -> _Members:
        gids = groups["group_id"].to_numpy(dtype=np.int64)
        order = np.argsort(gids, kind="stable")
        members = producers_req[producers_req["group_id"].isin(gids)]
        pos = order[np.searchsorted(gids[order], members["group_id"].to_numpy(dtype=np.int64))]

        def column(name: str) -> np.ndarray:  # the member's own value, else their group's
            source = members[name] if name in members.columns else groups[name].iloc[pos]
            return source.to_numpy()

        district, districts = pd.factorize(pd.Series(column("district_code")))
        readiness = (
            members["readiness"].to_numpy(dtype=float) if "readiness" in members.columns else None
        )
        return cls(
            pos=pos,
            district=district,
            districts=np.asarray(districts, dtype=object),
            lat=column("lat").astype(float),
            lon=column("lon").astype(float),
            requested=members["requested_minor"].to_numpy(dtype=np.int64),
            readiness=readiness,
        )

    def covered(self, product: CreditProduct, idx: np.ndarray) -> np.ndarray:
        """Which of the members at `idx` the product covers (district listed or a branch in
        radius), decided per member: the same rule as ``covers``, on codes."""
        listed = np.append(np.isin(self.districts, list(product.districts)), False)
        mask = listed[self.district[idx]]  # code -1 (missing) reads the appended False
        if product.branches and product.radius_km > 0:
            lat, lon = self.lat[idx], self.lon[idx]
            for b_lat, b_lon in product.branches:
                mask |= within_km(lat, lon, b_lat, b_lon, product.radius_km)
        return mask


def _type_parts(code: str) -> set[str]:
    """The code, its type and the type's traits: "a+b:cacao:2" -> {"a+b:cacao:2", "a+b", "a",
    "b"} (an archetype code is ``<type>[:<chain>]...``, a type one name or traits joined by
    "+")."""
    kind = code.split(ARCHETYPE_SEPARATOR, 1)[0]
    return {code, kind, *kind.split(TRAIT_JOIN)}


def targeted(archetypes: pd.Series, targets: Sequence[str]) -> np.ndarray:
    """Boolean per group: its archetype is one the product targets (its type, one of its
    traits, or the whole code)."""
    codes, uniques = pd.factorize(archetypes.astype(str), sort=True)
    wanted = set(targets)
    hit = np.array([bool(_type_parts(u) & wanted) for u in uniques] + [False], dtype=bool)
    return hit[codes]


def feasible_pairs(
    groups: pd.DataFrame,
    products: Sequence[CreditProduct],
    producers_req: pd.DataFrame,
) -> pd.DataFrame:
    """Feasible (group, product) pairs with score and amount.

    Coverage is decided per member: a pair counts only the members the product covers
    (district listed or within a branch's radius). It is feasible when the value chain is
    the product's, the group's archetype is one the product targets (or it targets none),
    the whole group is at most the product's ``max_members``, the covered members number at
    least its ``min_members``, each covered member reaches the minimum readiness and the
    minimum ticket, and (offtake products) the group has pledged volume.

    Parameters
    ----------
    groups : DataFrame
        One row per group: group_id, value_chain, archetype (optional), district_code, lat,
        lon, size, readiness_mean, readiness_min, pledged_share.
    products : sequence of CreditProduct
    producers_req : DataFrame
        One row per grouped producer: group_id, requested_minor, and their own
        district_code, lat, lon, readiness (the group's values stand in for a missing
        column: its main district and centre, its minimum readiness).

    Returns
    -------
    DataFrame
        group_id, product_id, score (the covered members' readiness summed; covered members
        x readiness_mean where members carry none), amount_minor (the covered members'
        requests, each clipped to the product's max amount).
    """
    if len(groups) == 0 or not products:
        return _empty_pairs()
    gids = groups["group_id"].to_numpy(dtype=np.int64)
    members = _Members.of(groups, producers_req)
    pos, req = members.pos, members.requested
    n = len(groups)
    own_readiness = members.readiness is not None
    readiness = (
        members.readiness if own_readiness else groups["readiness_min"].to_numpy(dtype=float)[pos]
    )

    chain = groups["value_chain"].to_numpy()
    group_min = (producers_req.attrs.get("params") or MatchParams()).group_min
    # groups that carry no archetype are of no type a product could target
    archetype = groups["archetype"] if "archetype" in groups.columns else pd.Series([""] * n)
    size = groups["size"].to_numpy(dtype=np.int64)
    readiness_mean = groups["readiness_mean"].to_numpy(dtype=float)

    parts = []
    pledges = None  # worked out for the first product that asks for pledges
    for product in products:
        ok = np.isin(chain, list(product.value_chains))
        if product.target_archetypes:
            ok &= targeted(archetype, product.target_archetypes)
        if product.max_members is not None:
            ok &= size <= product.max_members
        if product.requires_offtake:
            pledges = pledges or repayment.Pledges.of(groups, producers_req)
            ok &= pledges.cover(product)
        if not ok.any():
            continue
        sel = np.flatnonzero(ok[pos])
        sel = sel[members.covered(product, sel)]
        p = pos[sel]
        count = np.bincount(p, minlength=n)
        worst = np.full(n, np.inf)
        np.minimum.at(worst, p, readiness[sel])
        smallest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(smallest, p, req[sel])
        amount = np.bincount(p, weights=np.minimum(req[sel], product.max_amount_minor), minlength=n)
        ok &= count >= repayment.min_members(product, group_min)
        ok &= worst >= product.min_readiness
        ok &= smallest >= product.min_amount_minor
        ok &= amount > 0
        if own_readiness:
            score = np.bincount(p, weights=readiness[sel], minlength=n)
        else:
            score = count * readiness_mean
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


def outside_coverage(
    members: pd.DataFrame, matches: pd.DataFrame, products: Sequence[CreditProduct]
) -> np.ndarray:
    """Boolean per row of `members` (group_id, district_code, lat, lon): the member's group
    was allocated (rank 0) to a product that does not cover them, so they are not financed."""
    out = np.zeros(len(members), dtype=bool)
    chosen = matches.loc[matches["rank"] == 0].set_index("group_id")["product_id"]
    if chosen.empty or members.empty:
        return out
    product_of = members["group_id"].map(chosen).to_numpy(dtype=float)
    by_id = {p.product_id: p for p in products}
    for pid in np.unique(product_of[np.isfinite(product_of)]):
        idx = np.flatnonzero(product_of == pid)
        out[idx] = ~covers(members.iloc[idx], by_id[int(pid)])
    return out


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
        product_ids, p_codes = unique_inverse(pairs["product_id"].to_numpy())
        budget = np.array([budgets.get(int(x), 0) for x in product_ids], dtype=np.int64)
        amount = pairs["amount_minor"].to_numpy(dtype=np.int64)
        idx = np.flatnonzero(amount <= budget[p_codes])
        g_codes = inverse_of(pairs["group_id"].to_numpy()[idx])
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
    prices: np.ndarray  # the budgets' dual prices, one per product (>= 0)


def _relax(problem: _Problem) -> _Relaxation | None:
    """The LP relaxation's optimum; None if HiGHS did not solve it to optimality.

    Large problems are sifted (:func:`_sifted`): the same optimum, certified by duality,
    from a much smaller LP."""
    if problem.n >= SIFT_MIN_PAIRS:
        return _sifted(problem)
    return _solve_lp(problem)


def _solve_lp(problem: _Problem) -> _Relaxation | None:
    """The LP relaxation by HiGHS's dual simplex (exact, deterministic), with the budgets'
    dual prices (lambda, one per product) in ``prices``."""
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
    prices = np.maximum(-np.asarray(res.ineqlin.marginals[: len(problem.budget)]), 0.0)
    return _Relaxation(
        bound=-float(res.fun), x=np.clip(res.x, 0.0, 1.0), reduced_cost=reduced, prices=prices
    )


def _subproblem(problem: _Problem, pick: np.ndarray, budget: np.ndarray) -> _Problem:
    """The pairs at `pick` (a boolean mask) as a problem of their own, with `budget`."""
    idx = np.flatnonzero(pick)
    return _Problem(
        idx=idx,
        score=problem.score[idx],
        amount=problem.amount[idx],
        g_codes=inverse_of(problem.g_codes[idx]),
        p_codes=problem.p_codes[idx],
        budget=budget,
    )


def _sifted(problem: _Problem) -> _Relaxation | None:
    """The LP relaxation of a large problem from a small LP, certified by duality.

    The budgets' prices of an LP on every SIFT_SAMPLE-th group (budgets scaled alike)
    estimate the optimum's prices. At those prices a group whose best pair is clearly
    worth taking (or clearly not) is decided: take its best pair (or nothing). Only the
    undecided groups go to the LP, with what the decided ones leave of the budgets. Its
    prices then price every decided group: when each still takes its best pair at a
    non-negative value and every group left out has no pair of positive value, the prices
    and the decisions satisfy the LP's optimality conditions for the whole problem, so the
    bound is exact. Groups that fail the check are undecided and the LP solved again; after
    SIFT_ROUNDS the whole LP is solved directly.
    """
    n_groups = int(problem.g_codes.max()) + 1
    sample = (np.arange(n_groups) % SIFT_SAMPLE == 0)[problem.g_codes]
    estimate = _solve_lp(_subproblem(problem, sample, problem.budget // SIFT_SAMPLE))
    if estimate is None:
        return _solve_lp(problem)
    undecided = np.zeros(n_groups, dtype=bool)
    prices = estimate.prices
    for _ in range(SIFT_ROUNDS):
        best, value = _best_pairs(problem, prices, n_groups)
        score = np.zeros(n_groups)
        score[problem.g_codes] = problem.score  # a group's score is the same for each pair
        undecided |= np.abs(value) <= SIFT_MARGIN * score
        taken = ~undecided & (value > 0)
        take = np.zeros(problem.n, dtype=bool)
        take[best[taken]] = True
        left = problem.budget - np.bincount(
            problem.p_codes[take], weights=problem.amount[take], minlength=len(problem.budget)
        ).astype(np.int64)
        if (left < 0).any():  # prices too low: the decided overspend; decide fewer
            undecided |= _marginal(problem, best, value, taken, -left)
            continue
        open_pairs = undecided[problem.g_codes]
        if not open_pairs.any():
            break
        lp = _solve_lp(_subproblem(problem, open_pairs, left))
        if lp is None:
            break
        wrong = _violations(problem, lp.prices, take, open_pairs, n_groups)
        if not wrong.any():
            return _combined(problem, lp, take, open_pairs, n_groups)
        undecided |= wrong
        prices = lp.prices
    return _solve_lp(problem)


def _marginal(
    problem: _Problem, best: np.ndarray, value: np.ndarray, taken: np.ndarray, over: np.ndarray
) -> np.ndarray:
    """Taken groups to leave undecided where their products overspend by `over`: per
    product, those of least value per amount, twice the overspend's worth."""
    groups = np.flatnonzero(taken)
    pair = best[groups]
    product = problem.p_codes[pair]
    amount = problem.amount[pair]
    keep = over[product] > 0
    groups, product, amount = groups[keep], product[keep], amount[keep]
    order = np.lexsort((groups, value[groups] / np.maximum(amount, 1), product))
    groups, product, amount = groups[order], product[order], amount[order]
    start = np.r_[0, np.flatnonzero(product[1:] != product[:-1]) + 1]
    total = np.cumsum(amount)
    before = np.repeat(np.r_[0, total[start[1:] - 1]], np.diff(np.r_[start, len(groups)]))
    spent = total - before - amount  # what the product's earlier (more marginal) groups use
    out = np.zeros(len(taken), dtype=bool)
    out[groups[spent < 2 * over[product]]] = True
    return out


def _best_pairs(
    problem: _Problem, prices: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per group at these prices: its best pair and that pair's value (score - price x
    amount); ties to the pair that comes first."""
    value = problem.score - prices[problem.p_codes] * problem.amount
    order = np.lexsort((np.arange(problem.n), -value, problem.g_codes))
    groups = problem.g_codes[order]
    first = np.r_[True, groups[1:] != groups[:-1]]
    best = np.zeros(n_groups, dtype=np.int64)
    best[groups[first]] = order[first]
    return best, value[best]


def _violations(
    problem: _Problem, prices: np.ndarray, take: np.ndarray, open_pairs: np.ndarray, n_groups
) -> np.ndarray:
    """Decided groups whose decision the LP's prices contradict: a group left out with a
    pair of positive value, or a taken pair of negative value or not its group's best."""
    value = problem.score - prices[problem.p_codes] * problem.amount
    decided = ~open_pairs
    top = np.full(n_groups, -np.inf)
    np.maximum.at(top, problem.g_codes[decided], value[decided])
    in_group = np.zeros(n_groups, dtype=bool)
    in_group[problem.g_codes[take]] = True
    wrong = np.zeros(n_groups, dtype=bool)
    left_out = decided & ~in_group[problem.g_codes]
    wrong[problem.g_codes[left_out & (value > INTEGRAL_TOL)]] = True
    bad_take = take & ((value < -INTEGRAL_TOL) | (value < top[problem.g_codes] - INTEGRAL_TOL))
    wrong[problem.g_codes[bad_take]] = True
    return wrong


def _combined(
    problem: _Problem, lp: _Relaxation, take: np.ndarray, open_pairs: np.ndarray, n_groups
) -> _Relaxation:
    """The whole problem's optimum from the decided pairs and the small LP's solution.

    Reduced costs of decided groups come from the prices with each group's dual the value of
    its second-best pair (0 when none is positive): the taken pair's is >= 0, the others'
    <= 0, so reduced-cost fixing stays valid and as strong as it can be."""
    x = take.astype(float)
    x[open_pairs] = lp.x
    value = problem.score - lp.prices[problem.p_codes] * problem.amount
    others = np.where(take, -np.inf, value)
    runner_up = np.zeros(n_groups)
    np.maximum.at(runner_up, problem.g_codes, np.maximum(others, 0.0))
    in_group = np.zeros(n_groups, dtype=bool)
    in_group[problem.g_codes[take]] = True
    dual = np.where(in_group, runner_up, 0.0)
    reduced = value - dual[problem.g_codes]
    reduced[open_pairs] = lp.reduced_cost
    bound = lp.bound + float(problem.score[take].sum())
    return _Relaxation(bound=bound, x=x, reduced_cost=reduced, prices=lp.prices)


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
        g_codes=inverse_of(problem.g_codes[free]),
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
