"""Benchmark raster forest layers: import (check by blocks) and per-plot window reads.

    python bench/bench_forest_rasters.py                       # 4000 and 20000 pixels a side
    python bench/bench_forest_rasters.py --sizes 40000 --plots 100000

For each size it writes, at run time in a temporary folder (never committed), a Hansen-like
loss-year tile and a tree-cover-2000 tile (0.00025° pixels, EPSG:4326, tiled, deflate,
mostly empty), scatters plots over it (boxes of 1-10 ha and points), then times the imports
and `assess_all`, and reports the peak memory growth (VmHWM, reset before each step) and
the database growth. Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window
from sqlalchemy import func, insert, select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.forest import layers, risk
from marketplace.models import Farm, Producer
from marketplace.models.traceability import ForestAssessment

PX = 0.00025
WEST, NORTH = -80.0, -2.0
PATCH = 64  # a loss patch, pixels a side


def rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def write_tiles(folder: Path, size: int, rng: np.random.Generator) -> tuple[Path, Path]:
    """A loss-year and a tree-cover tile with patches on about 2 % of the blocks."""
    profile = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8",
        "crs": "EPSG:4326", "transform": Affine(PX, 0, WEST, 0, -PX, NORTH), "tiled": True,
        "blockxsize": 512, "blockysize": 512, "compress": "deflate", "sparse_ok": True,
    }  # fmt: skip
    n = max(4, (size // 512) ** 2 // 50)
    rows = rng.integers(0, size - PATCH, n)
    cols = rng.integers(0, size - PATCH, n)
    loss_path, cover_path = folder / f"loss_{size}.tif", folder / f"cover_{size}.tif"
    with (
        rasterio.open(loss_path, "w", **profile) as loss,
        rasterio.open(cover_path, "w", **profile) as cover,
    ):
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            window = Window(c, r, PATCH, PATCH)
            loss.write(rng.integers(0, 25, (PATCH, PATCH)).astype("uint8"), 1, window=window)
            cover.write(rng.integers(0, 101, (PATCH, PATCH)).astype("uint8"), 1, window=window)
    return loss_path, cover_path


def farm_rows(producer_id: int, size: int, plots: int, rng: np.random.Generator) -> list[dict]:
    span = size * PX
    lats = NORTH - rng.uniform(0.01, span - 0.01, plots)
    lons = WEST + rng.uniform(0.01, span - 0.01, plots)
    hectares = rng.uniform(1, 10, plots)
    rows = []
    for i, (lat, lon, ha) in enumerate(
        zip(lats.tolist(), lons.tolist(), hectares.tolist(), strict=True)
    ):
        half = math.sqrt(ha * 10_000) / 2 / 111_320
        polygon = None
        if i % 5:  # four in five drawn as a box, one in five a point
            w, e, s, n = lon - half, lon + half, lat - half, lat + half
            polygon = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
        rows.append({
            "producer_id": producer_id, "name": f"Parcela {i}", "country": "PE",
            "region": "San Martín", "district_code": "220601", "lat": lat, "lon": lon,
            "polygon_geojson": polygon, "total_ha": ha, "productive_ha": ha, "forest_ha": 0.0,
            "value_chain": "cacao", "certifications": [],
        })  # fmt: skip
    return rows


def run(size: int, plots: int, workdir: Path) -> None:
    rng = np.random.default_rng(size)
    started = time.perf_counter()
    loss_path, cover_path = write_tiles(workdir, size, rng)
    disk_kb = (loss_path.stat().st_size + cover_path.stat().st_size) / 1024
    print(
        f"{size}x{size}: tiles written in {time.perf_counter() - started:.1f} s, {disk_kb:.0f} KB"
    )
    db_path = workdir / f"bench_{size}.sqlite3"
    app = create_app(
        {
            "MINKA_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "MINKA_INSTANCE_PATH": str(workdir / f"instance_{size}"),
        }
    )
    with app.app_context():
        db.create_all()
        producer = Producer(
            first_name="Rosa", last_name="Bench", gender="female", country="PE",
            national_id="40000001",
        )  # fmt: skip
        db.session.add(producer)
        db.session.commit()
        for start in range(0, plots, 20_000):
            chunk = farm_rows(producer.id, size, min(20_000, plots - start), rng)
            db.session.execute(insert(Farm), chunk)
        db.session.commit()
        before = db_path.stat().st_size
        for path, kind in ((loss_path, "loss_year"), (cover_path, "tree_cover_2000")):
            baseline = rss_mb("VmRSS")
            reset_peak()
            started = time.perf_counter()
            layers.load_layer(path, kind=kind, version="bench")
            db.session.commit()
            print(
                f"  import {kind}: {time.perf_counter() - started:.1f} s, "
                f"peak RSS growth {rss_mb('VmHWM') - baseline:.0f} MB"
            )
        grown = (db_path.stat().st_size - before) / 1024
        print(f"  database growth from both imports: {grown:.0f} KB")
        baseline = rss_mb("VmRSS")
        reset_peak()
        before = db_path.stat().st_size
        started = time.perf_counter()
        counts = risk.assess_all()
        seconds = time.perf_counter() - started
        history = db.session.scalar(select(func.count(ForestAssessment.id)))
        print(
            f"  assess_all: {plots:,} plots in {seconds:.1f} s ({seconds / plots * 1000:.2f} ms "
            f"per plot), peak RSS growth {rss_mb('VmHWM') - baseline:.0f} MB; "
            f"{history:,} history rows, database +{(db_path.stat().st_size - before) / 1024:.0f} KB"
        )
        print("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4_000, 20_000])
    parser.add_argument("--plots", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minka-bench-") as workdir:
        for size in args.sizes:
            run(size, args.plots, Path(workdir))


if __name__ == "__main__":
    main()
