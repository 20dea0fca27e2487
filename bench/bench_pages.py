"""Benchmark the busiest pages on a large world: latency per page, in-process.

    python bench/bench_pages.py                  # 100,000 producers in a temp SQLite file
    python bench/bench_pages.py --producers 20000 --requests 50

Builds the demo world (with its matching run, so the credit pages have results), signs in
as each demo role and requests each page repeatedly through the WSGI app (no network, one
thread), then prints p50/p95 latency, requests per second and the number of SQL statements
per request. Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from sqlalchemy import event, select

from marketplace import create_app
from marketplace.demo import build_world
from marketplace.extensions import db
from marketplace.models import Producer, User

DEMO_PASSWORD = "minka-demo-2026"


def _pages(producer_id: int, farm_id: int) -> list[tuple[str, str]]:
    return [
        ("anonymous", "/"),
        ("productora@minka.demo", "/"),
        ("productora@minka.demo", f"/productores/{producer_id}"),
        ("productora@minka.demo", f"/productores/{producer_id}/fincas/{farm_id}/editar"),
        ("productora@minka.demo", "/mi-credito"),
        ("tecnico@minka.demo", "/"),
        ("tecnico@minka.demo", "/productores"),
        ("tecnico@minka.demo", "/productores?q=quispe"),
        ("tecnico@minka.demo", f"/productores/{producer_id}/credito"),
        ("caja@minka.demo", "/"),
        ("caja@minka.demo", "/credito/cartera"),
        ("caja@minka.demo", "/credito/prestamos"),
        ("caja@minka.demo", "/credito/productos"),
        ("admin@minka.demo", "/admin/usuarios"),
        ("admin@minka.demo", "/admin/organizaciones"),
        ("admin@minka.demo", "/admin/auditoria"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="minka-bench-")
    app = create_app(
        {
            "MINKA_ENV": "testing",
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir.name}/bench.sqlite3",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        build_world(producers=args.producers)
        demo = db.session.scalar(
            select(Producer)
            .join(User, Producer.user_id == User.id)
            .where(User.email == "productora@minka.demo")
        )
        producer_id, farm_id = demo.id, demo.farms[0].id
        db.session.remove()

    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)

    print(f"{args.producers:,} producers, {args.requests} requests per page (SQLite, one thread)")
    print(f"{'page':<58} {'p50 ms':>7} {'p95 ms':>7} {'req/s':>7} {'SQL':>4} {'KB':>5}")
    clients = {}
    for who, url in _pages(producer_id, farm_id):
        if who not in clients:
            clients[who] = app.test_client()
            if who != "anonymous":
                clients[who].post("/ingresar", data={"identifier": who, "password": DEMO_PASSWORD})
        client = clients[who]
        timings = []
        statements = 0
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        label = f"{who.split('@')[0]} {url}"
        print(
            f"{label:<58} {p50:7.1f} {p95:7.1f} {1000 / p50:7.0f} "
            f"{statements / args.requests:4.0f} {len(response.data) / 1024:5.1f}"
        )
    workdir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
