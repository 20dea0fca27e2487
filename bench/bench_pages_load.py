"""Each role's main pages under load: p50/p95 with 8 concurrent clients on a large world.

    python bench/bench_pages_load.py                                  # 100,000 producers, SQLite
    python bench/bench_pages_load.py --postgres                       # the same, on PostgreSQL
    python bench/bench_pages_load.py --postgres --producers 1000000

Uses the cached demo worlds of the load benchmarks (bench/loadkit.py; the first run builds
one, with its matching run). Finds each demo account's main pages as a person does: its home
page and the pages its menu and home page link to, one per endpoint (the walk of
tests/integration/pages.py, in-process). Then serves Minka with gunicorn (2 sync workers,
production settings, rate limits off), signs in through the real form as each account and
drives each page with wrk (8 connections). Prints p50/p95/p99 and requests/s per page, and
the pages whose p95 is over the goal (100 ms). Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from loadkit import (
    BUSY_LOAD,
    ROOT,
    Result,
    app_env,
    gunicorn,
    measure,
    postgres_world,
    request,
    settle,
    sign_in,
    sqlite_world,
    wrk_script,
)

sys.path.insert(0, str(ROOT))  # the walk lives with the tests

from marketplace import create_app  # noqa: E402
from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: E402
from tests.integration.pages import walk  # noqa: E402

GOAL_P95_MS = 100.0
VISITOR_START = ["/", "/catalogo", "/impacto"]


def main_pages(database_url: str, instance: Path, depth: int) -> dict[str | None, list[str]]:
    """Each account's (None: the visitor's) main pages: home and what it links to."""
    app = create_app(
        {
            "MINKA_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MINKA_INSTANCE_PATH": str(instance),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    pages: dict[str | None, list[str]] = {}
    for email in [None, *(account.email for account in DEMO_ACCOUNTS)]:
        client = app.test_client()
        if email is not None:
            client.post("/ingresar", data={"identifier": email, "password": DEMO_PASSWORD})
        start = VISITOR_START if email is None else ["/"]
        found = walk(app, client, start, per_endpoint=1, depth=depth)
        pages[email] = [page.url for page in found if page.mimetype == "text/html"]
    return pages


@contextlib.contextmanager
def world(args: argparse.Namespace) -> Iterator[tuple[str, str, Path]]:
    """The cached world of these sizes on the chosen database: name, URL, instance folder."""
    if args.postgres:
        with postgres_world(args) as (url, instance):
            yield "PostgreSQL", url, instance
    else:
        url, folder = sqlite_world(args)
        yield "SQLite", url, folder


def run(args: argparse.Namespace, script: Path) -> tuple[str, list[tuple[str, Result]]]:
    """Measure every main page of every role; return the database's name and the rows."""
    rows = []
    with world(args) as (database, url, instance):
        pages = main_pages(url, instance, args.depth)
        args.load_before = settle()
        with gunicorn("wsgi:app", app_env(url, instance), instance / "gunicorn-pages.log") as port:
            for _ in range(4):  # each worker's first request loads templates and catalogues
                request(port, "/ingresar")
            for email, urls in pages.items():
                role = "visitor" if email is None else email.split("@")[0]
                cookie = "" if email is None else sign_in(port, email)
                for path in urls:
                    try:
                        result = measure(path, port, path, cookie, script, args, size=False)
                    except RuntimeError as error:
                        print(f"skipped {role} {path}: {error}")
                        continue
                    rows.append((role, result))
                    print(f"  {role:<11} {path[:56]:<56} p95 {result.p95_ms:7.1f} ms", flush=True)
    return database, rows


def report(database: str, rows: list[tuple[str, Result]], args: argparse.Namespace) -> None:
    """The table, then the pages over the goal."""
    print()
    print(
        f"{database}, {args.producers:,} producers, {args.listings:,} listings; each page: wrk "
        f"-t{args.threads} -c{args.connections} -d{args.duration}s after a {args.warmup} s "
        "warm-up; gunicorn -w 2 (sync), on the same 2-core machine as wrk"
    )
    after = os.getloadavg()[0]
    print(f"load average (1 min) before: {args.load_before:.2f}, after: {after:.2f}", end="")
    print(" -- busy with other work: figures are noisy" if args.load_before > BUSY_LOAD else "")
    print(f"{'role':<11} {'page':<56} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} err")
    for role, r in rows:
        print(
            f"{role:<11} {r.path[:56]:<56} {r.rps:7.0f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{r.p99_ms:7.1f} {r.errors:3d}"
        )
    over = [(role, r) for role, r in rows if r.p95_ms > GOAL_P95_MS or r.errors]
    worst = max(rows, key=lambda row: row[1].p95_ms, default=None)
    print()
    print(
        f"{len(rows)} pages; goal p95 <= {GOAL_P95_MS:.0f} ms with {args.connections} clients: "
        + ("met" if not over else f"MISSED on {len(over)}")
        + (f"; slowest: {worst[0]} {worst[1].path} {worst[1].p95_ms:.1f} ms" if worst else "")
    )
    for role, r in over:
        print(f"  over the goal or with errors: {role} {r.path}: p95 {r.p95_ms:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=100_000)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL, not SQLite")
    parser.add_argument("--depth", type=int, default=1, help="clicks away from the home page")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached world")
    args = parser.parse_args()

    with wrk_script() as script:
        if script is None:
            return 0
        database, rows = run(args, script)
    report(database, rows, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
