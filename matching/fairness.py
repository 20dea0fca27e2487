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


def band_labels(bands: Sequence[float] = SIZE_BANDS) -> list[str]:
    """ "<2", "2-5", "5-10", "10+" for the default bands."""

    def num(x: float) -> str:
        return f"{x:g}"

    labels = [f"<{num(bands[0])}"]
    labels += [f"{num(a)}-{num(b)}" for a, b in zip(bands[:-1], bands[1:], strict=True)]
    return [*labels, f"{num(bands[-1])}+"]


def size_band(area: np.ndarray, bands: Sequence[float] = SIZE_BANDS) -> np.ndarray:
    """Band label per producer (unknown area counts as the smallest band)."""
    area = np.nan_to_num(np.asarray(area, dtype=float), nan=0.0)
    return np.asarray(band_labels(bands), dtype=object)[np.searchsorted(bands, area, "right")]


def _rates(reached: np.ndarray, gender: np.ndarray) -> dict[str, dict]:
    out = {}
    for g in sorted(set(gender.tolist())):
        mask = gender == g
        n = int(mask.sum())
        out[str(g)] = {"n": n, "reached": int(reached[mask].sum()), "rate": _share(reached, mask)}
    return out


def _share(reached: np.ndarray, mask: np.ndarray) -> float | None:
    n = int(mask.sum())
    return float(reached[mask].sum() / n) if n else None


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
    gender = pd.Series(gender).fillna("undisclosed").astype(str).to_numpy()
    band = size_band(np.asarray(area, dtype=float), bands)
    out = []
    for name, reached, base in stages:
        reached = np.asarray(reached, dtype=bool)
        base = np.asarray(base, dtype=bool)
        by_gender = _rates(reached[base], gender[base])
        focus, ref = by_gender.get(FOCUS, {}), by_gender.get(REFERENCE, {})
        gap = None
        if focus.get("rate") is not None and ref.get("rate") is not None:
            gap = focus["rate"] - ref["rate"]
        by_band, weighted, weight = {}, 0.0, 0
        for label in band_labels(bands):
            in_band = base & (band == label)
            rates = _rates(reached[in_band], gender[in_band])
            by_band[label] = rates
            f, m = rates.get(FOCUS), rates.get(REFERENCE)
            if f and m and f["n"] and m["n"]:
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
