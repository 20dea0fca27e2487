"""Out-of-time validation: the latest campaign is the test, the intervals cover the truth,
too few outcomes keep the scorecard (planted worlds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from matching import validation
from matching.readiness import TrainedReadiness, score
from matching.types import MatchParams
from tests.matching.test_readiness import make_producers


def outcomes_for(producers, campaigns, title_sign=None, seed=1):
    """Outcomes where the land title drives repayment; `title_sign` per campaign flips it."""
    rng = np.random.default_rng(seed)
    n = len(producers)
    campaign = np.asarray(campaigns)[np.arange(n) % len(campaigns)]
    sign = np.ones(n) if title_sign is None else np.vectorize(title_sign.get)(campaign)
    title = np.where(producers["land_title"], 1.0, -1.0)
    logit = 0.5 + 2.0 * sign * title
    repaid = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {"producer_id": producers["producer_id"], "repaid": repaid, "campaign": campaign}
    )


def test_split_tests_on_the_latest_campaign_only():
    campaign = np.array([2023, 2025, 2024, 2025, np.nan, 2026])
    train, test, latest = validation.out_of_time(campaign[:5])
    assert latest == 2025
    assert test.tolist() == [False, True, False, True, False]
    assert train.tolist() == [True, False, True, False, False]
    # 2026 has one outcome, fewer than 2: the test stays 2025 and 2026 is in neither
    train, test, latest = validation.out_of_time(campaign, min_test=2)
    assert latest == 2025 and not train[5] and not test[5]
    # 2025's two outcomes are both repaid: with one of each kind required, 2024 is the test
    campaign = np.array([2023, 2024, 2024, 2025, 2025])
    repaid = np.array([True, True, False, True, True])
    train, test, latest = validation.out_of_time(campaign, repaid, min_test=1, min_class=1)
    assert latest == 2024 and train.tolist() == [True, False, False, False, False]
    assert test.tolist() == [False, True, True, False, False]


def test_a_campaign_mostly_still_running_is_not_the_test():
    """2026 has many closed loans (early repayers of a big campaign) but most of its loans
    still run: 2025 is the test, and 2026 is in neither split."""
    campaign = np.array([2024] * 3 + [2025] * 3 + [2026] * 4)
    share = np.array([1.0] * 3 + [0.9] * 3 + [0.06] * 4)
    train, test, latest = validation.out_of_time(
        campaign, min_test=2, closed_share=share, min_closed_share=0.8
    )
    assert latest == 2025 and test.sum() == 3 and train.sum() == 3
    assert not (train | test)[6:].any()
    producers = make_producers(900, seed=14)
    outcomes = outcomes_for(producers, [2023, 2024, 2025, 2026])
    outcomes["campaign_closed_share"] = np.where(outcomes["campaign"] == 2026, 0.1, 1.0)
    _, info = score(producers, outcomes, MatchParams(min_outcomes=200))
    assert info["validation"]["test_campaign"] == 2025
    assert info["validation"]["n_later"] == int((outcomes["campaign"] == 2026).sum())


def test_trained_model_is_judged_on_the_latest_campaign():
    """The law flips in 2025: trained on 2023-24, the model must fail on 2025 (AUC far below
    0.5), which a random hold-out over all years would hide."""
    producers = make_producers(900, seed=5)
    outcomes = outcomes_for(producers, [2023, 2024, 2025], {2023: 1, 2024: 1, 2025: -1})
    model = TrainedReadiness(seed=3).fit(producers, outcomes)
    m = model.metrics_
    assert m["test_campaign"] == 2025
    assert m["n_test"] == int((outcomes["campaign"] == 2025).sum()) == 300
    assert m["n_train"] == 600
    assert m["auc"] < 0.3
    assert m["auc_ci"][1] < 0.5
    assert len(m["reliability"]) == 10 and sum(b["n"] for b in m["reliability"]) == 300
    # when the law holds, the same split finds it
    steady = outcomes_for(producers, [2023, 2024, 2025])
    assert TrainedReadiness(seed=3).fit(producers, steady).metrics_["auc"] > 0.8


def test_bootstrap_intervals_cover_the_true_auc():
    """In simulated worlds of known probabilities, the 95 % interval of the AUC on 400 test
    loans covers the population's AUC in about 95 % of worlds (at least 85 % of 40)."""
    rng = np.random.default_rng(11)

    def world(n):
        z = rng.normal(0, 1, n)
        p = 1 / (1 + np.exp(-(1.5 + 1.2 * z)))
        return (rng.random(n) < p).astype(int), p

    y_big, p_big = world(200_000)
    true_auc = roc_auc_score(y_big, p_big)
    true_brier = float(np.mean((p_big - y_big) ** 2))
    covered_auc = covered_brier = 0
    for seed in range(40):
        y, p = world(400)
        figures = validation.evaluate(y, p, seed=seed)
        low, high = figures["auc_ci"]
        covered_auc += low <= true_auc <= high
        low, high = figures["brier_ci"]
        covered_brier += low <= true_brier <= high
    assert covered_auc >= 34 and covered_brier >= 34
    assert covered_auc <= 40  # the intervals are not the whole [0, 1]
    assert high - low < 0.1


