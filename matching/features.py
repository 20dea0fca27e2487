"""Typology features of a farm, as an agronomist reads them.

One row per producer (index ``producer_id``): log productive area, yield, forest share, plant
age, association to a cooperative, certification, agroforestry and the value chain as fixed
one-hot columns. The one-hot columns come from the fixed list ``VALUE_CHAINS`` rather than
from the data, so every run and every batch of new producers has the same columns; this keeps
centroids comparable between runs and lets the fitted model classify new producers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

VALUE_CHAINS: tuple[str, ...] = ("cacao", "cafe", "miel", "ganaderia", "madera", "ecoturismo")

NUMERIC: list[str] = ["log_productive_ha", "yield_kg_ha", "forest_share", "plant_age_years"]
BINARY: list[str] = ["associated", "certified", "agroforestry"]
CATEGORICAL: list[str] = [f"value_chain_{chain}" for chain in VALUE_CHAINS]
COLUMNS: list[str] = NUMERIC + BINARY + CATEGORICAL
# the producer columns the features (and the types' profiles) are computed from
INPUTS: list[str] = ["producer_id", "value_chain", "productive_ha", "total_ha", "forest_ha",
                     "yield_kg_ha", "plant_age_years", *BINARY]  # fmt: skip


def as_flag(series: pd.Series) -> np.ndarray:
    """Bool array from a bool-like column (bool, 0/1, object or nullable); missing is False."""
    if series.dtype == bool:
        return series.to_numpy()
    if series.dtype == object or isinstance(series.dtype, pd.BooleanDtype):
        return series.eq(True).to_numpy(dtype=bool, na_value=False)
    return np.nan_to_num(series.to_numpy(dtype=float, na_value=np.nan), nan=0.0) > 0


def feature_medians(producers: pd.DataFrame) -> dict:
    """Medians used to fill unknown yield (per value chain, then overall) and plant age."""
    yields = pd.to_numeric(producers["yield_kg_ha"], errors="coerce")
    by_chain = yields.groupby(producers["value_chain"], sort=True, observed=True).median()
    overall = yields.median()
    age = pd.to_numeric(producers["plant_age_years"], errors="coerce").median()
    return {
        "yield_by_chain": by_chain.dropna().to_dict(),
        "yield": 0.0 if pd.isna(overall) else float(overall),
        "plant_age_years": 0.0 if pd.isna(age) else float(age),
    }


def feature_frame(producers: pd.DataFrame, medians: dict | None = None) -> pd.DataFrame:
    """Typology features, one row per producer, index producer_id, columns ``COLUMNS``.

    Parameters
    ----------
    producers : DataFrame
        Producers with the columns of ``matching.types.PRODUCER_COLUMNS``.
    medians : dict, optional
        Output of :func:`feature_medians` on a reference population (e.g. the run that fitted
        the typology, when classifying new producers). Default: medians of ``producers``.

    Returns
    -------
    DataFrame
        Float columns ``NUMERIC + BINARY + CATEGORICAL``.
    """
    if medians is None:
        medians = feature_medians(producers)
    chain, chains = pd.factorize(producers["value_chain"])  # codes: fast on a million rows
    productive = pd.to_numeric(producers["productive_ha"], errors="coerce").to_numpy(float)
    total = pd.to_numeric(producers["total_ha"], errors="coerce").to_numpy(float)
    forest = pd.to_numeric(producers["forest_ha"], errors="coerce").to_numpy(float)

    yields = pd.to_numeric(producers["yield_kg_ha"], errors="coerce").to_numpy(float)
    by_chain = medians["yield_by_chain"]
    # code -1 (no value chain) reads the trailing NaN
    chain_median = np.array([by_chain.get(name, np.nan) for name in chains] + [np.nan])[chain]
    yields = np.where(np.isnan(yields), chain_median, yields)
    yields = np.where(np.isnan(yields), medians["yield"], yields)

    age = pd.to_numeric(producers["plant_age_years"], errors="coerce").to_numpy(float)
    age = np.where(np.isnan(age), medians["plant_age_years"], age)

    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, forest / total, 0.0)
    share = np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)

    data = {
        "log_productive_ha": np.log1p(np.clip(np.nan_to_num(productive, nan=0.0), 0.0, None)),
        "yield_kg_ha": yields,
        "forest_share": share,
        "plant_age_years": age,
    }
    for column in BINARY:
        data[column] = as_flag(producers[column]).astype(float)
    code_of = {name: code for code, name in enumerate(chains)}
    for name, value in zip(CATEGORICAL, VALUE_CHAINS, strict=True):
        data[name] = (chain == code_of.get(value, -2)).astype(float)
    index = pd.Index(producers["producer_id"].to_numpy(), name="producer_id")
    return pd.DataFrame(data, index=index, columns=COLUMNS)


def make_preprocessor() -> ColumnTransformer:
    """Standardise the numeric features; pass the 0/1 and one-hot columns through."""
    # imported here: the web app reads this module's constants without loading scikit-learn
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import StandardScaler

    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), NUMERIC),
            ("flags", "passthrough", BINARY + CATEGORICAL),
        ],
        verbose_feature_names_out=False,
    )
