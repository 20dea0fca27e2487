"""Benchmark pairing overlapping plots of different producers (no database).

    python bench/bench_plot_overlaps.py                 # 100,000 plots
    python bench/bench_plot_overlaps.py --plots 1000000

Scatters farms like the demo world's (about 80 around each district seat, up to 8 km out;
35 % with a six-sided outline, the rest points whose plot is the circle of their declared
hectares; about 1.15 farms per producer) over a box of Peru-Colombia-Mexico, then runs
`overlaps.pairs_by_cell` - the cell loop of `detect_all` - with the rows held in memory in
place of the database. Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import namedtuple

import numpy as np

from marketplace.demo.farms import jitter, polygons
from marketplace.forest import overlaps

Row = namedtuple("Row", "id producer_id lat lon polygon_geojson total_ha")


def farms(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[Row]]:
    """`n` synthetic farm rows with their points."""
    rng = np.random.default_rng(seed)
    seats = max(1, n // 80)
    seat_lat, seat_lon = rng.uniform(-15, 20, seats), rng.uniform(-95, -70, seats)
    which = rng.integers(0, seats, n)
    lat, lon = jitter(rng, seat_lat[which], seat_lon[which])
    total = np.clip(rng.lognormal(1.0, 0.7, n), 0.25, 40)
    mapped = np.flatnonzero(rng.random(n) < 0.35)
    shapes = polygons(
        lat[mapped], lon[mapped], total[mapped],
        rng.uniform(0.85, 1.15, (len(mapped), 6)), rng.random(len(mapped)) * math.pi,
    )  # fmt: skip
    outline: list[dict | None] = [None] * n
    for i, shape in zip(mapped.tolist(), shapes, strict=True):
        outline[i] = shape
    producer = rng.integers(0, int(n / 1.15), n)
    rows = [
        Row(i, int(producer[i]), float(lat[i]), float(lon[i]), outline[i], float(total[i]))
        for i in range(n)
    ]
    return lat, lon, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=100_000)
    n = parser.parse_args().plots
    lat, lon, rows = farms(n)
    started = time.perf_counter()
    pairs = overlaps.pairs_by_cell(np.arange(n), lat, lon, lambda ids: [rows[i] for i in ids])
    took = time.perf_counter() - started
    print(f"{n:,} plots: {len(pairs):,} overlapping pairs of different producers in {took:.1f} s")


if __name__ == "__main__":
    main()
