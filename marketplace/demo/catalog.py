"""Listings of inputs and services of the demo suppliers and TA providers."""

from __future__ import annotations

from datetime import datetime

import numpy as np


def build(rng: np.random.Generator, anchor: datetime, listings: int) -> dict[str, int]:
    """Bulk-insert this stage's rows; return {table: count}. Filled in by its feature."""
    return {}
