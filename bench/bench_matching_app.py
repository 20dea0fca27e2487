"""Benchmark the matching run inside the app, on the demo world of 100,000 producers.

    python bench/bench_matching_app.py                    # temp SQLite file
    python bench/bench_matching_app.py --producers 20000
    MINKA_DATABASE_URL=postgresql+psycopg://... python bench/bench_matching_app.py --drop

Builds the world in a child process (`flask demo-data --no-matching`), so this process's peak
memory is the run's: app, database rows, pipeline and results. Then runs the matching as
`flask matching run` does (runs.start_run + runs.execute) and prints, per country, the
seconds spent loading its tables from the database, in the pipeline (by stage), and for
the whole run the seconds storing the results, with the readiness model used (trained or
scorecard, AUC, Brier) and the figures of the run. Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time


def build_here(url: str, producers: int, seed: int, drop: bool) -> int:
    """Build the world without its matching run (in the child process)."""
    from marketplace import create_app
    from marketplace.demo import build_world
    from marketplace.extensions import db

    with create_app(config(url)).app_context():
        if drop:
            db.drop_all()
        db.create_all()
        build_world(producers=producers, seed=seed, matching=False)
    return 0


def build(args: argparse.Namespace, url: str, drop: bool) -> float:
    """Build the world in a child process (this script with --child); its seconds."""
    started = time.perf_counter()
    command = [sys.executable, __file__, "--child", "--producers", str(args.producers)]
    command += ["--seed", str(args.seed)] + (["--drop"] if drop else [])
    subprocess.run(command, check=True, env={**os.environ, "MINKA_DATABASE_URL": url})
    return time.perf_counter() - started


def config(url: str) -> dict:
    return {"MINKA_ENV": "testing", "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--drop", action="store_true", help="drop and recreate all tables")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = os.environ.get("MINKA_DATABASE_URL")
    if args.child:
        return build_here(url, args.producers, args.seed, args.drop)
    workdir = None
    if not url:
        workdir = tempfile.TemporaryDirectory(prefix="minka-bench-")
        url = f"sqlite:///{workdir.name}/bench.sqlite3"
    seconds = build(args, url, args.drop or workdir is not None)
    print(f"world of {args.producers:,} producers built in {seconds:.1f} s (child process)")

    from marketplace import create_app
    from marketplace.credit import runs
    from marketplace.extensions import db

    app = create_app(config(url))
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        marks: list[tuple[str, float]] = []
        run = runs.start_run(None, backend="cli")
        started = time.perf_counter()
        run = runs.execute(
            run.id, on_progress=lambda stage: marks.append((stage, time.perf_counter()))
        )
        total = time.perf_counter() - started
        if run.status != "succeeded":
            print(f"run failed: {run.error}")
            return 1
        report(run.metrics, marks, started, total)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS of this process (app + run): {peak_mb:,.0f} MB")
    if workdir is not None:
        workdir.cleanup()
    return 0


def report(metrics: dict, marks: list[tuple[str, float]], started: float, total: float) -> None:
    """Per country: loading, pipeline by stage; then storing and the totals."""
    print(
        f"{'country':<8}{'producers':>10}{'eligible':>9}{'groups':>7}{'matched':>8}"
        f"{'load s':>8}{'pipe s':>8}  model"
    )
    previous_end = started
    for country, figures in metrics["countries"].items():
        stages = figures["seconds"]
        pipeline = sum(stages.values())
        # the first mark of a country comes after loading and its first stage
        first = next(t for stage, t in marks if stage.startswith(f"{country}:"))
        load = first - previous_end - stages["eligibility"]
        previous_end = max(t for stage, t in marks if stage.startswith(f"{country}:"))
        model = figures["model_kind"]
        if figures.get("auc") is not None:
            model += f" (AUC {figures['auc']:.3f}, Brier {figures['brier']:.3f})"
        print(
            f"{country:<8}{figures['n_producers']:>10,}{figures['n_eligible']:>9,}"
            f"{figures['n_groups']:>7,}{figures['matched_groups']:>8,}"
            f"{load:>8.1f}{pipeline:>8.1f}  {model}"
        )
        print("        stages: " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    store = started + total - previous_end  # results written in one transaction at the end
    print(
        f"storing {store:.1f} s; whole run {total:.1f} s: {metrics['n_producers']:,} producers, "
        f"{metrics['n_eligible']:,} eligible, {metrics['n_groups']:,} groups, "
        f"{metrics['matched_groups']:,} matched (match rate {metrics['match_rate']:.1%})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
