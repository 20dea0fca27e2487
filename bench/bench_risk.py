"""Benchmark the deforestation-risk assessment of every farm on the demo world.

    python bench/bench_risk.py                    # 5,000 producers, temp SQLite file
    python bench/bench_risk.py --producers 50000

Builds the demo world (which loads the demo forest layer), then times `assess_all` from
scratch (every status changes, so every farm is audited) and again with nothing to change.
Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from sqlalchemy import func, select, update

from marketplace import create_app
from marketplace.demo import build_world
from marketplace.extensions import db
from marketplace.forest import risk
from marketplace.models import Farm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minka-bench-") as workdir:
        app = create_app(
            {
                "MINKA_ENV": "testing",
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/bench.sqlite3",
            }
        )
        with app.app_context():
            db.create_all()
            build_world(producers=args.producers, matching=False)
            farms = db.session.scalar(select(func.count(Farm.id)))
            db.session.execute(update(Farm).values(risk_status="unassessed"))
            db.session.commit()
            for label in ("from scratch", "nothing changes"):
                started = time.perf_counter()
                counts = risk.assess_all()
                seconds = time.perf_counter() - started
                print(
                    f"assess_all {label}: {farms:,} farms in {seconds:.2f} s "
                    f"({seconds / farms * 1000:.2f} ms per farm)"
                )
            print("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
            db.session.remove()


if __name__ == "__main__":
    main()
