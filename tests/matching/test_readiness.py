"""Readiness: a monotonic scorecard, and a trained model that finds a planted logistic law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.readiness import FACTORS, Scorecard, TrainedReadiness, score
from matching.types import MatchParams


def make_producers(n, seed=0):
    """n random eligible producers of cacao and cafe."""
    rng = np.random.default_rng(seed)
    ha = rng.uniform(2.0, 20.0, n)
    yld = rng.uniform(200.0, 1_200.0, n)
    return pd.DataFrame(
        {
            "producer_id": np.arange(1, n + 1),
            "value_chain": rng.choice(["cacao", "cafe"], n),
            "productive_ha": ha,
            "yield_kg_ha": yld,
            "plant_age_years": rng.uniform(1.0, 40.0, n),
            "associated": rng.random(n) < 0.5,
            "certified": rng.random(n) < 0.3,
            "agroforestry": rng.random(n) < 0.4,
            "land_title": rng.random(n) < 0.5,
            "cleared_after_cutoff": rng.choice(["no", "unknown"], n),
            "pledged_kg": ha * yld * rng.uniform(0.0, 1.0, n),
        }
    )


BASE = {
    "producer_id": 1,
    "value_chain": "cacao",
    "productive_ha": 5.0,
    "yield_kg_ha": 500.0,
    "plant_age_years": 10.0,
    "associated": False,
    "certified": False,
    "agroforestry": False,
    "land_title": False,
    "cleared_after_cutoff": "no",
    "pledged_kg": 0.0,
}


@pytest.mark.parametrize(
    ("column", "worse", "better"),
    [
        ("pledged_kg", 0.0, 1_000.0),
        ("pledged_kg", 1_000.0, 2_500.0),
        ("productive_ha", 2.0, 10.0),
        ("yield_kg_ha", 300.0, 700.0),
        ("plant_age_years", 40.0, 10.0),
        ("associated", False, True),
        ("certified", False, True),
        ("land_title", False, True),
        ("agroforestry", False, True),
        ("cleared_after_cutoff", "unknown", "no"),
    ],
)
def test_scorecard_is_monotonic_in_each_factor(column, worse, better):
    reference = pd.DataFrame([BASE] * 3).assign(yield_kg_ha=[300.0, 500.0, 700.0])
    card = Scorecard().fit(reference)
    rows = pd.DataFrame([{**BASE, column: worse}, {**BASE, column: better}])
    low, high = card.predict_proba(rows)
    assert 0.0 < low < high < 1.0


def test_scorecard_explains_with_factor_codes():
    card = Scorecard().fit(pd.DataFrame([BASE]))
    row = pd.Series({**BASE, "land_title": True, "pledged_kg": 2_500.0})
    reasons = card.explain(row)
    assert 1 <= len(reasons) <= 3
    assert ("market", "+") in reasons
    assert all(code in FACTORS and d in "+-" for code, d in reasons)


def planted_outcomes(producers, seed=1):
    """Repayments from a known logistic law where the land title dominates."""
    rng = np.random.default_rng(seed)
    logit = (
        -0.3
        + 2.5 * np.where(producers["land_title"], 1.0, -1.0)
        + 0.3 * np.where(producers["associated"], 1.0, -1.0)
    )
    repaid = rng.random(len(producers)) < 1.0 / (1.0 + np.exp(-logit))
    # three campaigns, the latest (2025) a third of the loans
    campaign = 2023 + np.arange(len(producers)) % 3
    return pd.DataFrame(
        {"producer_id": producers["producer_id"], "repaid": repaid, "campaign": campaign}
    )


def test_trained_model_used_with_enough_outcomes_and_finds_planted_factor():
    producers = make_producers(600)
    outcomes = planted_outcomes(producers)
    table, info = score(producers, outcomes, MatchParams(min_outcomes=200))
    assert info["kind"] == "trained"
    assert info["auc"] > 0.7
    assert 0.0 <= info["brier"] < 0.25
    assert info["n_outcomes"] == 600
    assert info["version"].startswith("lr-600-")
    assert table["readiness"].between(0.0, 1.0).all()
    first = table["explanation"].map(lambda e: e[0])
    expected = np.where(producers["land_title"], "+", "-")
    assert (first == list(zip(["land_title"] * 600, expected, strict=True))).mean() > 0.95
    titled = table["readiness"][producers["land_title"].to_numpy()].mean()
    untitled = table["readiness"][~producers["land_title"].to_numpy()].mean()
    assert titled > untitled + 0.3


def test_scorecard_used_below_min_outcomes():
    producers = make_producers(600)
    outcomes = planted_outcomes(producers)
    _, info = score(producers, outcomes.iloc[:150], MatchParams(min_outcomes=200))
    assert info["kind"] == "scorecard"
    assert info["n_outcomes"] == 150
    table, info = score(producers, None, MatchParams())
    assert info["kind"] == "scorecard"
    assert table["explanation"].map(len).between(1, 3).all()


def test_trained_model_is_deterministic_and_checks_fitted():
    producers = make_producers(400, seed=3)
    outcomes = planted_outcomes(producers, seed=4)
    a = TrainedReadiness(seed=7).fit(producers, outcomes)
    b = TrainedReadiness(seed=7).fit(producers, outcomes)
    assert a.version_ == b.version_
    assert a.metrics_ == b.metrics_
    np.testing.assert_array_equal(a.predict_proba(producers), b.predict_proba(producers))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TrainedReadiness().predict_proba(producers)
