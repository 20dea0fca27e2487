"""What the load benchmarks share: cached demo worlds (SQLite and PostgreSQL), gunicorn, wrk.

bench_catalogue_load.py and bench_pages_load.py build the demo world once per size (cached
under instance/bench/, keyed by the sizes, the seed and the code that shapes the data), serve
Minka with gunicorn as production does, sign in through the real form and drive each page
with wrk.
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
DEMO_PASSWORD = "minka-demo-2026"
DEMO_LOGIN = ("productora@minka.demo", DEMO_PASSWORD)
BUSY_LOAD = 0.5  # 1-minute load average above which other work skews the figures
# What draws the demo world: a change in these files builds a new one. A cached world is
# brought up to date with the migrations before each use, as a production database is.
WORLD_SOURCES = ("marketplace/demo",)
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
    """Apply the migrations and grow the demo world in the database `env` points at, with
    its matching run (the credit pages show its groups)."""
    started = time.perf_counter()
    flask(env, "setup-db")
    flask(
        env,
        *("demo-data", "--producers", str(args.producers), "--listings", str(args.listings)),
        *("--seed", str(args.seed)),
    )
    print(f"world built in {time.perf_counter() - started:.0f} s")


def _world_folder(kind: str, args: argparse.Namespace) -> Path:
    """The folder of a cached world of this size and code; an unfinished one (no `ready`
    file), one asked to be rebuilt and older code's worlds of the same size are removed."""
    size = f"{args.producers}p-{args.listings}l"
    folder = BENCH_DIR / f"{kind}-{size}-{world_key(args)}"
    if args.rebuild or not (folder / "ready").exists():
        for stale in BENCH_DIR.glob(f"{kind}-{size}-*"):
            shutil.rmtree(stale)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sqlite_world(args: argparse.Namespace) -> tuple[str, Path]:
    """The cached SQLite world for these parameters (built when missing): URL and folder."""
    folder = _world_folder("world", args)
    url = f"sqlite:///{folder / 'minka.sqlite3'}"
    ready = folder / "ready"
    if not ready.exists():
        print(f"== building the demo world in {folder.relative_to(ROOT)} (once) ==")
        build_world(app_env(url, folder), args)
        ready.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
    else:
        print(f"== reusing the demo world in {folder.relative_to(ROOT)} ==")
        flask(app_env(url, folder), "setup-db")
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
def postgres_cluster(folder: Path | None = None) -> Iterator[str]:
    """A PostgreSQL cluster on a free loopback port; yields its `bench` database's URL.

    In `folder` (created when new, kept when stopped: a cached world) or, without one, in a
    throw-away folder removed on exit."""
    pgbin, port = postgres_bin(), free_port()
    throwaway = folder is None
    folder = Path(tempfile.mkdtemp(prefix="minka-bench-pg-")) if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []  # initdb refuses root
    if as_root:
        shutil.chown(folder, "postgres")

    def pg(*command: str) -> None:
        subprocess.run([*prefix, *command], cwd=folder, check=True, stdout=subprocess.DEVNULL)

    data, new = str(folder / "data"), not (folder / "data").exists()
    try:
        if new:
            pg(str(pgbin / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = f"{folder}/pg.log"
        pg(str(pgbin / "pg_ctl"), "-D", data, "-l", log, "-w", "-o", options, "start")
        if new:
            host = ("-h", "127.0.0.1", "-p", str(port), "-U", "postgres")
            pg(str(pgbin / "createdb"), *host, "bench")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            pg(str(pgbin / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
        if throwaway:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_world(args: argparse.Namespace) -> Iterator[tuple[str, Path]]:
    """The cached PostgreSQL world for these parameters (built when missing), served by its
    own cluster while the block runs: URL and instance folder."""
    folder = _world_folder("pg-world", args)
    instance = folder / "instance"
    ready = folder / "ready"
    with postgres_cluster(folder / "cluster") as url:
        if not ready.exists():
            print(f"== building the demo world in PostgreSQL, {folder.relative_to(ROOT)} (once) ==")
            instance.mkdir()
            build_world(app_env(url, instance), args)
            analyze_postgres(url)
            print("statistics gathered (vacuumdb --analyze-only), as autovacuum would")
            ready.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
        else:
            print(f"== reusing the PostgreSQL demo world in {folder.relative_to(ROOT)} ==")
            flask(app_env(url, instance), "setup-db")
            analyze_postgres(url)  # a migration's backfill leaves the planner's statistics old
        yield url, instance


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


def sign_in(port: int, email: str = DEMO_LOGIN[0]) -> str:
    """Sign in through the real form (CSRF token included); return the Cookie header value."""
    status, headers, page = request(port, "/ingresar")
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or not match:
        raise RuntimeError(f"GET /ingresar gave {status} without a csrf_token")
    cookie = session_cookie(headers)
    form = {"identifier": email, "password": DEMO_PASSWORD}
    form["csrf_token"] = match.group(1).decode()
    status, headers, _ = request(port, "/ingresar", {"Cookie": cookie}, urlencode(form))
    if status != 302:
        raise RuntimeError(f"signing in as {email} gave HTTP {status}, not a redirect")
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


@contextlib.contextmanager
def wrk_script() -> Iterator[Path | None]:
    """WRK_SCRIPT in a temporary folder for wrk (the folder takes the servers' logs too), or
    None, said aloud, when wrk is not installed."""
    if shutil.which("wrk") is None:
        print("wrk is not installed: the load runs are skipped (as root: apt-get install -y wrk;")
        print("`make bench` installs it when run as root).")
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="minka-bench-") as tmp:
        script = Path(tmp) / "percentiles.lua"
        script.write_text(WRK_SCRIPT)
        yield script


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
