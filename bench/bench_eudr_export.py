"""Benchmark the due-diligence export of one commitment with many plots: time and memory.

    python bench/bench_eudr_export.py                 # 10,000 plots in a temp SQLite file
    python bench/bench_eudr_export.py --plots 2000

Builds a small demo world (for a buyer's commitment and a collection centre), then adds
synthetic producers, farms (a third with a polygon, a third points up to 4 ha, a third over
4 ha without an outline: pending), pledges and one delivery each to the first cacao
commitment. Times the export steps (readiness, the checked GeoJSON text, the CSVs) and
prints the peak Python memory (tracemalloc, on a second untimed run) and the process's peak
RSS. Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import tempfile
import time
import tracemalloc
from datetime import timedelta

from sqlalchemy import func, insert, select

from marketplace import create_app
from marketplace.demo import build_world
from marketplace.extensions import db
from marketplace.models import CollectionCenter, Farm, Pledge, Producer, PurchaseCommitment
from marketplace.models.base import local_today
from marketplace.models.traceability import Delivery
from marketplace.traceability import export, tracing

SEAT_LAT, SEAT_LON = -7.18, -76.73  # Juanjuí (San Martín, Peru): district 220601


def _square(lat: float, lon: float, ha: float, rng: random.Random) -> dict:
    """A slightly irregular quadrilateral of about `ha` hectares, with more than 6 decimals."""
    side = math.sqrt(ha * 10_000) / 111_320
    ring = [
        [lon + rng.uniform(0, side / 10), lat],
        [lon + side, lat + rng.uniform(0, side / 10)],
        [lon + side, lat + side],
        [lon, lat + side],
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _add_plots(commitment: PurchaseCommitment, plots: int, seed: int) -> None:
    rng = random.Random(seed)
    center_id = db.session.scalar(select(CollectionCenter.id).order_by(CollectionCenter.id))
    first = 1 + max(
        db.session.scalar(select(func.max(model.id))) or 0 for model in (Producer, Farm, Pledge)
    )
    producers, farms, pledges, deliveries = [], [], [], []
    today = local_today()
    for i in range(plots):
        producer_id = first + i
        lat = SEAT_LAT + rng.uniform(-0.1, 0.1)
        lon = SEAT_LON + rng.uniform(-0.1, 0.1)
        kind = i % 3
        ha = rng.uniform(0.5, 4.0) if kind != 2 else rng.uniform(4.5, 12.0)
        producers.append(
            {"id": producer_id, "first_name": "Bench", "last_name": f"P{i}", "gender": "female",
             "country": "PE", "national_id": f"{40_000_000 + producer_id}"}
        )  # fmt: skip
        farms.append(
            {"id": producer_id, "producer_id": producer_id, "name": f"Parcela {i}",
             "country": "PE", "region": "San Martín", "district_code": "220601", "lat": lat,
             "lon": lon, "total_ha": ha, "productive_ha": ha * 0.7, "forest_ha": 0.0,
             "value_chain": "cacao", "certifications": [],
             "polygon_geojson": _square(lat, lon, ha, rng) if kind == 0 else None,
             "polygon_area_ha": ha if kind == 0 else None}
        )  # fmt: skip
        pledges.append(
            {"id": producer_id, "commitment_id": commitment.id, "farm_id": producer_id,
             "producer_id": producer_id, "pledged_by_id": commitment.created_by_id, "kg": 100}
        )  # fmt: skip
        deliveries.append(
            {"code": f"ENT-BENCH-{i:06d}", "pledge_id": producer_id,
             "commitment_id": commitment.id, "producer_id": producer_id, "farm_id": producer_id,
             "collection_center_id": center_id, "kg": 80, "currency": commitment.currency,
             "delivered_on": today - timedelta(days=rng.randint(1, 90)),
             "recorded_by_id": commitment.created_by_id}
        )  # fmt: skip
    for model, rows in ((Producer, producers), (Farm, farms), (Pledge, pledges)):
        db.session.execute(insert(model), rows)
    db.session.execute(insert(Delivery), deliveries)
    db.session.commit()


def _timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label:<40} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="minka-bench-")
    app = create_app(
        {
            "MINKA_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir.name}/bench.sqlite3",
        }
    )
    with app.app_context():
        db.create_all()
        build_world(producers=200, seed=args.seed, matching=False)
        commitment = db.session.scalar(
            select(PurchaseCommitment)
            .where(PurchaseCommitment.value_chain == "cacao")
            .order_by(PurchaseCommitment.id)
        )
        _add_plots(commitment, args.plots, args.seed)
        commitment_id = commitment.id
        db.session.remove()

    with app.test_request_context():
        commitment = db.session.get(PurchaseCommitment, commitment_id)
        started = time.perf_counter()
        rows = _timed("deliveries", lambda: tracing.commitment_deliveries(commitment))
        found = _timed("readiness and features", lambda: export.due_diligence(commitment, rows))
        text = _timed("GeoJSON text, checked", lambda: export.checked_text(found))
        csv_text = _timed("CSV", lambda: export.to_csv(found))
        pending = _timed("pending CSV", lambda: export.pending_csv(found))
        total = time.perf_counter() - started
        db.session.remove()
    # tracemalloc slows Python down several times: memory is measured on a second, untimed run
    with app.test_request_context():
        commitment = db.session.get(PurchaseCommitment, commitment_id)
        tracemalloc.start()
        again = export.due_diligence(commitment, tracing.commitment_deliveries(commitment))
        export.checked_text(again), export.to_csv(again), export.pending_csv(again)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'total':<40} {total:8.2f} s")
    print(
        f"{len(rows):,} deliveries -> {len(found.plots):,} plots in the file, "
        f"{len(found.pending):,} pending"
    )
    print(
        f"GeoJSON {len(text.encode()) / 1e6:.2f} MB, CSV {len(csv_text.encode()) / 1e6:.2f} MB, "
        f"pending CSV {len(pending.encode()) / 1e6:.2f} MB"
    )
    print(f"peak Python memory (tracemalloc) {peak / 1e6:.1f} MB; peak RSS {rss_mb:.0f} MB")
    workdir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
