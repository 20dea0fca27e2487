"""Profiles of farm types in real units, their codes, and code alignment.

A type is described by the medians and shares of its members (:func:`describe`), coded by
documented rules (:func:`name_types`), and matched to the previous run's types by Hungarian
assignment of centroids (:func:`align`) so that codes stay stable between runs.

An archetype code is ``<type>[:<value chain>][:high|:low][:<n>]``: the type the rules give,
then, only where needed to tell types apart, the main value chain, the yield rank and a
number (``"emerging_independent"``, ``"agroforestry:cacao"``,
``"emerging_independent:cafe:high"``, ``"certified:2"``). The library never names a type in
any language; :func:`parse_code` splits a code for whoever does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.features import as_flag
from matching.types import SUBSISTENCE

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
# The types the rules give (and SUBSISTENCE, under the area threshold).
AGROFORESTRY = "agroforestry"
CERTIFIED = "certified"
CONSOLIDATED_ASSOCIATED = "consolidated_associated"
CONSOLIDATED_INDEPENDENT = "consolidated_independent"
EMERGING_ASSOCIATED = "emerging_associated"
EMERGING_INDEPENDENT = "emerging_independent"
TYPES = (
    SUBSISTENCE,
    AGROFORESTRY,
    CERTIFIED,
    CONSOLIDATED_ASSOCIATED,
    CONSOLIDATED_INDEPENDENT,
    EMERGING_ASSOCIATED,
    EMERGING_INDEPENDENT,
)
# Yield ranks of two types of one value chain.
HIGH_YIELD, LOW_YIELD = "high", "low"
SEPARATOR = ":"
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


@dataclass(frozen=True)
class ArchetypeCode:
    """An archetype code split into its parts (see the module's docstring)."""

    type: str
    value_chain: str | None = None
    yield_rank: str | None = None  # HIGH_YIELD or LOW_YIELD
    ordinal: int | None = None


def parse_code(code: str) -> ArchetypeCode:
    """The parts of an archetype code; a value that is no code comes back as its ``type``."""
    kind, *rest = str(code).split(SEPARATOR)
    parts: dict = {}
    for part in rest:
        if part.isdigit():
            parts["ordinal"] = int(part)
        elif part in (HIGH_YIELD, LOW_YIELD):
            parts["yield_rank"] = part
        else:
            parts["value_chain"] = part
    return ArchetypeCode(kind, **parts)


def _rule_type(row) -> str:
    if row.median_forest_share >= FOREST_SHARE or row.share_agroforestry >= AGROFORESTRY_SHARE:
        return AGROFORESTRY
    if row.share_certified >= SHARE:
        return CERTIFIED
    if row.median_productive_ha >= LARGE_HA:
        return (
            CONSOLIDATED_ASSOCIATED if row.share_associated >= SHARE else CONSOLIDATED_INDEPENDENT
        )
    return EMERGING_ASSOCIATED if row.share_associated >= SHARE else EMERGING_INDEPENDENT


def _unique(
    names: list[str], chains: list[str], yields: list[float], taken: set[str] = frozenset()
) -> list[str]:
    """Tell repeated codes (or codes already taken) apart: first by the value chain, then,
    between two types of one chain whose yields differ by 10 % or more, by the yield rank
    (high / low); a number only as the last resort (":2")."""
    counts = pd.Series(list(names) + sorted(taken)).value_counts()
    names = [
        f"{name}{SEPARATOR}{chain}" if counts[name] > 1 else name
        for name, chain in zip(names, chains, strict=True)
    ]
    names = _by_yield(names, yields)
    seen = set(taken)
    out = []
    for name in names:
        candidate, i = name, 2
        while candidate in seen:
            candidate, i = f"{name}{SEPARATOR}{i}", i + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _by_yield(names: list[str], yields: list[float]) -> list[str]:
    """A pair of equal codes whose median yields clearly differ: say which yields more."""
    out = list(names)
    for name in set(names):
        idx = [i for i, n in enumerate(names) if n == name]
        if len(idx) != 2:
            continue
        low, high = sorted(idx, key=lambda i: (yields[i], i))
        if not (yields[low] > 0 and yields[high] >= 1.1 * yields[low]):
            continue
        out[high] = f"{name}{SEPARATOR}{HIGH_YIELD}"
        out[low] = f"{name}{SEPARATOR}{LOW_YIELD}"
    return out


def name_types(profile: pd.DataFrame, taken: set[str] = frozenset()) -> list[str]:
    """Archetype codes by rules on the profile, unique, one per row of ``profile``.

    Rules, first that applies:

    1. median forest share >= 0.4 or share in agroforestry >= 0.6: ``agroforestry``;
    2. share certified >= 0.5: ``certified``;
    3. median productive ha >= 5: ``consolidated_``, else (2-5 ha) ``emerging_``; followed by
       ``associated`` when the share in a cooperative is >= 0.5, else ``independent``.

    Repeated codes get the main value chain (``:cacao``); two of one chain whose yields
    differ get ``:high`` / ``:low``; then a number (``:2``).
    """
    names = [_rule_type(row) for row in profile.itertuples()]
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
