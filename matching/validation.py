"""Validation of a readiness model the way a lender would check it: out of time.

The model is trained on loans granted in earlier campaigns and tested on the loans of the
latest campaign, the situation it will meet in use (a random hold-out mixes the years and
flatters a model that memorises a campaign). Discrimination (AUC) and calibration (Brier
score) come with seeded bootstrap confidence intervals, and a reliability table (deciles of
predicted probability against the share observed to repay) draws the calibration plot.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

N_BOOTSTRAP = 200
CI_LEVEL = 0.95
N_BINS = 10


def out_of_time(campaign: np.ndarray) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Masks of the training rows (earlier campaigns) and test rows (the latest campaign),
    and the latest campaign; (all False, all False, None) without campaigns."""
    campaign = np.asarray(campaign, dtype=float)
    known = np.isfinite(campaign)
    if not known.any():
        empty = np.zeros(len(campaign), dtype=bool)
        return empty, empty.copy(), None
    latest = int(np.max(campaign[known]))
    test = known & (campaign == latest)
    return known & (campaign < latest), test, latest


def bootstrap_ci(
    y: np.ndarray, p: np.ndarray, seed: int, n: int = N_BOOTSTRAP, level: float = CI_LEVEL
) -> dict[str, tuple[float, float] | None]:
    """Percentile intervals of AUC and Brier over `n` seeded resamples of the test rows
    (resamples with one class only are skipped for the AUC)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    rng = np.random.default_rng(seed)
    aucs, briers = [], []
    for _ in range(n):
        idx = rng.integers(0, len(y), len(y))
        yb, pb = y[idx], p[idx]
        briers.append(float(np.mean((pb - yb) ** 2)))
        if 0 < yb.sum() < len(yb):
            aucs.append(float(roc_auc_score(yb, pb)))
    tail = (1.0 - level) / 2 * 100

    def interval(values: list[float]) -> tuple[float, float] | None:
        if not values:
            return None
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)

    return {"auc": interval(aucs), "brier": interval(briers)}


def reliability(y: np.ndarray, p: np.ndarray, bins: int = N_BINS) -> list[dict]:
    """Deciles (by default) of predicted probability: mean predicted, share repaid, count."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(y) == 0:
        return []
    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, len(y))):
        if len(chunk):
            out.append(
                {
                    "predicted": float(p[chunk].mean()),
                    "observed": float(y[chunk].mean()),
                    "n": int(len(chunk)),
                }
            )
    return out


def evaluate(y: np.ndarray, p: np.ndarray, seed: int, n_boot: int = N_BOOTSTRAP) -> dict:
    """AUC and Brier on test outcomes with their bootstrap intervals and reliability table."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    both = 0 < y.sum() < len(y)
    ci = bootstrap_ci(y, p, seed, n_boot)
    return {
        "auc": float(roc_auc_score(y, p)) if both else None,
        "auc_ci": ci["auc"],
        "brier": float(brier_score_loss(y, p)) if len(y) else None,
        "brier_ci": ci["brier"],
        "n": int(len(y)),
        "reliability": reliability(y, p),
    }
