"""Can each member repay under the product she is allocated? Affordability by the product's
own schedule against the crop calendar, and pledges to buyers as collateral.

The rules (the README's credit section says the same to lenders):

- **Income by month.** A member's expected annual crop income (productive ha x yield x
  farm-gate price) arrives mostly in the calendar months her value chain's harvest is sold
  (``MatchParams.harvest_months``, the app's harvest calendar for the country): a share
  ``1 - off`` of it split evenly over those months, and the rest, ``off =
  MatchParams.off_harvest_share[value_chain]``, spread evenly over the twelve months (small
  off-season sales, the mitaca, milk, other crops).
- **Instalments.** The allocated product's schedule gives, per calendar month, the payment
  per unit of principal (``CreditProduct.unit_schedule``, computed by the app from the same
  schedule arithmetic as offers and loans; without it, a level monthly annuity every month).
- **Affordability.** Every instalment must stay at most ``MatchParams.max_instalment_share``
  of the income of the month it falls in: harvest bullets against harvest income, monthly
  instalments against off-harvest income too. The largest principal that passes is
  ``income x share x min over months with a payment of (weight of the month / payment per
  unit)``: one factor per (product, value chain), so the check is vectorised.
- **Collateral.** Under a product that requires offtake, the value of a member's pledges to
  buyers (pledged kg x the commitment's price, or the farm-gate price) must cover
  ``CreditProduct.collateral_ratio`` times what she repays in harvest months (everything she
  repays when no instalment falls in a harvest month). The largest principal that passes is
  ``pledged value / (ratio x payments in harvest months per unit)``.
- **After allocation**, each member of a chosen group gets the smaller of her request, the
  product's maximum and both limits, rounded down to the product's amount step. Below the
  product's minimum ticket she is excluded (``UNAFFORDABLE`` or ``PLEDGE_SHORT``); a group
  left with fewer members than the product's minimum loses its match (``GROUP_TOO_SMALL``
  for the members who had passed). Amounts only go down, so budgets stay respected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.affordability import annuity_factor
from matching.eligibility import OUTSIDE_COVERAGE
from matching.types import CreditProduct, MatchParams

UNAFFORDABLE = "unaffordable_schedule"
PLEDGE_SHORT = "pledge_short"
GROUP_TOO_SMALL = "group_below_minimum"
CODES = (OUTSIDE_COVERAGE, UNAFFORDABLE, PLEDGE_SHORT, GROUP_TOO_SMALL)
# calendar months of harvest sales where MatchParams.harvest_months does not say
FALLBACK_HARVEST_MONTHS = (6, 12)
MONTHS = np.arange(1, 13)


def floor_minor(amount):
    """Amounts rounded down to whole minor units, forgiving float error (1e-6 of a unit)."""
    return np.floor(np.asarray(amount, dtype=float) + 1e-6)


def income_weights(value_chain: str, params: MatchParams) -> np.ndarray:
    """Share of the year's crop income expected in each calendar month (12 values, sum 1)."""
    off = float(np.clip(params.off_harvest_share.get(value_chain, 0.0), 0.0, 1.0))
    months = params.harvest_months.get(value_chain) or FALLBACK_HARVEST_MONTHS
    harvest = np.isin(MONTHS, list(months))
    return off / 12.0 + (1.0 - off) * harvest / harvest.sum()


def unit_payments(product: CreditProduct, value_chain: str) -> tuple[tuple[int, float], ...]:
    """(calendar month, payment per unit of principal) of each instalment of the product for
    a member of `value_chain`; a level monthly annuity in every month when the app gave none."""
    for chain, payments in product.unit_schedule:
        if chain == value_chain and payments:
            return tuple(payments)
    level = annuity_factor(product.annual_rate, max(product.term_months, 1))
    return tuple((int(m), level) for m in MONTHS)


def afford_factor(product: CreditProduct, value_chain: str, params: MatchParams) -> float:
    """Largest principal per unit of annual income whose every instalment stays within the
    share of its month's income (0 when a payment falls in a month without income)."""
    weights = income_weights(value_chain, params)
    worst = np.zeros(12)
    for month, per_unit in unit_payments(product, value_chain):
        worst[month - 1] = max(worst[month - 1], per_unit)
    paid = worst > 0
    if not paid.any():
        return np.inf
    return float(params.max_instalment_share * np.min(weights[paid] / worst[paid]))


