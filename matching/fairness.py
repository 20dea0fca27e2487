"""Fairness at every stage of the credit funnel, by gender, also within farm-size bands.

A stage is a name, who reached it and who could (its base: those who reached the stage
before). For each stage the table gives each gender's rate (reached / base), the gap between
women and men, and the gap *within farm-size bands*: the men-to-women difference inside each
band, averaged with the women's weights (direct standardisation). A raw gap that vanishes
within bands comes from farm size (women farm smaller plots); one that stays is not
explained by size and needs a look.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# productive hectares: upper bounds of the bands (the last is open)
SIZE_BANDS: tuple[float, ...] = (2.0, 5.0, 10.0)
FOCUS, REFERENCE = "female", "male"
UNDISCLOSED = "undisclosed"  # what an unknown gender counts as


def band_labels(bands: Sequence[float] = SIZE_BANDS) -> list[str]:
    """ "<2", "2-5", "5-10", "10+" for the default bands."""

    def num(x: float) -> str:
        return f"{x:g}"

    labels = [f"<{num(bands[0])}"]
    labels += [f"{num(a)}-{num(b)}" for a, b in zip(bands[:-1], bands[1:], strict=True)]
    return [*labels, f"{num(bands[-1])}+"]


def band_codes(area, bands: Sequence[float] = SIZE_BANDS) -> np.ndarray:
    """Index in ``band_labels(bands)`` per producer (unknown area counts as the smallest)."""
    return np.searchsorted(bands, np.nan_to_num(np.asarray(area, dtype=float), nan=0.0), "right")


def _rates(names: np.ndarray, n: np.ndarray, reached: np.ndarray) -> dict[str, dict]:
    """{gender: n, reached, rate} for the genders present (n > 0), in name order."""
    return {
        str(names[g]): {
            "n": int(n[g]),
            "reached": int(reached[g]),
            "rate": float(reached[g] / n[g]),
        }
        for g in np.flatnonzero(n)
    }


def stage_table(
    gender: Sequence[str],
    area: Sequence[float],
    stages: Sequence[tuple[str, Sequence[bool], Sequence[bool]]],
    bands: Sequence[float] = SIZE_BANDS,
) -> list[dict]:
    """Per stage: rates by gender, the women-minus-men gap and that gap within size bands.

    Parameters
    ----------
    gender : sequence of str
        Per producer ("female", "male", ...).
    area : sequence of float
        Productive hectares per producer (the size the bands cut).
    stages : sequence of (name, reached, base)
        Boolean arrays over the producers: who reached the stage, and who could.
    bands : sequence of float
        Upper bounds of the farm-size bands.

    Returns
    -------
    list of dict
        ``stage``, ``by_gender`` ({gender: n, reached, rate}), ``gap`` (women's rate minus
        men's, None without both), ``adjusted_gap`` (the same within bands, weighted by the
        women in each band where both are present), ``by_band`` ({band: {gender: ...}}).
    """
    codes, found = pd.factorize(pd.Series(gender))  # a few distinct values, maybe coded
    found = [str(value) for value in found]
    if (codes < 0).any():  # an unknown gender counts as undisclosed
        if UNDISCLOSED not in found:
            found.append(UNDISCLOSED)
        codes = np.where(codes < 0, found.index(UNDISCLOSED), codes)
    order = np.argsort(found)  # genders in name order, a code each
    names = np.asarray(found)[order]
    g_code = np.argsort(order)[codes]
    labels = band_labels(bands)
    cell = band_codes(area, bands) * len(names) + g_code  # one code per (band, gender)
    cells = len(labels) * len(names)
    out = []
    for name, reached, base in stages:
        reached = np.asarray(reached, dtype=bool)
        base = np.asarray(base, dtype=bool)
        n = np.bincount(cell[base], minlength=cells).reshape(len(labels), len(names))
        hit = np.bincount(cell[base & reached], minlength=cells).reshape(len(labels), len(names))
        by_gender = _rates(names, n.sum(axis=0), hit.sum(axis=0))
        focus, ref = by_gender.get(FOCUS, {}), by_gender.get(REFERENCE, {})
        gap = None
        if focus.get("rate") is not None and ref.get("rate") is not None:
            gap = focus["rate"] - ref["rate"]
        by_band, weighted, weight = {}, 0.0, 0
        for i, label in enumerate(labels):
            rates = _rates(names, n[i], hit[i])
            by_band[label] = rates
            f, m = rates.get(FOCUS), rates.get(REFERENCE)
            if f and m:
                weighted += f["n"] * (f["rate"] - m["rate"])
                weight += f["n"]
        out.append(
            {
                "stage": name,
                "by_gender": by_gender,
                "gap": gap,
                "adjusted_gap": weighted / weight if weight else None,
                "by_band": by_band,
            }
        )
    return out
