"""The demo world's forest-change layer: load the shipped synthetic layer, assess every farm.

The layer is built by scripts/build_demo_forest.py from the demo landscapes (see there)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from time import perf_counter

from marketplace.forest import layers, risk

DEMO_LAYER = Path(__file__).resolve().parents[1] / "forest/data/demo_forest.geojson"
DEMO_LAYER_NAME = "Capa demo de pérdida y cobertura de bosque (sintética)"


def build(say: Callable[[str], None]) -> str:
    """Load the demo layer and assess every farm (the caller commits); a summary line.

    It runs before commitments are drawn: pledges follow the farms' assessed clearing."""
    started = perf_counter()
    layer = layers.load_layer(DEMO_LAYER, name=DEMO_LAYER_NAME, kind="vector")
    counts = risk.assess_all(commit=False)
    figures = ", ".join(f"{status} {n:,}" for status, n in sorted(counts.items()))
    say(f"  forest layer {layer.id} loaded, farms assessed in {perf_counter() - started:.1f} s")
    return f"  deforestation risk of farms: {figures}"
