"""Who may be offered credit: area, live consent, no clearing after the cut-off.

A producer whose clearing status is ``"unknown"`` is not excluded here; only a recorded
``"yes"`` excludes (a verification step, not this rule, deals with unknowns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matching.features import as_flag
from matching.types import MatchParams

# reason code -> English description (the web layer translates)
REASONS: dict[str, str] = {
    "area_below_minimum": "Productive area below the minimum for credit",
    "no_consent": "No live consent to share details with lenders",
    "cleared_after_cutoff": "Forest cleared after the cut-off date",
    "active_loan": "Already has a loan being repaid",
    # added by the pipeline after affordability, not by `eligibility`
    "no_expected_income": "Expected crop income unknown or too low to carry an instalment",
    # added by the pipeline after allocation: in an allocated group, outside its product's
    # districts and branch radius, so not financed
    "outside_coverage": "Lives outside the coverage of the product allocated to the group",
}
NO_INCOME = "no_expected_income"
OUTSIDE_COVERAGE = "outside_coverage"
_CODES = tuple(code for code in REASONS if code not in (NO_INCOME, OUTSIDE_COVERAGE))


def _reason_table() -> np.ndarray:
    """Tuple of reason codes for each bit pattern (bit i set: reason _CODES[i] applies)."""
    table = np.empty(2 ** len(_CODES), dtype=object)
    for mask in range(table.size):
        table[mask] = tuple(code for i, code in enumerate(_CODES) if mask >> i & 1)
    return table


_TABLE = _reason_table()


def eligibility(producers: pd.DataFrame, params: MatchParams) -> pd.DataFrame:
    """Eligibility per producer: columns producer_id, eligible (bool), reasons (tuple)."""
    area = pd.to_numeric(producers["productive_ha"], errors="coerce").to_numpy(float)
    below = ~(area >= params.min_productive_ha)  # NaN area counts as below
    no_consent = ~as_flag(producers["consent_lenders"])
    codes, values = pd.factorize(producers["cleared_after_cutoff"])  # a few distinct values
    cleared = np.isin(codes, [i for i, v in enumerate(values) if str(v).lower() == "yes"])
    # optional column: a producer still repaying a loan is not offered another one
    if "active_loan" in producers.columns:
        busy = as_flag(producers["active_loan"])
    else:
        busy = np.zeros(len(producers), dtype=bool)
    mask = (
        below.astype(np.int8)
        | (no_consent.astype(np.int8) << 1)
        | (cleared.astype(np.int8) << 2)
        | (busy.astype(np.int8) << 3)
    )
    return pd.DataFrame(
        {
            "producer_id": producers["producer_id"].to_numpy(),
            "eligible": mask == 0,
            "reasons": _TABLE[mask],
        }
    )
