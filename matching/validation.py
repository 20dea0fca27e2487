"""Validation of a readiness model the way a lender would check it: out of time.

The model is trained on loans granted in earlier campaigns and tested on the loans of the
latest campaign that has enough closed loans to judge by: the situation it will meet in use
(a random hold-out mixes the years and flatters a model that memorises a campaign).
Discrimination (AUC) and calibration (Brier score) come with seeded bootstrap confidence
intervals, and a reliability table (deciles of predicted probability against the share
observed to repay) draws the calibration plot.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

N_BOOTSTRAP = 200
CI_LEVEL = 0.95
N_BINS = 10


def out_of_time(
    campaign: np.ndarray,
    repaid: np.ndarray | None = None,
    min_test: int = 1,
    min_class: int = 1,
    closed_share: np.ndarray | None = None,
    min_closed_share: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Masks of the training rows (earlier campaigns) and test rows, and the test campaign:
    the latest campaign with at least `min_test` outcomes (`min_class` of each kind when
    `repaid` is given) and, when `closed_share` (per row: the share of its campaign's loans
    already closed) is given, at least `min_closed_share` of its loans closed. A later
    campaign, its loans mostly still running (the few closed ones early repayers or early
    defaults), is in neither. (all False, all False, None) without one."""
    campaign = np.asarray(campaign, dtype=float)
    known = np.isfinite(campaign)
    none = np.zeros(len(campaign), dtype=bool)
    share = None if closed_share is None else np.asarray(closed_share, dtype=float)
    for latest in sorted(set(campaign[known].tolist()), reverse=True):
        test = known & (campaign == latest)
        if test.sum() < min_test:
            continue
        if share is not None and not np.nanmin(share[test], initial=1.0) >= min_closed_share:
            continue
        if repaid is not None:
            kinds = np.asarray(repaid, dtype=bool)[test]
            if min(kinds.sum(), (~kinds).sum()) < min_class:
                continue
        return known & (campaign < latest), test, int(latest)
    return none, none.copy(), None


def auc(y: np.ndarray, p: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None with one kind only.
    The same figure as scikit-learn's roc_auc_score, fast enough for 200 resamples."""
    y = np.asarray(y, dtype=bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return None
    ranks = rankdata(np.asarray(p, dtype=float))
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


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
        value = auc(yb, pb)
        if value is not None:
            aucs.append(value)
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
    ci = bootstrap_ci(y, p, seed, n_boot)
    return {
        "auc": auc(y, p),
        "auc_ci": ci["auc"],
        "brier": float(np.mean((p - y) ** 2)) if len(y) else None,
        "brier_ci": ci["brier"],
        "n": int(len(y)),
        "reliability": reliability(y, p),
    }
