"""The demo world's forest layers: the synthetic vector forest-change layer and, per
landscape, tree cover 2000, a forest-2020 mask and a commodity mask (rasters read by window);
then every farm is assessed.

The layers are built by scripts/build_demo_forest.py from the demo landscapes (see there)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from time import perf_counter

from marketplace.forest import layers, risk

DATA = Path(__file__).resolve().parents[1] / "forest/data"
DEMO_LAYER = DATA / "demo_forest.geojson"
DEMO_LAYER_NAME = "Capa demo de pérdida y cobertura de bosque (sintética)"
DEMO_VERSION = "demo-1"
CONTENTS = ("tree_cover_2000", "forest_2020", "commodity")


def demo_rasters() -> list[tuple[Path, str]]:
    """The shipped demo rasters with their declared content, in a fixed order."""
    found = []
    for path in sorted(DATA.glob("demo_*.tif")):
        content = next(c for c in CONTENTS if path.stem.endswith(c))
        found.append((path, content))
    return found


def build(say: Callable[[str], None]) -> str:
    """Load the demo layers and assess every farm (the caller commits); a summary line.

    It runs before commitments are drawn: pledges follow the farms' assessed clearing."""
    started = perf_counter()
    layer = layers.load_layer(DEMO_LAYER, name=DEMO_LAYER_NAME, kind="vector", version=DEMO_VERSION)
    rasters = demo_rasters()
    for path, content in rasters:
        layers.load_layer(path, name=_name(path, content), kind=content, version=DEMO_VERSION)
    counts = risk.assess_all(commit=False)
    figures = ", ".join(f"{status} {n:,}" for status, n in sorted(counts.items()))
    say(
        f"  forest layer {layer.id} and {len(rasters)} rasters loaded, farms assessed in "
        f"{perf_counter() - started:.1f} s"
    )
    return f"  deforestation risk of farms: {figures}"


def _name(path: Path, content: str) -> str:
    landscape = path.stem.removeprefix("demo_").removesuffix(f"_{content}")[3:]
    label = {"tree_cover_2000": "Cobertura arbórea 2000", "forest_2020": "Bosque 2020"}
    return f"{label.get(content, 'Cultivos 2020')} · {landscape} (sintética)"