def test_auc_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(4)
    y = rng.random(500) < 0.8
    p = np.round(rng.random(500) + 0.3 * y, 1)  # rounded: many ties
    assert validation.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert validation.auc(np.ones(5), np.arange(5)) is None


def test_reliability_of_calibrated_probabilities_follows_the_diagonal():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.2, 0.95, 20_000)
    y = rng.random(20_000) < p
    bins = validation.reliability(y, p)
    assert len(bins) == 10
    assert all(abs(b["predicted"] - b["observed"]) < 0.03 for b in bins)
    assert [b["predicted"] for b in bins] == sorted(b["predicted"] for b in bins)


@pytest.mark.parametrize(
    ("reason", "campaigns", "rows"),
    [
        ("few_outcomes", [2023, 2024], 150),
        ("no_campaign", None, 600),
        ("few_train_outcomes", [2025], 600),
    ],
)
def test_too_few_outcomes_keep_the_scorecard_with_the_reason(reason, campaigns, rows):
    producers = make_producers(600, seed=8)
    outcomes = outcomes_for(producers, campaigns or [2024]).iloc[:rows]
    if campaigns is None:
        outcomes = outcomes.drop(columns="campaign")
    table, info = score(producers, outcomes, MatchParams(min_outcomes=200))
    assert info["kind"] == "scorecard" and info["reason"] == reason
    assert table["readiness"].between(0, 1).all()


def test_a_thin_latest_campaign_is_left_out_and_thin_campaigns_keep_the_scorecard():
    """A campaign with a few early repayers (its loans mostly still running) is not the test:
    the latest campaign with enough outcomes is; when none has enough, no training."""
    producers = make_producers(600, seed=9)
    outcomes = outcomes_for(producers, [2023, 2024])
    outcomes.loc[outcomes.index[:30], "campaign"] = 2025  # 30 loans < min_test_outcomes (50)
    _, info = score(producers, outcomes, MatchParams(min_outcomes=200, min_test_outcomes=50))
    assert info["kind"] == "trained"
    figures = info["validation"]
    assert figures["test_campaign"] == 2024 and figures["n_later"] == 30
    assert figures["n_test"] == int((outcomes["campaign"] == 2024).sum())
    _, info = score(producers, outcomes, MatchParams(min_outcomes=200, min_test_outcomes=25))
    assert info["validation"]["test_campaign"] == 2025 and info["validation"]["n_test"] == 30
    thin = outcomes.assign(campaign=2000 + np.arange(600) // 30)  # 20 campaigns of 30
    _, info = score(producers, thin, MatchParams(min_outcomes=200, min_test_outcomes=50))
    assert info["kind"] == "scorecard" and info["reason"] == "few_test_outcomes"
    assert info["auc"] is not None  # the scorecard is still checked on the outcomes there are


def test_one_kind_of_outcome_keeps_the_scorecard():
    producers = make_producers(400, seed=10)
    outcomes = outcomes_for(producers, [2023, 2024]).assign(repaid=True)
    _, info = score(producers, outcomes, MatchParams(min_outcomes=200))
    assert info["reason"] == "one_class" and info["auc"] is None


def test_outcomes_without_a_campaign_stay_out_of_the_validation():
    producers = make_producers(600, seed=13)
    outcomes = outcomes_for(producers, [2023, 2024, 2025]).astype({"campaign": float})
    outcomes.loc[outcomes.index[:60], "campaign"] = np.nan
    model = TrainedReadiness(seed=2).fit(producers, outcomes)
    assert model.metrics_["n_train"] + model.metrics_["n_test"] == 540
    assert model.metrics_["n_outcomes"] == 600  # the final model learns from all of them


def test_outcomes_use_the_factors_at_grant_not_todays():
    """Repayment followed the land title held when the loan was granted; today every
    producer holds one. Trained on the snapshot, the model finds the law; on today's
    factors there would be nothing to find."""
    producers = make_producers(900, seed=12)
    outcomes = outcomes_for(producers, [2023, 2024, 2025])
    outcomes["land_title"] = producers["land_title"].to_numpy()
    producers = producers.assign(land_title=True)
    model = TrainedReadiness(seed=1).fit(producers, outcomes)
    assert model.metrics_["n_snapshot"] == 900
    assert model.metrics_["auc"] > 0.8
    blind = TrainedReadiness(seed=1).fit(producers, outcomes.drop(columns="land_title"))
    assert blind.metrics_["n_snapshot"] == 0 and blind.metrics_["auc"] < 0.65
