"""Benchmark the impact indicators on the demo world (100,000 producers by default).

    python bench/bench_impact.py                    # temp SQLite file
    python bench/bench_impact.py --producers 20000

Builds the world without its matching run, then prints the seconds `impact()` takes for
every country, for each country and for each value chain, and the figures it found.
Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from marketplace import create_app
    from marketplace.demo import build_world
    from marketplace.extensions import db
    from marketplace.traceability.impact import ImpactFilters, impact

    folder = tempfile.mkdtemp(prefix="minka-impact-")
    url = f"sqlite:///{Path(folder) / 'bench.db'}"
    config = {"MINKA_ENV": "testing", "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url}
    with create_app(config).app_context():
        db.create_all()
        started = time.perf_counter()
        build_world(producers=args.producers, seed=args.seed, matching=False)
        print(f"world of {args.producers} producers built in {time.perf_counter() - started:.1f} s")
        cases = [ImpactFilters()]
        cases += [ImpactFilters(country=c) for c in ("PE", "MX", "CO")]
        cases += [ImpactFilters(value_chain=v) for v in ("cacao", "cafe", "miel")]
        for filters in cases:
            started = time.perf_counter()
            figures = impact(filters)
            seconds = time.perf_counter() - started
            print(
                f"{filters.country or '*':2} {filters.value_chain or '*':6} {seconds:6.3f} s  "
                f"producers={figures.producers} improved_ha={figures.improved_ha} "
                f"committed={figures.committed_kg} delivered={figures.delivered_kg} "
                f"loans={figures.approved}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
