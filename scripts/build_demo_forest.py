"""Write marketplace/forest/data/demo_forest.geojson: a synthetic forest-change layer.

Deterministic (fixed seed) and drawn from the demo landscapes only, not from the demo
producers: around each district seat, where the demo farms are scattered, it places patches
of tree-cover loss after the 2020 cut-off (a few farms fall in them and become at risk),
older loss (history: no effect), and, in cacao and coffee landscapes where agroforestry is
common, larger forest-cover patches (farms under them need field verification). One forest
patch sits on the demo producer's agroforestry plot so the field-evidence journey has a case.

    python scripts/build_demo_forest.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from marketplace import gazetteer
from marketplace.demo.farms import KM_PER_DEGREE, MAX_JITTER_KM, polygons
from marketplace.demo.landscapes import LANDSCAPES
from marketplace.demo.population import DEMO_FARMS

SEED = 2020
OUT = Path(__file__).resolve().parents[1] / "marketplace/forest/data/demo_forest.geojson"
# patches per district seat: (how many, hectares low-high, years or None for forest cover)
RECENT_LOSS = (2, (15, 60), (2021, 2024))
OLD_LOSS = (2, (15, 60), (2005, 2019))
FOREST = (4, (80, 250), None)
FOREST_CHAINS = {"cacao", "cafe"}


def patches(rng: np.random.Generator, lat: float, lon: float, plan: tuple) -> list[dict]:
    """`plan`'s patches scattered like the demo farms around a seat, as GeoJSON features."""
    n, (low, high), years = plan
    radius_km = 0.5 + (MAX_JITTER_KM - 0.5) * rng.random(n) ** 0.7
    angle = rng.random(n) * 2 * math.pi
    lats = lat + radius_km * np.cos(angle) / KM_PER_DEGREE
    lons = lon + radius_km * np.sin(angle) / (KM_PER_DEGREE * math.cos(math.radians(lat)))
    hectares = rng.uniform(low, high, n)
    shapes = polygons(lats, lons, hectares, rng.uniform(0.6, 1.4, (n, 6)), rng.random(n) * math.pi)
    features = []
    for shape in shapes:
        if years is None:
            properties: dict = {"forest": True}
        else:
            properties = {"loss_year": int(rng.integers(years[0], years[1] + 1))}
        features.append({"type": "Feature", "geometry": shape, "properties": properties})
    return features


def demo_producer_forest() -> dict:
    """A forest patch over the demo producer's agroforestry plot 'Parcela Santa Rosa'."""
    farm = next(f for f in DEMO_FARMS if f["name"] == "Parcela Santa Rosa")
    shape = polygons(
        np.array([farm["lat"]]), np.array([farm["lon"]]), np.array([40.0]),
        np.ones((1, 6)), np.zeros(1),
    )[0]  # fmt: skip
    return {"type": "Feature", "geometry": shape, "properties": {"forest": True}}


def build() -> dict:
    """The FeatureCollection, the same on every run."""
    rng = np.random.default_rng(SEED)
    features = []
    for landscape in LANDSCAPES:
        chains = {chain for chain, _share in landscape.chains}
        for code in landscape.districts:
            seat = gazetteer.get_district(landscape.country, code)
            features += patches(rng, seat.lat, seat.lon, RECENT_LOSS)
            features += patches(rng, seat.lat, seat.lon, OLD_LOSS)
            if chains & FOREST_CHAINS:
                features += patches(rng, seat.lat, seat.lon, FOREST)
    features.append(demo_producer_forest())
    return {
        "type": "FeatureCollection",
        "name": "Minka demo forest-change layer (synthetic)",
        "features": features,
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    collection = build()
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(collection['features'])} features -> {OUT}")


if __name__ == "__main__":
    main()
