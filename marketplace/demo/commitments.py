"""Buyers' purchase commitments and producers' pledges in the demo world."""

from __future__ import annotations

from datetime import datetime

import numpy as np


def build(rng: np.random.Generator, anchor: datetime) -> dict[str, int]:
    """Bulk-insert this stage's rows; return {table: count}. Filled in by its feature."""
    return {}
