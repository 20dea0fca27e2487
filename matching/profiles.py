"""Profiles of farm types in real units, their codes, and code alignment.

A type is described by the medians and shares of its members and by how far it stands from
the population it was found in, a country's typed producers (:func:`describe`); it is coded by
the one or two features that set it apart (:func:`name_types`), and matched to the previous
run's types by Hungarian assignment of centroids (:func:`align`) so that codes stay stable
between runs.

An archetype code is ``<traits>[:<value chain>][:<n>]``: the distinguishing traits joined by
``+`` in a fixed order (``"size_high+yield_high"``, ``"forest_high"``, ``"certified_high"``;
``"typical"`` when nothing stands out), then the value chain when nearly all members grow it
(``"size_low+agroforestry_high:cacao"``) and a number only as the last resort (``":2"``).
When a country has no clear typology its producers are coded by value chain alone
(``"no_typology:cafe"``). The library never names a type in any language; :func:`parse_code`
splits a code for whoever does. Codes of earlier versions (``"agroforestry:cacao"``,
``"emerging_independent:cafe:high"``) still parse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from matching.codes import unique_inverse
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
    "share_main_value_chain",
    # how far the type stands from the population (see describe)
    "z_size",
    "z_yield",
    "z_forest",
    "d_agroforestry",
    "d_certified",
    "d_associated",
]

SEPARATOR = ":"
TRAIT_JOIN = "+"
HIGH, LOW = "high", "low"
# Features that can distinguish a type, in the order traits are written in a code:
# feature -> (profile column, threshold). Numeric features are compared as the standardised
# difference of the type's mean from the population's (in population standard deviations) of
# log productive ha, log(yield / the value chain's median yield) and forest share; 0/1
# features as the difference of shares.
SD_MARGIN = 0.5
SHARE_MARGIN = 0.15
FEATURES: dict[str, tuple[str, float]] = {
    "size": ("z_size", SD_MARGIN),
    "yield": ("z_yield", SD_MARGIN),
    "forest": ("z_forest", SD_MARGIN),
    "agroforestry": ("d_agroforestry", SHARE_MARGIN),
    "certified": ("d_certified", SHARE_MARGIN),
}
# Association is named only when nearly every member is (or nearly none is) in a
# cooperative; the clustering then moves the few others to their nearest type that makes no
# such claim (matching.archetypes), so that no non-member carries a members' code.
NEARLY_ALL = 0.95
ASSOCIATED_ALL = "associated_all"
ASSOCIATED_NONE = "associated_none"
TRAITS: tuple[str, ...] = (
    *(f"{feature}_{side}" for feature in FEATURES for side in (HIGH, LOW)),
    ASSOCIATED_ALL,
    ASSOCIATED_NONE,
)
TRAIT_ORDER = {trait: i for i, trait in enumerate(TRAITS)}
TYPICAL = "typical"  # nothing sets the type apart from its country's population
NO_TYPOLOGY = "no_typology"  # the country has no clear typology: one type per value chain
MAX_TRAITS = 2  # a name says at most this many traits (a third only to tell two apart)
CHAIN_SHARE = 0.8  # the value chain is in the code when this share of members grows it
# Hysteresis, with a previous run: a matched type keeps its code while each trait in it stays
# at least KEEP x its threshold on the same side (a fresh name needs 1 x); "typical" is kept
# until a feature reaches LEAVE x its threshold; a named chain while it stays the main one
# with at least KEEP_CHAIN_SHARE of members.
KEEP = 0.5
LEAVE = 1.5
KEEP_CHAIN_SHARE = 0.5

# Codes of earlier versions (rules on absolute cuts), still parsed and shown.
AGROFORESTRY = "agroforestry"
CERTIFIED = "certified"
CONSOLIDATED_ASSOCIATED = "consolidated_associated"
CONSOLIDATED_INDEPENDENT = "consolidated_independent"
EMERGING_ASSOCIATED = "emerging_associated"
EMERGING_INDEPENDENT = "emerging_independent"
LEGACY_TYPES = (
    AGROFORESTRY,
    CERTIFIED,
    CONSOLIDATED_ASSOCIATED,
    CONSOLIDATED_INDEPENDENT,
    EMERGING_ASSOCIATED,
    EMERGING_INDEPENDENT,
)
LARGE_HA = 5.0  # the earlier "consolidated" cut, which old codes still mean
HIGH_YIELD, LOW_YIELD = HIGH, LOW  # yield ranks of earlier codes


def _standardised(values: np.ndarray, t: np.ndarray, n_types: int) -> np.ndarray:
    """(type mean - population mean) / population SD of `values` per type code `t`, NaN
    values left out (0 where the SD or a type's values are missing)."""
    ok = ~np.isnan(values)
    out = np.zeros(n_types)
    if ok.sum() < 2:
        return out
    sd = float(values[ok].std())
    if not sd > 0:
        return out
    count = np.bincount(t[ok], minlength=n_types)
    total = np.bincount(t[ok], weights=values[ok], minlength=n_types)
    has = count > 0
    out[has] = (total[has] / count[has] - float(values[ok].mean())) / sd
    return out


def describe(features_raw: pd.DataFrame, labels) -> pd.DataFrame:
    """Profile of each type in real units from raw producer rows (aligned with ``labels``),
    and how far each type stands from all the rows given (the population):

    - ``z_size``, ``z_yield``, ``z_forest``: standardised difference of the type's mean from
      the population's, of log productive ha, log(yield / the value chain's median yield)
      and forest share;
    - ``d_agroforestry``, ``d_certified``, ``d_associated``: the type's share minus the
      population's.
    """
    types, t = unique_inverse(labels)
    k = len(types)
    productive = pd.to_numeric(features_raw["productive_ha"], errors="coerce").to_numpy(float)
    yields = pd.to_numeric(features_raw["yield_kg_ha"], errors="coerce").to_numpy(float)
    total = pd.to_numeric(features_raw["total_ha"], errors="coerce").to_numpy(float)
    forest = pd.to_numeric(features_raw["forest_ha"], errors="coerce").to_numpy(float)
    c, chains = pd.factorize(features_raw["value_chain"], sort=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.clip(np.nan_to_num(np.where(total > 0, forest / total, 0.0), nan=0.0), 0, 1)
    n = np.bincount(t, minlength=k)
    medians = (
        pd.DataFrame({"productive_ha": productive, "yield_kg_ha": yields, "forest_share": share})
        .groupby(t)
        .median()
        .reindex(range(k))
    )
    flags = {
        name: as_flag(features_raw[name]).astype(float)
        for name in ("associated", "certified", "agroforestry")
    }
    index = pd.Index(types, name="type")
    profile = pd.DataFrame(
        {
            "n": n,
            "median_productive_ha": medians["productive_ha"].to_numpy(),
            "median_yield_kg_ha": medians["yield_kg_ha"].to_numpy(),
            **{
                f"share_{name}": np.bincount(t, weights=flag, minlength=k) / n
                for name, flag in flags.items()
            },
            "median_forest_share": medians["forest_share"].to_numpy(),
        },
        index=index,
    )
    if len(chains):
        counts = np.bincount(t * len(chains) + np.maximum(c, 0), minlength=k * len(chains))
        counts = counts.reshape(k, len(chains))
        main = counts.argmax(axis=1)
        profile["main_value_chain"] = np.asarray(chains, dtype=object)[main]
        profile["share_main_value_chain"] = counts[np.arange(k), main] / n
    else:
        profile["main_value_chain"] = None
        profile["share_main_value_chain"] = 0.0

    with np.errstate(divide="ignore", invalid="ignore"):
        log_ha = np.where(productive > 0, np.log(productive), np.nan)
        chain_median = pd.Series(yields).groupby(c).median().reindex(range(len(chains)))
        per_row = np.full(len(c), np.nan)
        if len(chains):
            per_row[c >= 0] = chain_median.to_numpy(float)[c[c >= 0]]
        log_yield = np.where((yields > 0) & (per_row > 0), np.log(yields / per_row), np.nan)
    profile["z_size"] = _standardised(log_ha, t, k)
    profile["z_yield"] = _standardised(log_yield, t, k)
    profile["z_forest"] = _standardised(share, t, k)
    for name, flag in flags.items():
        profile[f"d_{name}"] = profile[f"share_{name}"] - (float(flag.mean()) if len(flag) else 0.0)
    return profile[PROFILE_COLUMNS]


@dataclass(frozen=True)
class ArchetypeCode:
    """An archetype code split into its parts (see the module's docstring)."""

    type: str
    value_chain: str | None = None
    yield_rank: str | None = None  # HIGH_YIELD or LOW_YIELD (codes of earlier versions)
    ordinal: int | None = None

    @property
    def traits(self) -> tuple[str, ...]:
        """The distinguishing traits of a code of this version; () for any other code."""
        parts = tuple(self.type.split(TRAIT_JOIN))
        return parts if all(p in TRAIT_ORDER for p in parts) else ()


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


def is_current(code: str) -> bool:
    """Whether `code` was given by this version's rules (traits, typical or no typology)."""
    parsed = parse_code(code)
    return bool(parsed.traits) or parsed.type in (TYPICAL, NO_TYPOLOGY)


def strengths(row) -> dict[str, float]:
    """Each trait the type shows, with its strength: how many times the threshold it is
    beyond the population (a fresh name needs 1). Association counts only when nearly every
    member (``associated_all``, ``NEARLY_ALL``) or nearly none (``associated_none``) is in
    a cooperative."""
    out = {}
    for feature, (column, threshold) in FEATURES.items():
        value = float(getattr(row, column, 0.0))
        if np.isfinite(value) and value:
            out[f"{feature}_{HIGH if value > 0 else LOW}"] = abs(value) / threshold
    share = float(row.share_associated)
    gap = float(getattr(row, "d_associated", 0.0))
    if share >= NEARLY_ALL and gap > 0:
        out[ASSOCIATED_ALL] = gap / SHARE_MARGIN
    elif share <= 1.0 - NEARLY_ALL and gap < 0:
        out[ASSOCIATED_NONE] = -gap / SHARE_MARGIN
    return out


# What a type lacks (a share clearly below the population's) ranks at this weight against
# what it has: "large, certified" says more than "large, without agroforestry".
ABSENCE_WEIGHT = 0.5
ABSENCES = frozenset(
    {f"{f}_{LOW}" for f, (_, t) in FEATURES.items() if t == SHARE_MARGIN} | {ASSOCIATED_NONE}
)


def _ranked(row) -> list[str]:
    """Traits at or beyond their threshold, strongest first (an absence at half weight;
    ties in the fixed order)."""
    found = [
        (t, s * (ABSENCE_WEIGHT if t in ABSENCES else 1.0))
        for t, s in strengths(row).items()
        if s >= 1.0
    ]
    return [t for t, _ in sorted(found, key=lambda ts: (-ts[1], TRAIT_ORDER[ts[0]]))]


def _code(traits: list[str], row) -> str:
    kind = TRAIT_JOIN.join(sorted(traits, key=TRAIT_ORDER.get)) if traits else TYPICAL
    if float(row.share_main_value_chain) >= CHAIN_SHARE:
        kind += f"{SEPARATOR}{row.main_value_chain}"
    return kind


def name_types(profile: pd.DataFrame, taken: set[str] = frozenset()) -> list[str]:
    """Archetype codes, unique, one per row of ``profile`` (from :func:`describe`).

    A type is named by the (at most two) features that set it apart most from the
    population, each only when clearly beyond it: 0.5 standard deviations for size, yield
    (relative to the value chain's median) and forest share; 15 points of share for
    agroforestry and certification; association only when 95 % of members are in a
    cooperative (or 5 % at most) and that share is 15 points from the population's. Traits
    rank by how many times their threshold they are beyond it, what a type lacks (a share
    below the population's, no member in a cooperative) at half weight. Nothing beyond:
    ``typical``. The value chain is added when 80 % of members grow it. Two types with the
    same code are told apart by a third trait when one is beyond its threshold, then by a
    number, the larger type first.
    """
    rows = list(profile.itertuples())
    ranked = [_ranked(row) for row in rows]
    codes = [_code(r[:MAX_TRAITS], row) for r, row in zip(ranked, rows, strict=True)]
    counts = pd.Series(codes + sorted(taken)).value_counts()
    codes = [
        _code(r[: MAX_TRAITS + 1], row) if counts[code] > 1 else code
        for code, r, row in zip(codes, ranked, rows, strict=True)
    ]
    order = sorted(range(len(rows)), key=lambda i: (-int(rows[i].n), i))
    seen, out = set(taken), dict.fromkeys(range(len(rows)), "")
    for i in order:
        candidate, k = codes[i], 2
        while candidate in seen:
            candidate, k = f"{codes[i]}{SEPARATOR}{k}", k + 1
        seen.add(candidate)
        out[i] = candidate
    return [out[i] for i in range(len(rows))]


def still_fits(code: str, row) -> bool:
    """Whether a previous run's code still describes the type (the hysteresis of names).

    Kept while every trait in it stays at least ``KEEP`` x its threshold on the same side
    (association: still 95 % members, or 5 % at most), ``typical`` until a feature reaches ``LEAVE``
    x its threshold, and its value chain while that chain is the main one with at least half
    the members. Codes of earlier versions are never kept (they are named afresh).
    """
    if not is_current(code):
        return False
    parsed = parse_code(code)
    if parsed.type == NO_TYPOLOGY:
        return False
    shown = strengths(row)
    if parsed.type == TYPICAL:
        if any(s >= LEAVE for s in shown.values()):
            return False
    elif any(shown.get(trait, 0.0) < KEEP for trait in parsed.traits):
        return False
    return parsed.value_chain is None or (
        parsed.value_chain == row.main_value_chain
        and float(row.share_main_value_chain) >= KEEP_CHAIN_SHARE
    )


def compatible(code: str, associated: bool) -> bool:
    """Whether a producer (a member of a cooperative or not) may carry `code`."""
    traits = parse_code(code).traits
    if associated:
        return ASSOCIATED_NONE not in traits
    return ASSOCIATED_ALL not in traits


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