def harvest_due(product: CreditProduct, value_chain: str, params: MatchParams) -> float:
    """Per unit of principal, what falls due in the value chain's harvest months (everything
    due when nothing does)."""
    months = set(params.harvest_months.get(value_chain) or FALLBACK_HARVEST_MONTHS)
    payments = unit_payments(product, value_chain)
    due = sum(per_unit for month, per_unit in payments if month in months)
    return due if due > 0 else sum(per_unit for _month, per_unit in payments)


@dataclass(frozen=True)
class Coded:
    """Value chains factorised once (codes into names), so that a stage looking them up per
    product does not factorise a million strings each time; indexable like an array."""

    codes: np.ndarray
    names: np.ndarray

    @classmethod
    def of(cls, chains) -> Coded:
        if isinstance(chains, Coded):
            return chains
        if not isinstance(chains, pd.Series):  # a categorical Series factorises at once
            chains = np.asarray(chains, dtype=object)
        codes, names = pd.factorize(chains)
        return cls(codes, np.asarray(names, dtype=object))

    def __getitem__(self, where) -> Coded:
        return Coded(self.codes[where], self.names)

    def __len__(self) -> int:
        return len(self.codes)


def by_chain(chains, value) -> np.ndarray:
    """`value(chain)` for each element of `chains` (or a Coded), computed once per distinct
    chain (a factorisation of plain objects: mapping pandas strings is 50 times slower)."""
    coded = Coded.of(chains)
    if not len(coded.names):
        return np.zeros(len(coded))
    return np.asarray([value(c) for c in coded.names], dtype=float)[coded.codes]


def _price(params: MatchParams, chains) -> np.ndarray:
    return by_chain(chains, lambda c: params.price_per_kg.get(c, np.nan))


def annual_income(members: pd.DataFrame, params: MatchParams, chains=None) -> np.ndarray:
    """Expected annual crop income per member (minor units; 0 when unknown); `chains`: the
    members' value chains already coded, when the caller has them."""
    price = _price(params, members["value_chain"] if chains is None else chains)
    ha = members["productive_ha"].to_numpy(dtype=float)
    kg_ha = members["yield_kg_ha"].to_numpy(dtype=float)
    return np.nan_to_num(np.clip(ha * kg_ha * price, 0.0, None), nan=0.0)


def pledged_value(members: pd.DataFrame, params: MatchParams, chains=None) -> np.ndarray:
    """Value of each member's pledges (minor units): ``pledged_value_minor`` when the caller
    gives it (the commitments' prices), else pledged kg x the farm-gate price."""
    if "pledged_value_minor" in members.columns:
        return np.nan_to_num(members["pledged_value_minor"].to_numpy(dtype=float), nan=0.0)
    price = _price(params, members["value_chain"] if chains is None else chains)
    kg = members["pledged_kg"].to_numpy(dtype=float)
    return np.nan_to_num(np.clip(kg * price, 0.0, None), nan=0.0)


def afford_cap(product: CreditProduct, chains, income, params: MatchParams) -> np.ndarray:
    """Largest principal each member's income carries under the product's schedule."""
    factor = by_chain(chains, lambda c: afford_factor(product, c, params))
    return np.asarray(income, dtype=float) * factor


def pledge_cap(product: CreditProduct, chains, pledged, params: MatchParams) -> np.ndarray:
    """Largest principal each member's pledges cover (inf under a product without offtake)."""
    pledged = np.asarray(pledged, dtype=float)
    if not product.requires_offtake:
        return np.full(len(pledged), np.inf)
    ratio = max(float(product.collateral_ratio), 0.0)
    due = by_chain(chains, lambda c: harvest_due(product, c, params)) * ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(due > 0, pledged / due, np.inf)


def min_members(product: CreditProduct, group_min: int) -> int:
    """Members a group must keep under the product: its own minimum, else the run's."""
    return max(int(product.min_members or group_min), 1)


