"""Affordability: instalments never above the protected share of income."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.affordability import annuity_factor, requested_amounts
from matching.types import MatchParams

CHAINS = ["cacao", "cafe", "miel", "ganaderia", "madera"]


def frame(ha, yields, chains):
    """Producers with the given area, yield and chain."""
    return pd.DataFrame(
        {"productive_ha": ha, "yield_kg_ha": yields, "value_chain": chains}, dtype=object
    ).astype({"productive_ha": float, "yield_kg_ha": float, "value_chain": str})


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(0.0, 500.0),
            st.floats(0.0, 5_000.0),
            st.sampled_from(CHAINS),
        ),
        min_size=1,
        max_size=20,
    ),
    rate=st.floats(0.0, 1.5),
    term=st.integers(1, 60),
    share=st.floats(0.05, 0.6),
)
def test_instalment_within_share_of_income(rows, rate, term, share):
    ha, yields, chains = zip(*rows, strict=True)
    producers = frame(list(ha), list(yields), list(chains))
    params = MatchParams(max_instalment_share=share)
    amount = requested_amounts(producers, params, annual_rate=rate, term_months=term)
    income = producers["productive_ha"] * producers["yield_kg_ha"]
    income = income * producers["value_chain"].map(params.price_per_kg)
    need = producers["productive_ha"] * producers["value_chain"].map(params.input_cost_per_ha)
    yearly = amount * annuity_factor(rate, term) * min(term, 12)
    assert (amount >= 0).all()
    assert (amount <= need + 1e-9).all()
    assert (yearly <= share * income * (1 + 1e-9) + 1e-6).all()


def test_zero_or_unknown_income_gives_zero():
    producers = frame(
        [3.0, 3.0, 3.0, 0.0], [0.0, np.nan, 800.0, 800.0], ["cacao", "cacao", "ecoturismo", "cafe"]
    )
    amount = requested_amounts(producers, MatchParams())
    assert amount.tolist() == [0, 0, 0, 0]


def test_need_when_income_is_ample_and_cap_when_it_is_not():
    params = MatchParams()
    producers = frame([2.0, 2.0], [5_000.0, 100.0], ["cacao", "cacao"])
    amount = requested_amounts(producers, params, annual_rate=0.25, term_months=12)
    assert amount.iloc[0] == 2 * params.input_cost_per_ha["cacao"]
    income = 2.0 * 100.0 * params.price_per_kg["cacao"]
    cap = params.max_instalment_share * income / (annuity_factor(0.25, 12) * 12)
    assert amount.iloc[1] == int(np.floor(cap))
