"""Load benchmark of the catalogue: gunicorn + wrk on a world of 100,000 listings and producers.

    python bench/bench_catalogue_load.py                     # SQLite (the embedded default)
    python bench/bench_catalogue_load.py --postgres          # and again on PostgreSQL
    python bench/bench_catalogue_load.py --postgres-only --producers 1000000
    python bench/bench_catalogue_load.py --producers 20000 --listings 20000 --duration 5

Builds the demo world once with `flask demo-data` (cached under instance/bench/, keyed by the
sizes, the seed and the code that shapes the data), serves Minka with gunicorn (2 sync workers,
production settings, rate limits off) and, the same way, the bare Flask app of bench/bare_app.py.
Signs in as the demo producer, then drives each endpoint with wrk (8 connections, 10 s) and,
served the same way, bench/frame_app.py's signed-in route that renders no page; prints
requests/s, p50/p95/p99 latency, the catalogue page's size, and the catalogue's share of
the bare endpoint's throughput against the goals. Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from loadkit import (
    BUSY_LOAD,
    ROOT,
    Result,
    app_env,
    gunicorn,
    kb,
    measure,
    postgres_world,
    settle,
    sign_in,
    sqlite_world,
    wrk_script,
)

GOAL_RATIO, GOAL_P95_MS = 0.40, 50.0
GOAL_FRAME_SHARE, GOAL_API_P95_MS = 0.60, 15.0  # several hosts (README "Running several hosts")
# (label, path, signed in as the demo producer?)
MINKA_TARGETS = (
    ("catalogue", "/catalogo", True),
    ("catalogue search", "/catalogo?q=fertilizante", True),
    ("API listings", "/api/v1/listings", True),
    # The lightest Minka page (a small form, no query): the ceiling for any page of the app.
    ("floor: sign-in form, anonymous", "/ingresar", False),
)
# bench/frame_app.py: Minka with one more route that loads the signed-in user and answers a
# short text. No signed-in page can go faster: the ceiling of the catalogue's share.
FRAME_TARGET = ("floor: signed-in frame, no page", "/_bench/frame")


def run_minka(database: str, url: str, instance: Path, script: Path, args) -> list[Result]:
    """Serve Minka on `url` and measure every Minka target, then the frame's floor."""
    results = []
    env = app_env(url, instance)
    with gunicorn("wsgi:app", env, instance / "gunicorn.log") as port:
        cookie = sign_in(port)
        for label, path, signed_in in MINKA_TARGETS:
            as_who = cookie if signed_in else ""
            try:
                results.append(measure(f"{label} ({database})", port, path, as_who, script, args))
            except RuntimeError as error:
                print(f"skipped {path}: {error}")
    with gunicorn("frame_app:app", env, instance / "gunicorn-frame.log", ROOT / "bench") as port:
        label = f"{FRAME_TARGET[0]} ({database})"
        results.append(measure(label, port, FRAME_TARGET[1], sign_in(port), script, args))
    return results


def report(bare: Result, results: list[Result], args) -> None:
    """Print the table, the page weights and the goals."""
    print()
    print(
        f"{args.producers:,} producers, {args.listings:,} listings; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s after a {args.warmup} s warm-up; "
        "gunicorn -w 2 (sync)"
    )
    print(
        f"NOTE: this machine has {os.cpu_count()} cores, shared by the load generator (wrk) and "
        "the server: figures are lower than on a separate client and server."
    )
    before, after = args.load_before, os.getloadavg()[0]
    print(f"load average (1 min) before the runs: {before:.2f}, after: {after:.2f}", end="")
    if before > BUSY_LOAD:
        print(" -- the machine was busy with other work: figures are noisy, run again when idle")
    else:
        print()
    head = f"{'endpoint':<44} {'path':<26} {'req/s':>7} {'vs bare':>7} {'p50 ms':>7}"
    print(head + f" {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'body kB':>8} {'gzip kB':>8}")
    for r in [bare, *results]:
        print(
            f"{r.label:<44} {r.path:<26} {r.rps:7.0f} {r.rps / bare.rps:7.0%} {r.p50_ms:7.1f} "
            f"{r.p95_ms:7.1f} {r.p99_ms:7.1f} {r.errors:6d} {kb(r.body_bytes):>8} "
            f"{kb(r.gzip_bytes):>8}"
        )
    if any(r.body_bytes is not None and not r.compressed_by_app for r in results):
        print("gzip kB: computed (gzip -6); the app does not compress, a proxy in front would.")
    print()
    for r in results:
        if not r.label.startswith("catalogue ("):
            continue
        ratio = r.rps / bare.rps
        ratio_verdict = "met" if ratio >= GOAL_RATIO else "MISSED"
        p95_verdict = "met" if r.p95_ms <= GOAL_P95_MS else "MISSED"
        print(
            f"{r.label}: {ratio:.0%} of the bare endpoint's throughput "
            f"(goal >= {GOAL_RATIO:.0%}: {ratio_verdict}); p95 {r.p95_ms:.1f} ms "
            f"(goal <= {GOAL_P95_MS:.0f} ms: {p95_verdict}); page {kb(r.body_bytes)} kB, "
            f"{kb(r.gzip_bytes)} kB gzipped"
        )
    for database in dict.fromkeys(r.label.rsplit(" (", 1)[1] for r in results):
        same = {r.label.rsplit(" (", 1)[0]: r for r in results if r.label.endswith(f"({database}")}
        _several_hosts_goals(database.rstrip(")"), same)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def _several_hosts_goals(database: str, by_label: dict[str, Result]) -> None:
    """The goals of running several hosts: the catalogue >= 60 % of a signed-in page that
    renders nothing, served the same way; the JSON API at least as fast as the catalogue
    page it mirrors, p95 <= 15 ms."""
    catalogue, frame = by_label.get("catalogue"), by_label.get(FRAME_TARGET[0])
    api = by_label.get("API listings")
    if catalogue and frame:
        share = catalogue.rps / frame.rps
        print(
            f"{database} catalogue: {share:.0%} of the signed-in frame "
            f"(goal >= {GOAL_FRAME_SHARE:.0%}: {_verdict(share >= GOAL_FRAME_SHARE)})"
        )
    if catalogue and api:
        print(
            f"{database} API listings: {api.rps:.0f} req/s against the catalogue's "
            f"{catalogue.rps:.0f} (goal >=: {_verdict(api.rps >= catalogue.rps)}); p95 "
            f"{api.p95_ms:.1f} ms (goal <= {GOAL_API_P95_MS:.0f} ms: "
            f"{_verdict(api.p95_ms <= GOAL_API_P95_MS)})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=100_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached world")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument(
        "--postgres-only", action="store_true", help="on PostgreSQL only (the 1,000,000 world)"
    )
    args = parser.parse_args()

    args.postgres = args.postgres or args.postgres_only
    url, instance = (None, None) if args.postgres_only else sqlite_world(args)
    args.load_before = settle()
    with wrk_script() as script:
        if script is None:
            return 0  # the demo world is built and cached
        bare_env = {k: v for k, v in os.environ.items() if not k.startswith("MINKA_")}
        with gunicorn("bare_app:app", bare_env, script.parent / "bare.log", ROOT / "bench") as port:
            bare = measure("bare Flask", port, "/hello", "", script, args, size=False)
        results = [] if url is None else run_minka("SQLite", url, instance, script, args)
        if args.postgres:
            with postgres_world(args) as (pg_url, pg_instance):
                settle()  # after building the world
                results += run_minka("PostgreSQL", pg_url, pg_instance, script, args)
    report(bare, results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