@dataclass(frozen=True)
class Pledges:
    """Grouped members' pledged values, worked out once for every offtake product."""

    chains: Coded
    value: np.ndarray  # minor units per member
    group: np.ndarray  # position of each member's group in the groups table (-1: none)
    n_groups: int
    params: MatchParams

    @classmethod
    def of(cls, groups: pd.DataFrame, members: pd.DataFrame) -> Pledges:
        """`members`: group_id, value_chain, pledged_kg or pledged_value_minor;
        ``members.attrs["params"]`` the run's MatchParams (prices, harvest months,
        group_min)."""
        params = members.attrs.get("params") or MatchParams()
        if "value_chain" not in members.columns:  # a group has one value chain
            chain_of = dict(zip(groups["group_id"], groups["value_chain"], strict=True))
            members = members.assign(value_chain=members["group_id"].map(chain_of))
        if "pledged_kg" not in members.columns and "pledged_value_minor" not in members.columns:
            members = members.assign(pledged_kg=0.0)
        chains = Coded.of(members["value_chain"].to_numpy())
        return cls(
            chains=chains,
            value=pledged_value(members, params, chains),
            group=pd.Index(groups["group_id"]).get_indexer(members["group_id"]),
            n_groups=len(groups),
            params=params,
        )

    def cover(self, product: CreditProduct) -> np.ndarray:
        """Per group: do enough members' pledges cover their repayments under `product`?

        A member counts when the principal her pledges cover reaches the product's minimum
        ticket (at least one minor unit); the group needs the product's minimum members
        (else the run's ``MatchParams.group_min``)."""
        cap = pledge_cap(product, self.chains, self.value, self.params)
        counted = (cap >= max(product.min_amount_minor, 1)) & (self.group >= 0)
        counts = np.bincount(self.group[counted], minlength=self.n_groups)
        return counts >= min_members(product, self.params.group_min)


