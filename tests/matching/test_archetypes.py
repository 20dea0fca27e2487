"""Archetypes: planted farm types recovered, coded by the rules, codes stable across runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from matching.archetypes import TypologyModel, classify, state
from matching.features import feature_frame
from matching.profiles import ArchetypeCode, align, describe, name_types, parse_code
from matching.types import SUBSISTENCE, MatchParams

# code the rules should give -> (median ha, yield, forest share, age, assoc, cert, agrofor, chain)
PLANTED = {
    "consolidated_associated": (12.0, 900.0, 0.05, 15.0, 1, 0, 0, "cacao"),
    "emerging_independent": (3.0, 400.0, 0.05, 5.0, 0, 0, 0, "cafe"),
    "agroforestry": (3.5, 300.0, 0.60, 25.0, 1, 0, 1, "madera"),
    "certified": (6.0, 1200.0, 0.10, 10.0, 1, 1, 0, "miel"),
}


def planted_producers(n_per_type: int, seed: int, n_small: int = 0, start_id: int = 1):
    """Producers of the planted types (plus ``n_small`` under 2 ha); returns (frame, truth)."""
    rng = np.random.default_rng(seed)
    parts, truth = [], []
    for name, (ha, yld, forest, age, assoc, cert, agro, chain) in PLANTED.items():
        n = n_per_type
        productive = ha * np.exp(rng.normal(0, 0.08, n))
        total = productive / (1 - forest) * rng.uniform(0.98, 1.02, n)
        parts.append(
            pd.DataFrame(
                {
                    "productive_ha": productive,
                    "total_ha": total,
                    "forest_ha": total * np.clip(forest + rng.normal(0, 0.02, n), 0, 1),
                    "yield_kg_ha": yld * np.exp(rng.normal(0, 0.08, n)),
                    "plant_age_years": np.clip(age + rng.normal(0, 1.5, n), 0, None),
                    "associated": np.full(n, bool(assoc)),
                    "certified": np.full(n, bool(cert)),
                    "agroforestry": np.full(n, bool(agro)),
                    "value_chain": chain,
                }
            )
        )
        truth += [name] * n
    if n_small:
        parts.append(
            pd.DataFrame(
                {
                    "productive_ha": rng.uniform(0.2, 1.9, n_small),
                    "total_ha": 2.5,
                    "forest_ha": 0.3,
                    "yield_kg_ha": 350.0,
                    "plant_age_years": 8.0,
                    "associated": False,
                    "certified": False,
                    "agroforestry": False,
                    "value_chain": "cacao",
                }
            )
        )
        truth += ["small"] * n_small
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(0, "producer_id", np.arange(start_id, start_id + len(frame)))
    frame["consent_lenders"] = True
    frame["cleared_after_cutoff"] = "no"
    return frame, np.array(truth, dtype=object)


PARAMS = MatchParams(seed=7, k_min=2, k_max=6)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # The fits here are tiny: BLAS and OpenMP threads cost ~100x more than it saves.
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def run1():
    producers, truth = planted_producers(250, seed=1, n_small=60)
    labels, model, profile = classify(producers, PARAMS)
    return producers, truth, labels, model, profile


@parametrize_with_checks(
    [
        TypologyModel(k_min=2, k_max=3, n_init=1, random_state=0),
        TypologyModel(k_min=2, k_max=3, method="gmm", n_init=1, random_state=0),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_k_chosen_by_silhouette_and_planted_types_recovered(run1):
    producers, truth, labels, model, profile = run1
    typology = model.named_steps["typology"]
    assert typology.n_clusters_ == 4
    assert max(typology.silhouettes_, key=typology.silhouettes_.get) == 4
    assert 0 < typology.silhouette_ <= 1
    big = truth != "small"
    assert adjusted_rand_score(truth[big], typology.labels_) > 0.9


def test_names_follow_the_rules(run1):
    producers, truth, labels, model, profile = run1
    got = labels.to_numpy()
    for name in PLANTED:
        assert (got[truth == name] == name).mean() > 0.95, name
    assert set(profile["archetype"]) == set(PLANTED) | {SUBSISTENCE}


def test_under_threshold_is_subsistence(run1):
    producers, truth, labels, model, profile = run1
    small = producers["productive_ha"].to_numpy() < PARAMS.min_productive_ha
    assert small.sum() == 60
    assert (labels.to_numpy()[small] == SUBSISTENCE).all()
    assert (labels.to_numpy()[~small] != SUBSISTENCE).all()
    assert list(labels.index) == list(producers["producer_id"])
    assert profile.loc[-1, "n"] == 60


def test_profile_in_real_units(run1):
    producers, truth, labels, model, profile = run1
    row = profile.set_index("archetype").loc["consolidated_associated"]
    assert row["median_productive_ha"] == pytest.approx(12.0, rel=0.05)
    assert row["share_associated"] == 1.0
    assert row["main_value_chain"] == "cacao"
    assert row["n"] == 250


def test_names_stable_across_runs_with_other_seed_and_order(run1):
    producers, truth, labels, model, profile = run1
    # recode the first run's types arbitrarily: the second run must inherit these codes
    previous = profile.copy()
    custom = {name: f"type_{i}" for i, name in enumerate(PLANTED)}
    previous["archetype"] = previous["archetype"].map(lambda n: custom.get(n, n))
    fresh, fresh_truth = planted_producers(200, seed=99, n_small=10, start_id=10_000)
    order = np.random.default_rng(3).permutation(len(fresh))
    fresh, fresh_truth = fresh.iloc[order].reset_index(drop=True), fresh_truth[order]
    for prev in (previous, state(model, previous)):
        labels2, _, profile2 = classify(fresh, MatchParams(seed=123, k_min=2, k_max=6), prev)
        got = labels2.to_numpy()
        for name, new_name in custom.items():
            assert (got[fresh_truth == name] == new_name).mean() > 0.95
        assert (got[fresh_truth == "small"] == SUBSISTENCE).all()


def test_predict_classifies_new_producers(run1):
    producers, truth, labels, model, profile = run1
    new, new_truth = planted_producers(20, seed=5, start_id=50_000)
    names = profile["archetype"].drop(index=-1)
    predicted = names.loc[model.predict(feature_frame(new))].to_numpy()
    assert (predicted == new_truth).mean() > 0.95


def test_gmm_recovers_planted_types():
    producers, truth = planted_producers(150, seed=2)
    features = feature_frame(producers)
    from matching.features import make_preprocessor

    X = make_preprocessor().fit_transform(features)
    model = TypologyModel(k_min=2, k_max=5, method="gmm", random_state=0).fit(X)
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(truth, model.labels_) > 0.9


def test_sampled_fit_matches_full_fit():
    producers, truth = planted_producers(400, seed=4)
    from matching.features import make_preprocessor

    X = make_preprocessor().fit_transform(feature_frame(producers))
    model = TypologyModel(k_min=2, k_max=5, random_state=0, sample_size=300).fit(X)
    assert model.n_clusters_ == 4
    assert adjusted_rand_score(truth, model.labels_) > 0.9
    assert np.array_equal(model.predict(X), model.labels_)


def test_fit_is_deterministic_for_a_seed():
    producers, _ = planted_producers(100, seed=8)
    X = feature_frame(producers).to_numpy()
    a = TypologyModel(k_min=2, k_max=5, random_state=3, sample_size=200).fit(X)
    b = TypologyModel(k_min=2, k_max=5, random_state=3, sample_size=200).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert np.allclose(a.cluster_centers_, b.cluster_centers_)


def _profile(**rows):
    base = {
        "n": 10,
        "median_productive_ha": 3.0,
        "median_yield_kg_ha": 500.0,
        "share_associated": 0.0,
        "share_certified": 0.0,
        "share_agroforestry": 0.0,
        "median_forest_share": 0.0,
        "main_value_chain": "cacao",
    }
    return pd.DataFrame([{**base, **row} for row in rows.values()])


def test_name_rules():
    profile = _profile(
        a={"median_productive_ha": 8.0, "share_associated": 0.7},
        b={"median_productive_ha": 8.0, "share_associated": 0.2},
        c={"median_productive_ha": 3.0, "share_associated": 0.5},
        d={"median_productive_ha": 3.0},
        e={"median_forest_share": 0.5, "share_certified": 0.9},
        f={"share_agroforestry": 0.6},
        g={"share_certified": 0.5, "median_productive_ha": 9.0, "main_value_chain": "cafe"},
    )
    assert name_types(profile) == [
        "consolidated_associated",
        "consolidated_independent",
        "emerging_associated",
        "emerging_independent",
        "agroforestry:cacao",
        "agroforestry:cacao:2",
        "certified",
    ]


def test_repeated_names_get_the_value_chain():
    profile = _profile(a={"main_value_chain": "cafe"}, b={"main_value_chain": "miel"}, c={})
    assert name_types(profile) == [
        "emerging_independent:cafe",
        "emerging_independent:miel",
        "emerging_independent:cacao",
    ]
    assert name_types(profile.iloc[[2]], taken={"emerging_independent"}) == [
        "emerging_independent:cacao"
    ]


def test_two_types_of_one_chain_are_told_apart_by_yield():
    profile = _profile(
        a={"median_yield_kg_ha": 450.0},
        b={"median_yield_kg_ha": 900.0},
        c={"median_productive_ha": 8.0},
        d={"median_productive_ha": 8.0, "median_yield_kg_ha": 530.0},
    )
    assert name_types(profile) == [
        "emerging_independent:cacao:low",
        "emerging_independent:cacao:high",
        "consolidated_independent:cacao",  # yields too close to tell apart
        "consolidated_independent:cacao:2",
    ]


def test_a_code_splits_into_its_parts():
    assert parse_code("certified") == ArchetypeCode("certified")
    assert parse_code("emerging_independent:cafe:high:3") == ArchetypeCode(
        "emerging_independent", value_chain="cafe", yield_rank="high", ordinal=3
    )
    assert parse_code("agroforestry:2") == ArchetypeCode("agroforestry", ordinal=2)
    assert parse_code("Tipo libre") == ArchetypeCode("Tipo libre")


def test_align_recovers_a_permutation():
    rng = np.random.default_rng(0)
    old = rng.normal(size=(5, 3)) * 10
    perm = rng.permutation(5)
    new = old[perm] + rng.normal(scale=0.1, size=(5, 3))
    assert np.array_equal(align(old, new), perm)
    extra = np.vstack([new, [[100.0, 100.0, 100.0]]])
    assert np.array_equal(align(old, extra), np.append(perm, -1))
    assert sorted(align(old, new[:3])) == sorted(perm[:3])


def test_describe_counts_and_main_chain():
    producers, truth = planted_producers(30, seed=6)
    codes = pd.Series(truth).astype("category").cat.codes.to_numpy()
    profile = describe(producers, codes)
    assert profile["n"].tolist() == [30, 30, 30, 30]
    assert set(profile["main_value_chain"]) == {"cacao", "cafe", "madera", "miel"}


def test_too_few_to_type_and_all_small():
    producers, _ = planted_producers(1, seed=9, n_small=3)  # 4 typed rows: under k_min + 1
    labels, model, profile = classify(producers, MatchParams(k_min=4, k_max=6))
    assert model is None
    assert labels.iloc[:4].nunique() == 1 and labels.iloc[0] != SUBSISTENCE
    assert (labels.iloc[4:] == SUBSISTENCE).all()
    small = producers.iloc[4:]
    labels, model, profile = classify(small, MatchParams())
    assert model is None and (labels == SUBSISTENCE).all()
    assert state(model, profile) == {}
