"""Typology features: imputed medians, one-hot value chain, forest share edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matching.features import (
    BINARY,
    CATEGORICAL,
    COLUMNS,
    NUMERIC,
    feature_frame,
    feature_medians,
    make_preprocessor,
)


def producers(**overrides):
    """Five producers with planted values; ``overrides`` replace whole columns."""
    data = {
        "producer_id": [11, 12, 13, 14, 15],
        "value_chain": ["cacao", "cacao", "cafe", "cafe", "miel"],
        "productive_ha": [3.0, 0.0, 10.0, 2.0, 4.0],
        "total_ha": [4.0, 0.0, 10.0, 5.0, np.nan],
        "forest_ha": [1.0, 0.0, 12.0, np.nan, 1.0],
        "yield_kg_ha": [500.0, np.nan, 900.0, 1100.0, np.nan],
        "plant_age_years": [10.0, np.nan, 20.0, 4.0, 8.0],
        "associated": [True, False, True, None, False],
        "certified": [0, 1, 0, 0, 1],
        "agroforestry": pd.array([True, pd.NA, False, True, False], dtype="boolean"),
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_columns_and_index():
    frame = feature_frame(producers())
    assert list(frame.columns) == COLUMNS == NUMERIC + BINARY + CATEGORICAL
    assert frame.index.name == "producer_id"
    assert list(frame.index) == [11, 12, 13, 14, 15]
    assert frame.notna().all().all()


def test_log_area():
    frame = feature_frame(producers())
    assert frame["log_productive_ha"].tolist() == pytest.approx(np.log1p([3, 0, 10, 2, 4]))


def test_yield_median_of_chain_then_overall():
    frame = feature_frame(producers())
    # cacao's only known yield is 500; miel has none -> overall median of (500, 900, 1100)
    assert frame["yield_kg_ha"].tolist() == [500.0, 500.0, 900.0, 1100.0, 900.0]


def test_plant_age_median():
    frame = feature_frame(producers())
    assert frame.loc[12, "plant_age_years"] == 9.0  # median of 10, 20, 4, 8


def test_medians_from_a_reference_population():
    reference = feature_medians(producers())
    new = producers(yield_kg_ha=[np.nan] * 5, plant_age_years=[np.nan] * 5)
    frame = feature_frame(new, medians=reference)
    assert frame["yield_kg_ha"].tolist() == [500.0, 500.0, 1000.0, 1000.0, 900.0]
    assert (frame["plant_age_years"] == 9.0).all()


def test_all_unknown_falls_back_to_zero():
    frame = feature_frame(producers(yield_kg_ha=[np.nan] * 5, plant_age_years=[np.nan] * 5))
    assert (frame["yield_kg_ha"] == 0).all()
    assert (frame["plant_age_years"] == 0).all()


def test_forest_share_edge_cases():
    share = feature_frame(producers())["forest_share"].tolist()
    # 1/4; total 0 -> 0; forest above total -> clipped to 1; forest unknown -> 0; total unknown
    assert share == [0.25, 0.0, 1.0, 0.0, 0.0]


def test_flags_are_zero_one():
    frame = feature_frame(producers())
    assert frame["associated"].tolist() == [1, 0, 1, 0, 0]
    assert frame["certified"].tolist() == [0, 1, 0, 0, 1]
    assert frame["agroforestry"].tolist() == [1, 0, 0, 1, 0]


def test_value_chain_one_hot_with_fixed_columns():
    frame = feature_frame(producers(value_chain=["cacao", "cacao", "cafe", "otro", "miel"]))
    hot = frame[CATEGORICAL]
    assert hot.sum(axis=1).tolist() == [1, 1, 1, 0, 1]  # unknown chain: all zeros
    assert hot.loc[13, "value_chain_cafe"] == 1
    assert hot["value_chain_madera"].sum() == 0  # absent chains still have a column


def test_preprocessor_standardises_numeric_only():
    frame = feature_frame(producers())
    X = make_preprocessor().fit_transform(frame)
    assert X.shape == (5, len(COLUMNS))
    assert np.allclose(X[:, : len(NUMERIC)].mean(axis=0), 0)
    assert np.array_equal(X[:, len(NUMERIC) :], frame[BINARY + CATEGORICAL].to_numpy())
