"""Load benchmark of the catalogue: gunicorn + wrk on a world of 100,000 listings and producers.

    python bench/bench_catalogue_load.py                     # SQLite (the embedded default)
    python bench/bench_catalogue_load.py --postgres          # and again on a throw-away PostgreSQL
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
import contextlib
import gzip
import hashlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH_DIR = ROOT / "instance" / "bench"
DEMO_LOGIN = ("productora@minka.demo", "minka-demo-2026")
GOAL_RATIO, GOAL_P95_MS = 0.40, 50.0
GOAL_FRAME_SHARE, GOAL_API_P95_MS = 0.60, 15.0  # several hosts (README "Running several hosts")
BUSY_LOAD = 0.5  # 1-minute load average above which other work skews the figures
# What shapes the demo world: a change in any of these files builds a new one.
WORLD_SOURCES = ("marketplace/demo", "marketplace/models", "migrations/versions")
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
# wrk prints 50/75/90/99 with --latency; this prints the figures the table needs, p95 included.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "MINKA-WRK requests=%.0f duration_us=%.0f bytes=%.0f socket_errors=%.0f non2xx=%.0f "
    .. "p50_us=%.0f p95_us=%.0f p99_us=%.0f max_us=%.0f\\n",
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""


@dataclass
class Result:
    """One wrk run, in the units the table prints."""

    label: str
    path: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    body_bytes: int | None = None
    gzip_bytes: int | None = None
    compressed_by_app: bool = False


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def world_key(args: argparse.Namespace) -> str:
    """A short digest of the world's parameters and of the code that builds it."""
    digest = hashlib.sha256(f"{args.producers}:{args.listings}:{args.seed}".encode())
    for top in WORLD_SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def flask(env: dict[str, str], *command: str) -> None:
    """Run `flask --app wsgi COMMAND` in the project with `env`, echoing its output."""
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env, check=True)


def app_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment Minka runs with: production settings, rate limits off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINKA_")}
    env.update(
        MINKA_ENV="production",
        MINKA_SECRET_KEY=secrets.token_hex(32),
        MINKA_RATELIMIT_ENABLED="0",
        MINKA_DATABASE_URL=database_url,
        MINKA_INSTANCE_PATH=str(instance),
        **extra,
    )
    return env


def build_world(env: dict[str, str], args: argparse.Namespace) -> None:
    """Apply the migrations and grow the demo world in the database `env` points at."""
    started = time.perf_counter()
    flask(env, "setup-db")
    flask(
        env,
        *("demo-data", "--producers", str(args.producers), "--listings", str(args.listings)),
        *("--seed", str(args.seed), "--no-matching"),
    )
    print(f"world built in {time.perf_counter() - started:.0f} s")


def sqlite_world(args: argparse.Namespace) -> tuple[str, Path]:
    """The cached SQLite world for these parameters (built when missing): URL and folder."""
    folder = BENCH_DIR / f"world-{args.producers}p-{args.listings}l-{world_key(args)}"
    url = f"sqlite:///{folder / 'minka.sqlite3'}"
    ready = folder / "ready"
    if args.rebuild or not ready.exists():
        for stale in BENCH_DIR.glob("world-*"):  # other sizes or older code: never reused
            shutil.rmtree(stale)
        folder.mkdir(parents=True)
        print(f"== building the demo world in {folder.relative_to(ROOT)} (once) ==")
        build_world(app_env(url, folder), args)
        ready.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
    else:
        print(f"== reusing the demo world in {folder.relative_to(ROOT)} ==")
    return url, folder


def postgres_bin() -> Path:
    """The newest PostgreSQL server's bin folder."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not bins:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install -y postgresql)")
    return bins[-1].parent


def analyze_postgres(url: str) -> None:
    """Gather the planner's statistics, as autovacuum soon does after a bulk load."""
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://")
    command = [str(postgres_bin() / "vacuumdb"), "--analyze-only", "--quiet", "-d", libpq_url]
    subprocess.run(command, check=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free loopback port; yields its database URL."""
    pgbin, port = postgres_bin(), free_port()
    folder = Path(tempfile.mkdtemp(prefix="minka-bench-pg-"))
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []  # initdb refuses root
    if as_root:
        shutil.chown(folder, "postgres")

    def pg(*command: str) -> None:
        subprocess.run([*prefix, *command], cwd=folder, check=True, stdout=subprocess.DEVNULL)

    data = str(folder / "data")
    try:
        pg(str(pgbin / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg(
            str(pgbin / "pg_ctl"),
            "-D",
            data,
            "-l",
            f"{folder}/pg.log",
            "-w",
            "-o",
            options,
            "start",
        )
        pg(str(pgbin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            pg(str(pgbin / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], log: Path, chdir: Path = ROOT) -> Iterator[int]:
    """Serve `app` with 2 sync gunicorn workers on a free port; stop them on exit."""
    port = free_port()
    command = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--chdir", str(chdir)]
    with log.open("w") as out:
        server = subprocess.Popen(
            [*command, app], cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited; see {log}:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app} did not start in 60 s; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server's own process group, nothing else
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def request(port: int, path: str, headers: dict | None = None, body: str | None = None):
    """One HTTP request to the local server: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        method = "POST" if body is not None else "GET"
        all_headers = dict(headers or {})
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def session_cookie(headers, fallback: str = "") -> str:
    """The `session=...` pair a response sets, or `fallback`."""
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return fallback


def sign_in(port: int) -> str:
    """Sign in through the real form (CSRF token included); return the Cookie header value."""
    status, headers, page = request(port, "/ingresar")
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not match:
        raise RuntimeError(f"GET /ingresar gave {status} without a csrf_token")
    cookie = session_cookie(headers)
    form = {"identifier": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]}
    form["csrf_token"] = match.group(1).decode()
    status, headers, _ = request(port, "/ingresar", {"Cookie": cookie}, urlencode(form))
    if status != 302:
        raise RuntimeError(f"signing in as {DEMO_LOGIN[0]} gave HTTP {status}, not a redirect")
    return session_cookie(headers, cookie)


