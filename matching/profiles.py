"""Profiles of farm types in real units, their plain Spanish names, and name alignment.

A type is described by the medians and shares of its members (:func:`describe`), named by
documented rules (:func:`name_types`), and matched to the previous run's types by Hungarian
assignment of centroids (:func:`align`) so that names stay stable between runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.features import as_flag

PROFILE_COLUMNS = [
    "n",
    "median_productive_ha",
    "median_yield_kg_ha",
    "share_associated",
    "share_certified",
    "share_agroforestry",
    "median_forest_share",
    "main_value_chain",
]
CHAIN_LABELS = {
    "cacao": "cacao",
    "cafe": "café",
    "miel": "miel",
    "ganaderia": "ganadería",
    "madera": "madera",
    "ecoturismo": "ecoturismo",
}
# Naming thresholds (documented in name_types).
LARGE_HA = 5.0
SHARE = 0.5
FOREST_SHARE = 0.4
AGROFORESTRY_SHARE = 0.6


def describe(features_raw: pd.DataFrame, labels) -> pd.DataFrame:
    """Profile of each type in real units from raw producer rows (aligned with ``labels``)."""
    total = pd.to_numeric(features_raw["total_ha"], errors="coerce").to_numpy(float)
    forest = pd.to_numeric(features_raw["forest_ha"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip(np.nan_to_num(np.where(total > 0, forest / total, 0.0), nan=0.0), 0, 1)
    frame = pd.DataFrame(
        {
            "type": np.asarray(labels),
            "productive_ha": pd.to_numeric(
                features_raw["productive_ha"], errors="coerce"
            ).to_numpy(),
            "yield_kg_ha": pd.to_numeric(features_raw["yield_kg_ha"], errors="coerce").to_numpy(),
            "associated": as_flag(features_raw["associated"]),
            "certified": as_flag(features_raw["certified"]),
            "agroforestry": as_flag(features_raw["agroforestry"]),
            "forest_share": share,
            "value_chain": features_raw["value_chain"].to_numpy(),
        }
    )
    grouped = frame.groupby("type", sort=True)
    profile = pd.DataFrame(
        {
            "n": grouped.size(),
            "median_productive_ha": grouped["productive_ha"].median(),
            "median_yield_kg_ha": grouped["yield_kg_ha"].median(),
            "share_associated": grouped["associated"].mean(),
            "share_certified": grouped["certified"].mean(),
            "share_agroforestry": grouped["agroforestry"].mean(),
            "median_forest_share": grouped["forest_share"].median(),
        }
    )
    counts = frame.groupby(["type", "value_chain"], sort=True).size()
    profile["main_value_chain"] = counts.groupby(level="type").idxmax().map(lambda t: t[1])
    profile.index.name = "type"
    return profile[PROFILE_COLUMNS]


def _rule_name(row) -> str:
    if row.median_forest_share >= FOREST_SHARE or row.share_agroforestry >= AGROFORESTRY_SHARE:
        return "Diversificado agroforestal"
    if row.share_certified >= SHARE:
        return "Certificado especializado"
    size = "Consolidado" if row.median_productive_ha >= LARGE_HA else "Emergente"
    return f"{size} {'asociado' if row.share_associated >= SHARE else 'independiente'}"


def _unique(
    names: list[str], chains: list[str], yields: list[float], taken: set[str] = frozenset()
) -> list[str]:
    """Tell repeated names (or names already taken) apart: first by the value chain, then,
    between two types of one chain whose yields differ by 10 % or more, by "mayor" /
    "menor rendimiento"; a number only as the last resort ("... 2")."""
    counts = pd.Series(list(names) + sorted(taken)).value_counts()
    names = [
        f"{name} ({CHAIN_LABELS.get(chain, chain)})" if counts[name] > 1 else name
        for name, chain in zip(names, chains, strict=True)
    ]
    names = _by_yield(names, yields)
    seen = set(taken)
    out = []
    for name in names:
        candidate, i = name, 2
        while candidate in seen:
            candidate, i = f"{name} {i}", i + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _by_yield(names: list[str], yields: list[float]) -> list[str]:
    """A pair of equal names whose median yields clearly differ: say which yields more."""
    out = list(names)
    for name in set(names):
        idx = [i for i, n in enumerate(names) if n == name]
        if len(idx) != 2:
            continue
        low, high = sorted(idx, key=lambda i: (yields[i], i))
        if not (yields[low] > 0 and yields[high] >= 1.1 * yields[low]):
            continue
        out[high] = f"{name}, mayor rendimiento"
        out[low] = f"{name}, menor rendimiento"
    return out


def name_types(profile: pd.DataFrame, taken: set[str] = frozenset()) -> list[str]:
    """Plain Spanish names by rules on the profile, unique, one per row of ``profile``.

    Rules, first that applies:

    1. median forest share >= 0.4 or share in agroforestry >= 0.6: "Diversificado agroforestal";
    2. share certified >= 0.5: "Certificado especializado";
    3. median productive ha >= 5: "Consolidado", else (2-5 ha) "Emergente"; followed by
       "asociado" when the share in a cooperative is >= 0.5, else "independiente".

    Repeated names get the main value chain in brackets; two of one chain whose yields
    differ get ", mayor rendimiento" / ", menor rendimiento"; then a number ("... 2").
    """
    names = [_rule_name(row) for row in profile.itertuples()]
    yields = pd.to_numeric(profile["median_yield_kg_ha"], errors="coerce").fillna(0.0)
    return _unique(names, list(profile["main_value_chain"]), yields.tolist(), set(taken))


def align(previous_centers, new_centers) -> np.ndarray:
    """For each new centre, the index of the matching previous centre (-1 when none).

    Hungarian assignment (minimum total squared distance); with more new than previous
    centres, the extra new ones stay unmatched.
    """
    previous = np.asarray(previous_centers, dtype=float)
    new = np.asarray(new_centers, dtype=float)
    match = np.full(new.shape[0], -1, dtype=int)
    if previous.size and new.size:
        from scipy.optimize import linear_sum_assignment  # only aligning runs needs scipy
        from scipy.spatial.distance import cdist

        rows, cols = linear_sum_assignment(cdist(new, previous, "sqeuclidean"))
        match[rows] = cols
    return match
