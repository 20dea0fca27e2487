"""Affordability: how much a producer may ask for, sized to protect the borrower.

The rule (borrower protection, not only lender risk):

- **Need.** The amount a producer needs is ``productive_ha x input_cost_per_ha[value_chain]``
  (``MatchParams.input_cost_per_ha``, minor units): inputs for the productive area.
- **Income.** Expected annual crop income is ``productive_ha x yield_kg_ha x
  price_per_kg[value_chain]`` (``MatchParams.price_per_kg``).
- **Instalment.** The loan is an annuity of ``term_months`` monthly instalments at the
  monthly equivalent of the annual effective rate (TEA): ``r = (1 + TEA) ** (1 / 12) - 1``,
  ``instalment = P * r / (1 - (1 + r) ** -term_months)`` (``P / term_months`` when r = 0).
- **Cap.** What the producer repays in any 12 months, ``instalment x min(term_months, 12)``,
  must stay at most ``MatchParams.max_instalment_share`` of the expected annual income. The
  requested amount is the need, cut down to the largest principal meeting that cap, rounded
  down to whole minor units.
- **Unknown income.** When the yield or the price is unknown, missing or zero, the income
  cannot support a loan: the amount is 0 (technical assistance, not credit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.types import MatchParams


def monthly_rate(annual_rate: float) -> float:
    """Monthly rate equivalent to an annual effective rate (TEA)."""
    return (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0


def annuity_factor(annual_rate: float, term_months: int) -> float:
    """Instalment per unit of principal for a monthly annuity at the given TEA and term."""
    r = monthly_rate(annual_rate)
    if r == 0.0:
        return 1.0 / term_months
    return r / (1.0 - (1.0 + r) ** -term_months)


def max_principal(income, share: float, annual_rate: float, term_months: int):
    """The largest principal whose repayments in any 12 months stay within `share` of the
    expected annual `income` (scalars or arrays, minor units): the instalment cap."""
    return share * income / (annuity_factor(annual_rate, term_months) * min(term_months, 12))


def expected_income(producers: pd.DataFrame, params: MatchParams) -> pd.Series:
    """Expected annual crop income in minor units (NaN when unknown)."""
    price = producers["value_chain"].map(params.price_per_kg).astype(float)
    return producers["productive_ha"] * producers["yield_kg_ha"] * price


def requested_amounts(
    producers: pd.DataFrame,
    params: MatchParams,
    annual_rate: float = 0.25,
    term_months: int = 12,
) -> pd.Series:
    """Requested amount per producer in minor units, capped by the instalment rule."""
    if term_months < 1:
        raise ValueError("term_months must be at least 1")
    if annual_rate < 0:
        raise ValueError("annual_rate must not be negative")
    ha = producers["productive_ha"].astype(float).clip(lower=0.0)
    cost = producers["value_chain"].map(params.input_cost_per_ha).astype(float)
    need = (ha * cost).to_numpy()
    income = expected_income(producers, params).to_numpy(dtype=float)
    cap = max_principal(income, params.max_instalment_share, annual_rate, term_months)
    amount = np.fmin(need, cap)
    ok = np.isfinite(amount) & np.isfinite(income) & (income > 0) & (amount > 0)
    out = np.zeros(len(producers), dtype=np.int64)
    out[ok] = np.floor(amount[ok]).astype(np.int64)
    return pd.Series(out, index=producers.index, name="requested_minor")
