"""Eligibility: each reason, their combinations, vectorised on 100k rows."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from matching.eligibility import REASONS, eligibility
from matching.types import MatchParams


def producers(rows):
    """Producers from (productive_ha, consent_lenders, cleared_after_cutoff) triples."""
    area, consent, cleared = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "producer_id": np.arange(1, len(rows) + 1),
            "productive_ha": area,
            "consent_lenders": consent,
            "cleared_after_cutoff": cleared,
        }
    )


def test_each_reason_and_combinations():
    frame = producers(
        [
            (3.0, True, "no"),
            (1.5, True, "no"),
            (3.0, False, "no"),
            (3.0, True, "yes"),
            (1.0, False, "yes"),
            (2.0, True, "unknown"),
            (np.nan, None, "no"),
        ]
    )
    out = eligibility(frame, MatchParams())
    assert list(out.columns) == ["producer_id", "eligible", "reasons"]
    assert out["eligible"].dtype == bool
    assert out["eligible"].tolist() == [True, False, False, False, False, True, False]
    assert out["reasons"].tolist() == [
        (),
        ("area_below_minimum",),
        ("no_consent",),
        ("cleared_after_cutoff",),
        ("area_below_minimum", "no_consent", "cleared_after_cutoff"),
        (),
        ("area_below_minimum", "no_consent"),
    ]
    assert out["producer_id"].tolist() == list(range(1, 8))


def test_threshold_is_configurable():
    frame = producers([(3.0, True, "no"), (5.0, True, "no")])
    out = eligibility(frame, MatchParams(min_productive_ha=4.0))
    assert out["eligible"].tolist() == [False, True]


def test_every_reason_is_described():
    assert set(REASONS) == {
        "area_below_minimum",
        "no_consent",
        "cleared_after_cutoff",
        "active_loan",
        "no_expected_income",
        "outside_coverage",
    }
    assert all(isinstance(text, str) and text for text in REASONS.values())


def test_vectorised_on_100k_rows():
    rng = np.random.default_rng(0)
    n = 100_000
    frame = pd.DataFrame(
        {
            "producer_id": np.arange(n),
            "productive_ha": rng.uniform(0, 6, n),
            "consent_lenders": rng.random(n) < 0.8,
            "cleared_after_cutoff": rng.choice(["yes", "no", "unknown"], n),
        }
    )
    start = time.perf_counter()
    out = eligibility(frame, MatchParams())
    assert time.perf_counter() - start < 1.0
    expected = (
        (frame["productive_ha"] >= 2)
        & frame["consent_lenders"]
        & (frame["cleared_after_cutoff"] != "yes")
    )
    assert np.array_equal(out["eligible"].to_numpy(), expected.to_numpy())
    assert (out["reasons"].map(len) > 0).to_numpy().tolist() == (~expected).tolist()


def test_an_active_loan_excludes_only_when_the_column_says_so():
    frame = producers([(3.0, True, "no"), (3.0, True, "no"), (1.0, True, "no")])
    assert eligibility(frame, MatchParams())["eligible"].tolist() == [True, True, False]
    frame["active_loan"] = [True, False, True]
    out = eligibility(frame, MatchParams())
    assert out["eligible"].tolist() == [False, True, False]
    assert out["reasons"].tolist() == [
        ("active_loan",),
        (),
        ("area_below_minimum", "active_loan"),
    ]