def check_members(
    members: pd.DataFrame,
    matches: pd.DataFrame,
    products: Sequence[CreditProduct],
    params: MatchParams,
    outside: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each member of a chosen group under her group's product; the matches recomputed.

    Parameters
    ----------
    members : DataFrame
        producer_id, group_id, value_chain, productive_ha, yield_kg_ha, pledged_kg (or
        pledged_value_minor), requested_minor.
    matches : DataFrame
        The allocation's matches (rank 0 = chosen), with amount_minor.
    outside : array of bool, optional
        Per row of `members`: her group's chosen product does not cover where she lives
        (``allocation.outside_coverage``); she is not financed, reason OUTSIDE_COVERAGE.

    Returns
    -------
    (DataFrame, DataFrame)
        Per member of a chosen group: producer_id, product_id, financed_minor (0 when
        excluded), reason ("" or one of CODES), group_id, pledged_kg, expected_kg; and
        `matches` with each chosen match's
        amount the sum of its members' financed amounts, a chosen match whose group fell
        under the product's minimum members removed (its alternatives stay).
    """
    chosen = matches[matches["rank"] == 0]
    c_gid = chosen["group_id"].to_numpy(dtype=np.int64)
    c_order = np.argsort(c_gid, kind="stable")
    c_gid, c_pid = c_gid[c_order], chosen["product_id"].to_numpy(dtype=np.int64)[c_order]
    m_gid = members["group_id"].to_numpy(dtype=np.int64)
    at_chosen = np.searchsorted(c_gid, m_gid).clip(max=max(len(c_gid) - 1, 0))
    in_chosen = (c_gid[at_chosen] == m_gid) if len(c_gid) else np.zeros(len(m_gid), bool)
    sel = members[in_chosen]
    slot = at_chosen[in_chosen]  # the chosen match of each selected member
    product_id = c_pid[slot]
    financed = np.zeros(len(sel), dtype=np.int64)
    reason = np.full(len(sel), "", dtype=object)
    chains = Coded.of(sel["value_chain"])
    income = annual_income(sel, params, chains)
    pledged = pledged_value(sel, params, chains)
    requested = sel["requested_minor"].to_numpy(dtype=float)
    need = np.zeros(len(c_gid), dtype=np.int64)  # members each chosen group must keep
    by_id = {p.product_id: p for p in products}
    for pid in np.unique(product_id):
        p = by_id[int(pid)]
        at = product_id == pid
        top = float(p.max_amount_minor) if p.max_amount_minor > 0 else np.inf
        base = np.minimum(requested[at], top)
        afford = np.minimum(base, afford_cap(p, chains[at], income[at], params))
        amount = np.minimum(afford, pledge_cap(p, chains[at], pledged[at], params))
        amount = floor_minor(np.nan_to_num(amount, nan=0.0, posinf=0.0))
        if p.amount_step_minor > 0:
            amount -= amount % p.amount_step_minor
        floor = max(p.min_amount_minor, 1)
        short = amount < floor
        why = np.where(floor_minor(afford) < floor, UNAFFORDABLE, PLEDGE_SHORT)
        reason[at] = np.where(short, why, "")
        financed[at] = np.where(short, 0, amount).astype(np.int64)
        need[c_pid == pid] = min_members(p, params.group_min)
    if outside is not None:
        away = np.asarray(outside, dtype=bool)[in_chosen]
        reason[away] = OUTSIDE_COVERAGE
        financed[away] = 0
    kept = np.bincount(slot, weights=financed > 0, minlength=len(c_gid))
    group_kept = kept >= need
    lost = ~group_kept[slot]
    reason[lost & (reason == "")] = GROUP_TOO_SMALL
    financed[lost] = 0
    out = pd.DataFrame(
        {
            "producer_id": sel["producer_id"].to_numpy(),
            "product_id": product_id,
            "financed_minor": financed,
            "reason": reason,
            "group_id": sel["group_id"].to_numpy(),
            "pledged_kg": np.nan_to_num(sel["pledged_kg"].to_numpy(dtype=float)),
            "expected_kg": np.nan_to_num(
                sel["productive_ha"].to_numpy(dtype=float) * sel["yield_kg_ha"].to_numpy(float)
            ),
        }
    )
    totals = np.bincount(slot, weights=financed, minlength=len(c_gid)).astype(np.int64)
    g = matches["group_id"].to_numpy(dtype=np.int64)
    at_g = np.searchsorted(c_gid, g).clip(max=max(len(c_gid) - 1, 0))
    is_chosen = (matches["rank"] == 0).to_numpy()
    keep = ~is_chosen | group_kept[at_g] if len(c_gid) else ~is_chosen
    new = matches[keep].copy()
    amount = new["amount_minor"].to_numpy(dtype=np.int64).copy()
    chosen_kept = is_chosen[keep]
    amount[chosen_kept] = totals[at_g[keep][chosen_kept]]
    new["amount_minor"] = amount
    return out, new.reset_index(drop=True)


def member_frame(producers: pd.DataFrame, members: pd.DataFrame, params: MatchParams):
    """The grouped members as allocation and `check_members` need them: `members`
    (group_id, readiness, requested_minor, row for row with `producers`) with each one's
    producer_id and farm figures, and the run's params in ``attrs["params"]``."""
    cols = ["producer_id", "value_chain", "productive_ha", "yield_kg_ha", "pledged_kg"]
    if "pledged_value_minor" in producers.columns:
        cols.append("pledged_value_minor")
    out = members.reset_index(drop=True)
    for col in cols:
        out[col] = producers[col].to_numpy()
    out.attrs["params"] = params
    return out


def apply_to_producers(
    out: pd.DataFrame,
    checked: pd.DataFrame,
    groups: pd.DataFrame,
    matches: pd.DataFrame,
    products: Sequence[CreditProduct],
) -> tuple[pd.DataFrame, dict]:
    """The run's producer table with financed_minor (0 outside a financed group) and each
    exclusion's code added to the member's reasons; and the stage's figures."""
    pos = pd.Index(out["producer_id"]).get_indexer(checked["producer_id"])
    financed = np.zeros(len(out), dtype=np.int64)
    financed[pos] = checked["financed_minor"].to_numpy(dtype=np.int64)
    reasons = out["reasons"].to_numpy(dtype=object).copy()
    why = checked["reason"].to_numpy(dtype=object)
    for i, code in zip(pos[why != ""], why[why != ""], strict=True):
        reasons[i] = (*reasons[i], code)
    out = out.assign(reasons=reasons, financed_minor=financed)
    kept = checked[checked["financed_minor"] > 0]
    sized = out.set_index("producer_id")["sized_product_id"].reindex(kept["producer_id"])
    chosen = matches[matches["rank"] == 0]
    offtake = {p.product_id for p in products if p.requires_offtake}
    backed = chosen.loc[chosen["product_id"].isin(offtake), "group_id"]
    offtake_groups = groups[groups["group_id"].isin(backed)]
    # the financed members' own pledged share of their expected volume, per offtake group
    own = kept[kept["group_id"].isin(backed)].groupby("group_id")[["pledged_kg", "expected_kg"]]
    own = own.sum()
    own_share = (own["pledged_kg"] / own["expected_kg"].where(own["expected_kg"] > 0)).dropna()
    figures = {
        "excluded": {code: int((why == code).sum()) for code in CODES},
        "financed_members": len(kept),
        "sized_at_other_product_share": (
            float((sized.to_numpy() != kept["product_id"].to_numpy()).mean()) if len(kept) else 0.0
        ),
        "offtake_groups": len(offtake_groups),
        "offtake_median_pledged_share": (
            float(offtake_groups["pledged_share"].median()) if len(offtake_groups) else None
        ),
        "offtake_median_financed_pledged_share": (
            float(own_share.median()) if len(own_share) else None
        ),
    }
    return out, figures