def page_size(port: int, path: str, cookie: str) -> tuple[int, int, bool]:
    """The page's body size, its gzip size, and whether the app itself compressed it."""
    headers = {"Accept-Encoding": "gzip", **({"Cookie": cookie} if cookie else {})}
    status, headers, body = request(port, path, headers)
    if status != 200:
        raise RuntimeError(f"GET {path} gave HTTP {status}")
    if headers.get("Content-Encoding") == "gzip":
        return len(gzip.decompress(body)), len(body), True
    return len(body), len(gzip.compress(body, 6)), False


def wrk(port: int, path: str, cookie: str, seconds: int, script: Path, args) -> dict[str, float]:
    """Drive `path` with wrk and return the figures printed by WRK_SCRIPT."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    command += ["-s", str(script), f"http://127.0.0.1:{port}{path}"]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((x for x in output.splitlines() if x.startswith("MINKA-WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    return {k: float(v) for k, v in (pair.split("=") for pair in line.split()[1:])}


def measure(label, port, path, cookie, script, args, size=True) -> Result:
    """Warm up, then run wrk once on `path`; with `size`, also weigh the page."""
    sizes = page_size(port, path, cookie) if size else (None, None, False)
    wrk(port, path, cookie, args.warmup, script, args)
    figures = wrk(port, path, cookie, args.duration, script, args)
    return Result(
        label=label,
        path=path,
        rps=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=int(figures["socket_errors"] + figures["non2xx"]),
        body_bytes=sizes[0],
        gzip_bytes=sizes[1],
        compressed_by_app=sizes[2],
    )


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


def settle(seconds: int = 60) -> float:
    """Wait (at most `seconds`) for the 1-minute load average to fall below BUSY_LOAD, as
    after building the world; return it."""
    deadline = time.monotonic() + seconds
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        print(f"load average {load:.2f}: waiting up to {seconds} s for the machine to settle")
    while load > BUSY_LOAD and time.monotonic() < deadline:
        time.sleep(5)
        load = os.getloadavg()[0]
    return load


def kb(value: int | None) -> str:
    """Bytes as kB with one decimal, or a dash."""
    return "-" if value is None else f"{value / 1000:.1f}"


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
    parser.add_argument("--postgres", action="store_true", help="also on a throw-away PostgreSQL")
    args = parser.parse_args()

    url, instance = sqlite_world(args)
    args.load_before = settle()
    if shutil.which("wrk") is None:
        print("wrk is not installed: the load runs are skipped (as root: apt-get install -y wrk;")
        print("`make bench` installs it when run as root). The demo world is built and cached.")
        return 0
    with tempfile.TemporaryDirectory(prefix="minka-bench-") as tmp:
        script = Path(tmp) / "percentiles.lua"
        script.write_text(WRK_SCRIPT)
        bare_env = {k: v for k, v in os.environ.items() if not k.startswith("MINKA_")}
        with gunicorn("bare_app:app", bare_env, Path(tmp) / "bare.log", ROOT / "bench") as port:
            bare = measure("bare Flask", port, "/hello", "", script, args, size=False)
        results = run_minka("SQLite", url, instance, script, args)
        if args.postgres:
            with postgres_cluster() as pg_url:
                print("== building the demo world in a throw-away PostgreSQL ==")
                pg_instance = Path(tmp) / "pg-instance"
                pg_instance.mkdir()
                build_world(app_env(pg_url, pg_instance), args)
                analyze_postgres(pg_url)
                print("statistics gathered (vacuumdb --analyze-only), as autovacuum would")
                results += run_minka("PostgreSQL", pg_url, pg_instance, script, args)
    report(bare, results, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
