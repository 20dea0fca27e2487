"""The whole run on a synthetic world with planted villages, eligibility and products."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from matching import pipeline, repayment
from matching.allocation import haversine_km
from matching.eligibility import REASONS
from matching.profiles import NO_TYPOLOGY, TRAITS, TYPICAL, parse_code
from matching.readiness import FACTORS
from matching.types import PRODUCER_COLUMNS, SUBSISTENCE, CreditProduct, MatchParams

# three districts ~110 km apart; in each, one cacao and one cafe village (planted groups)
DISTRICTS = {"D1": (-6.0, -77.0), "D2": (-7.0, -77.0), "D3": (-8.0, -77.0)}
CHAINS = ("cacao", "cafe")
PER_VILLAGE = 24


def world(seed: int = 7) -> pd.DataFrame:
    """Producers: 6 villages of PER_VILLAGE, with some small farms and missing consents."""
    rng = np.random.default_rng(seed)
    rows = []
    village = 0
    for district, (lat, lon) in DISTRICTS.items():
        for c, chain in enumerate(CHAINS):
            n = PER_VILLAGE
            centre = (lat + 0.1 * c, lon + 0.1 * c)  # cacao and cafe villages ~15 km apart
            frame = pd.DataFrame(
                {
                    "gender": rng.choice(["female", "male"], n),
                    "country": "PE",
                    "district_code": district,
                    "lat": centre[0] + rng.normal(0, 0.005, n),
                    "lon": centre[1] + rng.normal(0, 0.005, n),
                    "value_chain": chain,
                    "productive_ha": 2.5 + rng.lognormal(np.log(2), 0.5, n),
                    "yield_kg_ha": rng.normal(700 if chain == "cacao" else 900, 80, n),
                    "plant_age_years": rng.uniform(3, 25, n),
                    "associated": rng.random(n) < 0.6,
                    "certified": rng.random(n) < 0.3,
                    "agroforestry": rng.random(n) < 0.5,
                    "land_title": rng.random(n) < 0.7,
                    "cleared_after_cutoff": "no",
                    "consent_lenders": True,
                    "village": village,
                }
            )
            frame["total_ha"] = frame["productive_ha"] * 1.5
            frame["forest_ha"] = frame["productive_ha"] * 0.3
            frame["pledged_kg"] = frame["productive_ha"] * 100.0
            # planted ineligibles: 3 small farms, 2 without consent, 1 cleared per village
            frame.loc[0:2, "productive_ha"] = 1.0
            frame.loc[3:4, "consent_lenders"] = False
            frame.loc[5, "cleared_after_cutoff"] = "yes"
            rows.append(frame)
            village += 1
    producers = pd.concat(rows, ignore_index=True)
    producers.insert(0, "producer_id", np.arange(1000, 1000 + len(producers)))
    return producers[[*PRODUCER_COLUMNS, "village"]]


PRODUCTS = [
    # cacao in D1 and D2 by district; budget for one group (a group asks ~2.7-3.1M: monthly
    # instalments against off-harvest income)
    CreditProduct(
        product_id=1, lender_id=1, currency="PEN", value_chains=("cacao",),
        districts=("D1", "D2"), min_amount_minor=1, max_amount_minor=2_000_000,
        budget_minor=4_000_000, annual_rate=0.28, term_months=12,
    ),
    # cafe through a branch in D3 (50 km radius), plenty of budget, offtake required
    CreditProduct(
        product_id=2, lender_id=2, currency="PEN", value_chains=("cafe",),
        branches=((-7.9, -76.9),), radius_km=50.0, min_amount_minor=1,
        max_amount_minor=5_000_000, budget_minor=100_000_000, requires_offtake=True,
        annual_rate=0.22, term_months=12,
    ),
    # a product with no budget: never chosen
    CreditProduct(
        product_id=3, lender_id=3, currency="PEN", value_chains=("cacao", "cafe"),
        districts=("D1", "D2", "D3"), min_amount_minor=1, max_amount_minor=5_000_000,
        budget_minor=0,
    ),
]  # fmt: skip
PARAMS = MatchParams(seed=11, group_min=5, group_max=30, group_radius_km=5.0)


@pytest.fixture(scope="module")
def producers():
    return world()


@pytest.fixture(scope="module")
def result(producers):
    calls = []
    res = pipeline.run(
        producers.drop(columns="village"),
        PRODUCTS,
        params=PARAMS,
        progress=lambda stage, f: calls.append((stage, f)),
    )
    res.calls = calls
    return res


def test_progress_reported_for_every_stage(result):
    stages = [s for s, _ in result.calls]
    fractions = [f for _, f in result.calls]
    assert stages == list(pipeline.STAGES)
    assert all(a < b for a, b in zip(fractions, fractions[1:], strict=False))
    assert fractions[-1] == 1.0


def test_planted_eligibility_and_groups(result, producers):
    out = result.producers.merge(producers[["producer_id", "village"]], on="producer_id")
    assert out["eligible"].sum() == 6 * (PER_VILLAGE - 6)
    assert (out.loc[~out["eligible"], "group_id"] == -1).all()
    assert (out.loc[producers["productive_ha"].to_numpy() < 2, "archetype"] == SUBSISTENCE).all()
    grouped = out[out["group_id"] >= 0]
    # a group never mixes villages nor archetypes; every village x archetype with enough
    # eligible producers for a group is recovered as exactly one group of all of them
    assert grouped.groupby("group_id")[["village", "archetype"]].nunique().eq(1).all().all()
    cells = out[out["eligible"]].groupby(["village", "archetype"]).size()
    big = cells[cells >= PARAMS.group_min]
    found = grouped.groupby(["village", "archetype"])["group_id"].agg(["nunique", "size"])
    assert found["nunique"].eq(1).all()
    assert found["size"].sort_index().tolist() == big.sort_index().tolist()
    assert len(result.groups) == len(big)
    assert result.groups["archetype"].notna().all()
    assert result.groups["readiness_min"].le(result.groups["readiness_mean"]).all()


def test_budgets_respected_and_pairs_feasible(result):
    chosen = result.matches[result.matches["rank"] == 0]
    assert not chosen["group_id"].duplicated().any()
    for p in PRODUCTS:
        used = chosen.loc[chosen["product_id"] == p.product_id, "amount_minor"].sum()
        assert used <= p.budget_minor
        assert result.metrics["budget_used"][p.product_id] == {
            "used": int(used),
            "budget": p.budget_minor,
        }
    groups = result.groups.set_index("group_id")
    for row in chosen.itertuples():
        g = groups.loc[row.group_id]
        if row.product_id == 1:
            assert g["value_chain"] == "cacao" and g["district_code"] in ("D1", "D2")
        else:
            assert row.product_id == 2 and g["value_chain"] == "cafe"
            assert haversine_km(g["lat"], g["lon"], -7.9, -76.9) <= 50
    # planted answer: the D3 cafe village via product 2 (the only one in the branch's
    # radius), and the best-scoring cacao village of D1/D2 via product 1 (budget for one)
    assert sorted(chosen["product_id"]) == [1, 2]
    cafe = chosen.loc[chosen["product_id"] == 2, "group_id"]
    assert groups.loc[cafe, "district_code"].tolist() == ["D3"]
    cacao = groups[(groups["value_chain"] == "cacao") & groups["district_code"].isin(["D1", "D2"])]
    best = (cacao["size"] * cacao["readiness_mean"]).idxmax()
    assert chosen.loc[chosen["product_id"] == 1, "group_id"].tolist() == [best]


def test_metrics_and_fairness(result):
    m = result.metrics
    assert m["n_producers"] == 6 * PER_VILLAGE
    chosen = result.matches[result.matches["rank"] == 0]
    assert m["n_groups"] == len(result.groups) and m["matched_groups"] == len(chosen) == 2
    sizes = result.groups.set_index("group_id").loc[chosen["group_id"], "size"]
    assert m["producers_financed"] == sizes.sum() == result.producers["financed"].sum()
    assert m["outside_coverage"] == 0
    assert m["groups_one_archetype"] == m["groups_one_cooperative"] == 1.0
    assert m["match_rate"] == pytest.approx(sizes.sum() / m["n_eligible"])
    assert set(m["match_rate_by_gender"]) == {"female", "male"}
    assert all(0 <= v <= 1 for v in m["match_rate_by_gender"].values())
    assert set(m["match_rate_by_archetype"]) <= set(result.producers["archetype"])
    assert PARAMS.k_min <= m["k"] <= PARAMS.k_max
    for key in ("silhouette", "model_kind", "model_version", "auc", "brier"):
        assert key in m
    # the silhouette curve, the reference without types and the decision, as JSON
    assert set(m["silhouettes"]) == {str(k) for k in range(PARAMS.k_min, PARAMS.k_max + 1)}
    assert m["silhouette"] is not None and m["silhouette_reference"] is not None
    assert m["typology_clear"] == (
        max(v for v in m["silhouettes"].values() if v is not None) >= m["typology_min_silhouette"]
        and max(v for v in m["silhouettes"].values() if v is not None) - m["silhouette_reference"]
        >= m["typology_min_gain"]
    )
    assert m["n_types"] == len(set(result.producers["archetype"]) - {SUBSISTENCE})


def test_the_run_speaks_in_codes_not_in_any_language(result):
    """Archetypes, reasons and explanations are codes the application words for its users."""
    codes = set(result.producers["archetype"]) | set(result.archetypes["archetype"])
    codes |= set(result.metrics["match_rate_by_archetype"])
    codes |= {row["archetype"] for row in result.state["archetypes"]}
    for code in codes:
        assert re.fullmatch(r"[a-z_]+(\+[a-z_]+)*(:[a-z_]+)?(:\d+)?", code), code
        parts = parse_code(code)
        known = parts.type in (SUBSISTENCE, TYPICAL, NO_TYPOLOGY) or parts.traits
        assert known and set(parts.traits) <= set(TRAITS), code
        assert parts.value_chain in (None, *CHAINS), code
    reasons = {r for rs in result.producers["reasons"] for r in rs}
    assert reasons and reasons <= set(REASONS)
    factors = {item for items in result.producers["explanation"] for item in items}
    assert factors and all(code in FACTORS and sign in "+-" for code, sign in factors)


def test_deterministic_for_a_seed(result, producers):
    again = pipeline.run(producers.drop(columns="village"), PRODUCTS, params=PARAMS)
    pd.testing.assert_frame_equal(again.producers, result.producers)
    pd.testing.assert_frame_equal(again.groups, result.groups)
    pd.testing.assert_frame_equal(again.matches, result.matches)
    pd.testing.assert_frame_equal(again.archetypes, result.archetypes)


def test_names_stable_with_previous(result, producers):
    shuffled = producers.drop(columns="village").sample(frac=1.0, random_state=3)
    again = pipeline.run(shuffled, PRODUCTS, params=PARAMS, previous=result.state)
    before = result.producers.set_index("producer_id")["archetype"]
    after = again.producers.set_index("producer_id")["archetype"].reindex(before.index)
    # same farms, same types: every type keeps its name
    pairs = pd.crosstab(before, after)
    assert (pairs.gt(0).sum(axis=1) == 1).all()
    assert set(before) == set(after)


def test_no_products_and_nobody_eligible(producers):
    res = pipeline.run(producers.drop(columns="village"), [], params=PARAMS)
    assert res.matches.empty and res.metrics["matched_groups"] == 0
    none = producers.drop(columns="village").assign(consent_lenders=False)
    res = pipeline.run(none, PRODUCTS, params=PARAMS)
    assert res.metrics["n_eligible"] == 0 and res.groups.empty and res.matches.empty
    assert res.metrics["match_rate"] == 0.0


def test_requests_sized_at_the_product_most_likely_to_serve(producers):
    def sized(products):
        which, _ = pipeline.likely_products(producers, products, PARAMS)
        return np.array([products[i].product_id if i >= 0 else -1 for i in which])

    chain, district = producers["value_chain"], producers["district_code"]
    got = sized(PRODUCTS)
    # product 3 has no budget: ignored; cacao of D3 (no product covers it) falls back to the
    # cheapest product serving cacao; cafe of D1/D2 likewise to product 2
    assert (got[chain == "cacao"] == 1).all()
    assert (got[chain == "cafe"] == 2).all()
    # a dearer product with a larger budget covering D1 is the likelier: D1's cacao sized there
    big = replace(PRODUCTS[0], product_id=4, budget_minor=50_000_000, annual_rate=0.40,
                  districts=("D1",))  # fmt: skip
    small_d3 = replace(PRODUCTS[2], budget_minor=1, annual_rate=0.1, districts=("D3",))
    got = sized([PRODUCTS[0], PRODUCTS[1], small_d3, big])
    assert (got[(chain == "cacao") & (district == "D1")] == 4).all()
    assert (got[(chain == "cacao") & (district == "D2")] == 1).all()
    assert (got[(chain == "cacao") & (district == "D3")] == 3).all()  # the only one covering
    assert (got[(chain == "cafe") & (district == "D3")] == 2).all()  # branch, larger budget
    assert (pipeline.likely_products(producers, [], PARAMS)[0] == -1).all()
    # product 2 requires offtake: a cafe producer pledging nothing is not sized at it
    unpledged = producers.assign(pledged_kg=0.0)
    assert (pipeline.likely_products(unpledged, PRODUCTS, PARAMS)[0][chain == "cafe"] == -1).all()


def test_producers_whose_income_is_unknown_stay_out_of_groups():
    producers = world()
    unknown = producers.index[producers["village"] == 0][10:13]
    producers.loc[unknown, "yield_kg_ha"] = np.nan
    out = pipeline.run(producers, PRODUCTS).producers.set_index("producer_id")
    rows = out.loc[producers.loc[unknown, "producer_id"]]
    assert not rows["eligible"].any()
    assert (rows["group_id"] == -1).all() and (rows["requested_minor"] == 0).all()
    assert all(reasons == ("no_expected_income",) for reasons in rows["reasons"])
    # the rest of their village is still grouped and nobody else asks for nothing
    grouped = out[out["group_id"] >= 0]
    assert len(grouped) and (grouped["requested_minor"] > 0).all()


def test_producers_who_join_later_get_the_archetype_the_fitted_model_gives():
    from matching.archetypes import assign

    producers = world()
    result = pipeline.run(producers, PRODUCTS)
    state = result.state
    # everyone in the run: the stored state reproduces the model's own labels
    again = assign(producers, state["archetypes"], state["classifier"], MatchParams())
    expected = result.producers.set_index("producer_id")["archetype"]
    assert (again.reindex(expected.index) == expected).all()
    # a newcomer under the area threshold is subsistence whatever else they have
    newcomer = producers.iloc[[5]].assign(producer_id=99_999, productive_ha=0.5)
    assert assign(newcomer, state["archetypes"], state["classifier"], MatchParams()).iloc[0] == (
        SUBSISTENCE
    )


def test_members_outside_the_chosen_product_are_not_financed_and_say_why():
    producers = world()
    first = pipeline.run(producers.drop(columns="village"), PRODUCTS, params=PARAMS)
    # in every cacao group of D1 and D2 (product 1's districts), one member's farm is
    # registered just across the district line: same place, a district product 1 does not list
    out = first.producers.merge(producers[["producer_id", "district_code"]], on="producer_id")
    cacao = first.groups.query("value_chain == 'cacao' and district_code in ('D1', 'D2')")
    moved = out[out["group_id"].isin(cacao["group_id"])].groupby("group_id")["producer_id"].first()
    producers.loc[producers["producer_id"].isin(moved), "district_code"] = "D1X"
    res = pipeline.run(producers.drop(columns="village"), PRODUCTS, params=PARAMS)
    rows = res.producers.set_index("producer_id")
    chosen = res.matches.query("rank == 0 and product_id == 1")
    assert len(chosen) == 1
    members = rows[rows["group_id"] == chosen["group_id"].iloc[0]]
    outside = members.index.isin(moved)
    assert outside.sum() == 1  # the moved member is still in her group ...
    left_out = members[outside].iloc[0]
    assert "outside_coverage" in left_out["reasons"] and not left_out["financed"]
    assert left_out["eligible"]  # ... eligible, but not financed by a product not covering her
    assert members[~outside]["financed"].all()
    assert not any("outside_coverage" in r for r in members[~outside]["reasons"])
    # the pair counted only the covered members' requests
    assert chosen["amount_minor"].iloc[0] == members[~outside]["requested_minor"].sum()
    assert res.metrics["outside_coverage"] == 1
    assert res.metrics["producers_financed"] == rows["financed"].sum()


def test_the_same_result_whatever_the_producers_row_order():
    producers = world().drop(columns="village")
    producers["cooperative_id"] = np.where(np.arange(len(producers)) % 3 == 0, -1, 5)
    first = pipeline.run(producers, PRODUCTS, params=PARAMS)
    shuffled = pipeline.run(producers.sample(frac=1.0, random_state=4), PRODUCTS, params=PARAMS)
    pd.testing.assert_frame_equal(first.producers, shuffled.producers)
    pd.testing.assert_frame_equal(first.groups, shuffled.groups)
    pd.testing.assert_frame_equal(first.matches, shuffled.matches)
    assert first.metrics["groups_one_cooperative"] == 1.0
    assert first.metrics["groups_one_archetype"] == 1.0


def test_a_producer_whose_income_carries_no_covering_minimum_stays_out_of_groups(producers):
    frame = producers.drop(columns="village")
    cacao = frame["value_chain"].eq("cacao") & frame["district_code"].isin(["D1", "D2"])
    eligible = frame["consent_lenders"] & frame["cleared_after_cutoff"].ne("yes")
    rows = frame[cacao & eligible & (frame["productive_ha"] >= PARAMS.min_productive_ha)]
    # what each can carry under product 1's schedule (a level monthly annuity here)
    cap = np.fmin(
        rows["productive_ha"] * PARAMS.input_cost_per_ha["cacao"],
        repayment.afford_cap(
            PRODUCTS[0], rows["value_chain"], repayment.annual_income(rows, PARAMS), PARAMS
        ),
    )
    ticket = int(np.median(cap))
    p1 = replace(PRODUCTS[0], min_amount_minor=ticket)
    # a larger product covering the same places whose minimum no one carries
    p4 = replace(p1, product_id=4, budget_minor=90_000_000, min_amount_minor=10**12)
    which, short = pipeline.likely_products(rows, [p1, PRODUCTS[1], PRODUCTS[2], p4], PARAMS)
    carries = cap.to_numpy() >= ticket
    assert carries.any() and (~carries).any()
    assert (which[carries] == 0).all()  # p1, not the larger p4 she cannot carry
    assert (short == ~carries).all()
    out = pipeline.run(frame, [p1, PRODUCTS[1], PRODUCTS[2]], params=PARAMS).producers
    out = out.set_index("producer_id").loc[rows["producer_id"]]
    assert (out["eligible"].to_numpy() == carries).all()
    assert all(r == (repayment.UNAFFORDABLE,) for r in out["reasons"][~carries])
    assert (out["group_id"][~carries] == -1).all()


def test_financed_amounts_add_up_to_each_chosen_match(result):
    out, matches = result.producers, result.matches
    chosen = matches[matches["rank"] == 0].set_index("group_id")["amount_minor"]
    financed = out[out["financed_minor"] > 0].groupby("group_id")["financed_minor"].sum()
    assert financed.to_dict() == chosen.to_dict()
    # never more than what she asked, and only members of chosen groups are financed
    assert (out["financed_minor"] <= out["requested_minor"]).all()
    assert not out.loc[~out["group_id"].isin(chosen.index), "financed_minor"].any()
    figures = result.metrics["repayment"]
    assert figures["financed_members"] == int((out["financed_minor"] > 0).sum())
    assert set(figures["excluded"]) == set(repayment.CODES)
    # the cafe group's offtake product: its financed members' pledges are 100 kg a ha
    share = figures["offtake_median_financed_pledged_share"]
    assert figures["offtake_groups"] == 1 and share == pytest.approx(100 / 900, rel=0.2)


def test_missing_text_values_run_as_before_the_columns_were_coded():
    # the run codes its text columns once (categoricals); a missing gender, district or
    # clearing answer must still read as it did: undisclosed, no district, not "yes"
    producers = world().drop(columns="village")
    holes = np.arange(len(producers)) % 7 == 0
    producers["gender"] = producers["gender"].astype(object).where(~holes, None)
    producers["cleared_after_cutoff"] = producers["cleared_after_cutoff"].where(~holes, None)
    producers.loc[np.arange(len(producers)) % 11 == 0, "district_code"] = None
    result = pipeline.run(producers, PRODUCTS, params=PARAMS)
    funnel = result.metrics["fairness"][0]["by_gender"]
    assert funnel["undisclosed"]["n"] == int(holes.sum())
    assert sum(row["n"] for row in funnel.values()) == len(producers)
    cleared = result.producers["reasons"].map(lambda r: "cleared_after_cutoff" in r)
    assert not cleared[holes].any()
