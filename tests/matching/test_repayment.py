"""Each member under her group's product: instalments against the crop calendar's monthly
income, pledges as collateral, and the group's minimum members (planted answers)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matching import repayment
from matching.repayment import GROUP_TOO_SMALL, PLEDGE_SHORT, UNAFFORDABLE
from matching.types import CreditProduct, MatchParams

# Peru's cacao: sales done in July and December; a fifth of the income outside them
PARAMS = MatchParams(
    group_min=2,
    price_per_kg={"cacao": 1_000},
    harvest_months={"cacao": (7, 12)},
    off_harvest_share={"cacao": 0.2},
)
# 12 monthly instalments of 0.1 per unit of principal (a round planted figure)
MONTHLY = (("cacao", tuple((m, 0.1) for m in range(1, 13))),)
# the same amount repaid in the two harvest months, 0.6 per unit each
HARVEST = (("cacao", ((7, 0.6), (12, 0.6))),)


def product(pid: int, schedule, **kw) -> CreditProduct:
    base = dict(
        product_id=pid,
        lender_id=1,
        currency="PEN",
        value_chains=("cacao",),
        districts=("D1",),
        min_amount_minor=100_000,
        max_amount_minor=10_000_000,
        budget_minor=100_000_000,
        annual_rate=0.25,
        term_months=12,
        unit_schedule=schedule,
    )
    base.update(kw)
    return CreditProduct(**base)


def members(rows) -> pd.DataFrame:
    """(producer_id, group_id, productive_ha, yield_kg_ha, pledged_kg, requested_minor)."""
    frame = pd.DataFrame(
        rows,
        columns=["producer_id", "group_id", "productive_ha", "yield_kg_ha", "pledged_kg",
                 "requested_minor"],
    )  # fmt: skip
    return frame.assign(value_chain="cacao")


def chosen(*pairs) -> pd.DataFrame:
    """Rank-0 matches (group_id, product_id); amounts recomputed by check_members."""
    return pd.DataFrame(
        [(g, p, 0, 1.0, 0) for g, p in pairs],
        columns=["group_id", "product_id", "rank", "score", "amount_minor"],
    )


def test_income_weights_put_the_harvest_in_its_months():
    w = repayment.income_weights("cacao", PARAMS)
    assert w.sum() == pytest.approx(1.0)
    assert w[6] == w[11] == pytest.approx(0.8 / 2 + 0.2 / 12)  # July, December
    assert w[0] == pytest.approx(0.2 / 12)


def test_afford_factor_is_the_tightest_month():
    # monthly: 0.1 per unit against an off-harvest month's 1/60 of the year -> 0.3/60/0.1
    assert repayment.afford_factor(product(1, MONTHLY), "cacao", PARAMS) == pytest.approx(0.05)
    # harvest: 0.6 per unit against a harvest month's 0.41667 of the year
    expected = 0.3 * (0.4 + 0.2 / 12) / 0.6
    assert repayment.afford_factor(product(2, HARVEST), "cacao", PARAMS) == pytest.approx(expected)


def test_monthly_instalments_beyond_off_harvest_income_cut_but_harvest_bullets_pass():
    # 5 ha x 1,000 kg x S/ 10 = S/ 50,000 a year; she asks S/ 4,000 (400,000 minor)
    rows = [(1, 0, 5.0, 1_000.0, 0.0, 400_000), (2, 0, 5.0, 1_000.0, 0.0, 400_000)]
    # monthly: each S/ 400 instalment > 30 % of an off-harvest month's S/ 833 -> cut to
    # S/ 2,500 (0.05 x 5,000,000 minor)
    out, _ = repayment.check_members(members(rows), chosen((0, 1)), [product(1, MONTHLY)], PARAMS)
    assert out["financed_minor"].tolist() == [250_000, 250_000]
    assert (out["reason"] == "").all()
    # harvest: S/ 2,400 at each harvest <= 30 % of S/ 20,833 -> the whole amount
    out, _ = repayment.check_members(members(rows), chosen((0, 2)), [product(2, HARVEST)], PARAMS)
    assert out["financed_minor"].tolist() == [400_000, 400_000]


def test_a_member_cut_below_the_minimum_ticket_is_excluded_with_the_reason():
    # 1.5 ha: S/ 15,000 a year; monthly cap S/ 750 < the S/ 1,000 minimum
    rows = [(1, 0, 5.0, 1_000.0, 0.0, 400_000), (2, 0, 5.0, 1_000.0, 0.0, 400_000),
            (3, 0, 1.5, 1_000.0, 0.0, 400_000)]  # fmt: skip
    out, matches = repayment.check_members(
        members(rows), chosen((0, 1)), [product(1, MONTHLY)], PARAMS
    )
    row = out.set_index("producer_id").loc[3]
    assert row["financed_minor"] == 0 and row["reason"] == UNAFFORDABLE
    assert matches["amount_minor"].tolist() == [500_000]  # the two who pass
    # under the harvest product the same member passes, cut to S/ 3,125 (0.3 x S/ 6,250 of
    # harvest-month income / 0.6 per unit)
    out, _ = repayment.check_members(members(rows), chosen((0, 2)), [product(2, HARVEST)], PARAMS)
    row = out.set_index("producer_id").loc[3]
    assert row["financed_minor"] == 312_500 and row["reason"] == ""


def test_amounts_round_down_to_the_product_step():
    rows = [(1, 0, 5.1, 1_000.0, 0.0, 400_000), (2, 0, 5.0, 1_000.0, 0.0, 400_000)]
    p = product(1, MONTHLY, amount_step_minor=10_000)
    out, _ = repayment.check_members(members(rows), chosen((0, 1)), [p], PARAMS)
    assert out["financed_minor"].tolist() == [250_000, 250_000]  # 255,000 -> 250,000


def test_a_big_pledge_qualifies_and_a_tiny_one_is_excluded():
    offtake = product(2, HARVEST, requires_offtake=True)
    # harvest instalments 1.2 per unit; S/ 4,000 needs pledges worth S/ 4,800 (480 kg)
    rows = [(1, 0, 5.0, 1_000.0, 600.0, 400_000),  # covers everything
            (2, 0, 5.0, 1_000.0, 300.0, 400_000),  # covers S/ 2,500: cut to it
            (3, 0, 5.0, 1_000.0, 600.0, 400_000),
            (4, 0, 5.0, 1_000.0, 5.0, 400_000)]  # S/ 41: excluded  # fmt: skip
    out, matches = repayment.check_members(members(rows), chosen((0, 2)), [offtake], PARAMS)
    out = out.set_index("producer_id")
    assert out["financed_minor"].tolist() == [400_000, 250_000, 400_000, 0]
    assert out.loc[4, "reason"] == PLEDGE_SHORT
    assert matches["amount_minor"].tolist() == [1_050_000]
    # the same pledges decide feasibility: 3 members covered, the group qualifies for 3
    groups = pd.DataFrame({"group_id": [0], "value_chain": ["cacao"]})
    frame = members(rows)
    frame.attrs["params"] = PARAMS
    pledges = repayment.Pledges.of(groups, frame)
    assert pledges.cover(replace_min(offtake, 3)).tolist() == [True]
    assert pledges.cover(replace_min(offtake, 4)).tolist() == [False]


def replace_min(p: CreditProduct, n: int) -> CreditProduct:
    return replace(p, min_members=n)


def test_collateral_ratio_scales_what_the_pledge_must_cover():
    rows = [(1, 0, 5.0, 1_000.0, 600.0, 400_000), (2, 0, 5.0, 1_000.0, 600.0, 400_000)]
    # Root Capital's 60 % of the contract: ratio 1/0.6; 600 kg = S/ 6,000 covers S/ 3,000
    p = product(2, HARVEST, requires_offtake=True, collateral_ratio=1 / 0.6)
    out, _ = repayment.check_members(members(rows), chosen((0, 2)), [p], PARAMS)
    assert out["financed_minor"].tolist() == [300_000, 300_000]


def test_a_group_left_under_the_minimum_members_loses_its_match():
    rows = [(1, 0, 5.0, 1_000.0, 0.0, 400_000), (2, 0, 1.0, 1_000.0, 0.0, 400_000),
            (3, 1, 5.0, 1_000.0, 0.0, 400_000), (4, 1, 5.0, 1_000.0, 0.0, 400_000)]  # fmt: skip
    matches = pd.concat([chosen((0, 1), (1, 1)), chosen((0, 2)).assign(rank=1)], ignore_index=True)
    products = [product(1, MONTHLY), product(2, HARVEST)]
    out, new = repayment.check_members(members(rows), matches, products, PARAMS)
    out = out.set_index("producer_id")
    assert out.loc[2, "reason"] == UNAFFORDABLE
    assert out.loc[1, "reason"] == GROUP_TOO_SMALL and out.loc[1, "financed_minor"] == 0
    chosen_now = new[new["rank"] == 0]
    assert chosen_now["group_id"].tolist() == [1]  # group 0 (1 member left of 2) unmatched
    assert chosen_now["amount_minor"].tolist() == [500_000]
    assert ((new["group_id"] == 0) & (new["rank"] == 1)).sum() == 1  # its alternative stays


def test_without_a_schedule_a_level_monthly_annuity_is_assumed():
    p = product(1, ())
    payments = repayment.unit_payments(p, "cacao")
    assert [m for m, _ in payments] == list(range(1, 13))
    assert len({v for _, v in payments}) == 1
    assert np.isfinite(repayment.afford_factor(p, "cacao", PARAMS))
