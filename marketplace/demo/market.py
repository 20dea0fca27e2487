"""The marketplace part of the demo world, built on the people and farms already written.

Each stage reads what it needs from the session (organizations, farms, …), bulk-inserts
its rows and returns {table: count}. Stages run in order: centres, listings, commitments
and pledges, orders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np

from marketplace.demo import catalog, centers, commitments, orders


def build(
    rng: np.random.Generator, anchor: datetime, listings: int, say: Callable[[str], None]
) -> dict[str, int]:
    """Write collection centres, listings, commitments with pledges, and orders."""
    counts: dict[str, int] = {}
    counts.update(centers.build(rng, anchor))
    counts.update(catalog.build(rng, anchor, listings))
    counts.update(commitments.build(rng, anchor))
    counts.update(orders.build(rng, anchor))
    say(f"  marketplace: {', '.join(f'{k} {v:,}' for k, v in counts.items())}")
    return counts
