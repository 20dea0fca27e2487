"""Benchmark `flask demo-data`: wall time, rows per second and peak memory.

    python bench/bench_demo_data.py                   # 100,000 producers, temp SQLite file
    python bench/bench_demo_data.py --producers 20000
    MINKA_DATABASE_URL=postgresql+psycopg://... python bench/bench_demo_data.py --drop

With MINKA_DATABASE_URL the world is built in that database; `--drop` first drops and
recreates every Minka table there (it refuses to touch a database that has users otherwise).
Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

from sqlalchemy import func, select

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import User


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--drop", action="store_true", help="drop and recreate all tables")
    args = parser.parse_args()

    url = os.environ.get("MINKA_DATABASE_URL")
    workdir = None
    if not url:
        workdir = tempfile.TemporaryDirectory(prefix="minka-bench-")
        url = f"sqlite:///{workdir.name}/bench.sqlite3"
    app = create_app(
        {
            "MINKA_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
        }
    )
    with app.app_context():
        engine = db.engine
        print(f"database: {engine.dialect.name} ({engine.url.render_as_string()})")
        if args.drop or workdir is not None:
            db.drop_all()
        db.create_all()
        if db.session.scalar(select(func.count(User.id))):
            print("the database already has users; pass --drop to start from empty tables")
            return 2
        db.session.remove()

        runner = app.test_cli_runner()
        started = time.perf_counter()
        result = runner.invoke(
            args=[
                *("demo-data", "--producers", str(args.producers), "--seed", str(args.seed)),
                "--no-matching",  # the run is measured by bench/bench_matching_app.py
            ]
        )
        wall = time.perf_counter() - started
        if result.exit_code != 0:
            print(result.output)
            raise SystemExit(result.exception)
        rows = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
    total = sum(rows.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(result.output.rstrip())
    print()
    print("rows: " + ", ".join(f"{name} {count:,}" for name, count in rows.items() if count))
    print(
        f"producers: {args.producers:,}  wall time: {wall:.1f} s  "
        f"rows/s: {total / wall:,.0f}  peak RSS: {peak_mb:,.0f} MB"
    )
    if workdir is not None:
        workdir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
