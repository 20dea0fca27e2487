"""Write the demo's synthetic forest layers under marketplace/forest/data/: the vector
forest-change layer demo_forest.geojson and, consistent with it, per landscape three small
GeoTIFFs (tiled, deflate): tree cover 2000, a forest-2020 mask and a commodity mask.

Deterministic (fixed seed) and drawn from the demo landscapes only, not from the demo
producers: around each district seat, where the demo farms are scattered, it places patches
of tree-cover loss after the 2020 cut-off (a few farms fall in them and become at risk),
older loss (history: no effect), and, in cacao and coffee landscapes where agroforestry is
common, larger forest-cover patches (farms under them need field verification). One forest
patch sits on the demo producer's agroforestry plot so the field-evidence journey has a case.

The rasters (pixel RASTER_PX, about 55 m) are drawn from the same patches: recent loss and
forest patches were forest in 2020 (tree cover 70-80 %), old loss patches had tree cover in
2000 but not in 2020, the landscape around them has sparse trees (4 %, under the 10 %
threshold). One forest patch in four is mapped as a commodity in 2020 (shade cacao or coffee
already there), so farms under it are free; the demo producer's patch never is.

    python scripts/build_demo_forest.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from affine import Affine

from marketplace import gazetteer
from marketplace.demo.farms import KM_PER_DEGREE, MAX_JITTER_KM, polygons
from marketplace.demo.landscapes import LANDSCAPES
from marketplace.demo.population import DEMO_FARMS

SEED = 2020
DATA = Path(__file__).resolve().parents[1] / "marketplace/forest/data"
OUT = DATA / "demo_forest.geojson"
RASTER_PX = 0.0005
MARGIN_KM = MAX_JITTER_KM + 2
BACKGROUND_COVER, OLD_COVER, FOREST_COVER, RECENT_COVER = 4, 65, 70, 80
COMMODITY_EVERY = 4  # one forest patch in four is mapped as a commodity in 2020
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


def landscape_grid(landscape) -> tuple[Affine, int, int]:
    """The transform, height and width of a raster over a landscape's seats plus a margin."""
    seats = [gazetteer.get_district(landscape.country, code) for code in landscape.districts]
    lat_pad = MARGIN_KM / KM_PER_DEGREE
    lats = [seat.lat for seat in seats]
    lon_pad = lat_pad / math.cos(math.radians(max(abs(lat) for lat in lats) + lat_pad))
    west = math.floor((min(s.lon for s in seats) - lon_pad) / RASTER_PX) * RASTER_PX
    north = math.ceil((max(lats) + lat_pad) / RASTER_PX) * RASTER_PX
    width = math.ceil((max(s.lon for s in seats) + lon_pad - west) / RASTER_PX)
    height = math.ceil((north - (min(lats) - lat_pad)) / RASTER_PX)
    return Affine(RASTER_PX, 0, round(west, 6), 0, -RASTER_PX, round(north, 6)), height, width


def burn(grid: tuple, shapes: list[dict], value: int, into: np.ndarray | None = None):
    """`shapes` burnt as `value` into `into` (or into zeros) on the grid."""
    from rasterio.features import rasterize

    transform, height, width = grid
    if into is None:
        into = np.zeros((height, width), "uint8")
    if shapes:
        rasterize([(g, value) for g in shapes], transform=transform, out=into)
    return into


def build_rasters(collection: dict) -> list[tuple[str, str, np.ndarray, Affine]]:
    """(file name, content, pixels, transform) of every demo raster."""
    features = collection["features"]
    santa_rosa = len(features) - 1
    recent = [f["geometry"] for f in features if f["properties"].get("loss_year", 0) > 2020]
    old = [f["geometry"] for f in features if 0 < f["properties"].get("loss_year", 0) <= 2020]
    forest = [(i, f["geometry"]) for i, f in enumerate(features) if f["properties"].get("forest")]
    commodity = [
        g for n, (i, g) in enumerate(forest) if n % COMMODITY_EVERY == 1 and i != santa_rosa
    ]
    out = []
    for number, landscape in enumerate(LANDSCAPES, start=1):
        transform, height, width = landscape_grid(landscape)

        grid = (transform, height, width)
        cover = np.full((height, width), BACKGROUND_COVER, "uint8")
        for shapes, value in ((old, OLD_COVER), ([g for _i, g in forest], FOREST_COVER)):
            burn(grid, shapes, value, cover)
        burn(grid, recent, RECENT_COVER, cover)
        forest_2020 = burn(grid, [g for _i, g in forest] + recent, 1)
        mapped = burn(grid, commodity, 1)
        stem = f"demo_{number:02d}_{landscape.key}"
        for content, pixels in (
            ("tree_cover_2000", cover),
            ("forest_2020", forest_2020),
            ("commodity", mapped),
        ):
            out.append((f"{stem}_{content}.tif", content, pixels, transform))
    return out


def write_raster(path: Path, pixels: np.ndarray, transform: Affine) -> None:
    """A tiled, deflate-compressed GeoTIFF in EPSG:4326."""
    import rasterio

    with rasterio.open(
        path, "w", driver="GTiff", width=pixels.shape[1], height=pixels.shape[0], count=1,
        dtype="uint8", crs="EPSG:4326", transform=transform, tiled=True, blockxsize=256,
        blockysize=256, compress="deflate", predictor=2,
    ) as out:  # fmt: skip
        out.write(pixels, 1)


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    collection = build()
    OUT.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(collection['features'])} features -> {OUT}")
    for old in DATA.glob("demo_*.tif"):
        old.unlink()
    total = 0
    for name, _content, pixels, transform in build_rasters(collection):
        write_raster(DATA / name, pixels, transform)
        total += (DATA / name).stat().st_size
    print(f"{len(LANDSCAPES) * 3} rasters, {total / 1024:.0f} KB -> {DATA}")


if __name__ == "__main__":
    main()
