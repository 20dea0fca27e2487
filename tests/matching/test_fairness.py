"""Fairness at every stage: a planted gap, and a gap that farm size explains."""

from __future__ import annotations

import numpy as np
import pytest

from matching.fairness import band_codes, band_labels, stage_table


def test_bands():
    assert band_labels() == ["<2", "2-5", "5-10", "10+"]
    codes = band_codes(np.array([0.5, 2.0, 4.9, 5.0, 30.0, np.nan]))
    assert [band_labels()[c] for c in codes] == ["<2", "2-5", "2-5", "5-10", "10+", "<2"]


def world(women_penalty: float):
    """Women farm smaller plots; eligibility depends on size only (minus a planted penalty
    for women within each band). 100 producers per (gender, band) cell, rates exact."""
    genders, areas, reached = [], [], []
    # women: 300 small, 100 medium; men: 100 small, 300 medium
    cells = [("female", 1.0, 300, 0.2), ("female", 3.0, 100, 0.8),
             ("male", 1.0, 100, 0.2), ("male", 3.0, 300, 0.8)]  # fmt: skip
    for gender, area, n, rate in cells:
        rate = rate - (women_penalty if gender == "female" else 0.0)
        k = round(rate * n)
        genders += [gender] * n
        areas += [area] * n
        reached += [True] * k + [False] * (n - k)
    return np.array(genders), np.array(areas), np.array(reached)


def test_size_explains_the_gap():
    gender, area, reached = world(0.0)
    (row,) = stage_table(gender, area, [("eligible", reached, np.ones(len(gender), bool))])
    women, men = row["by_gender"]["female"], row["by_gender"]["male"]
    assert (women["n"], men["n"]) == (400, 400)
    assert women["rate"] == pytest.approx(0.35) and men["rate"] == pytest.approx(0.65)
    assert row["gap"] == pytest.approx(-0.30)
    assert row["adjusted_gap"] == pytest.approx(0.0)
    assert row["by_band"]["<2"]["female"]["rate"] == pytest.approx(0.2)


def test_a_gap_within_sizes_stays():
    gender, area, reached = world(0.1)
    (row,) = stage_table(gender, area, [("eligible", reached, np.ones(len(gender), bool))])
    assert row["adjusted_gap"] == pytest.approx(-0.1)
    assert row["gap"] == pytest.approx(-0.40)


def test_later_stages_count_on_their_base_only():
    gender, area, reached = world(0.0)
    base = reached.copy()
    later = reached & (np.arange(len(reached)) % 2 == 0)
    _, row = stage_table(
        gender, area, [("eligible", reached, np.ones(len(gender), bool)), ("grouped", later, base)]
    )
    assert row["by_gender"]["female"]["n"] == int(reached[gender == "female"].sum())
    assert sum(v["reached"] for v in row["by_gender"].values()) == int(later.sum())


def test_missing_gender_leaves_the_gap_unknown():
    (row,) = stage_table(["male"] * 4, [1, 2, 3, 4], [("x", [True] * 4, [True] * 4)])
    assert row["gap"] is None and row["adjusted_gap"] is None
