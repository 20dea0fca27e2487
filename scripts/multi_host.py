"""Start Minka as several hosts on this machine, to try the multi-host setup (`make hosts`).

    python scripts/multi_host.py                     # 2 hosts, files in the database
    python scripts/multi_host.py --hosts 3 --storage s3 --producers 2000

Starts a throw-away PostgreSQL cluster and a redis-server (both under a temporary folder),
applies the migrations, loads the demo world, then starts each web host (gunicorn with
scripts/deploy/gunicorn.conf.py, an instance folder of its own, ports 5001, 5002, ...) and a
worker (`flask worker`), all with MINKA_HOSTS set, as production runs them, behind
production's proxy (scripts/deploy/nginx.conf on this machine's nginx, with a self-signed
certificate: https://127.0.0.1:5443, spreading the requests over the hosts). With
`--storage s3` the files go to an S3-compatible server on loopback (moto, a development
dependency, refusing credentials it did not issue as S3 does: tests/s3_fake.py). Sign in on
one host and keep going on another: the session, the catalogue, uploaded photos, rate limits
and matching runs are shared. Ctrl-C stops everything and removes the folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests import nginx_proxy  # noqa: E402  (production's proxy on loopback)

GUNICORN_CONF = ROOT / "scripts" / "deploy" / "gunicorn.conf.py"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(command: list[str], folder: Path) -> list[str]:
    """initdb refuses root: as root, the cluster belongs to the postgres user."""
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def start_postgres(folder: Path) -> tuple[str, list[str]]:
    """A cluster under `folder` on a free loopback port: its URL and its stop command."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        sys.exit("PostgreSQL is not installed (make system-deps installs it)")
    pg, port, data = bins[-1], _free_port(), folder / "data"
    run = {"cwd": folder, "check": True, "stdout": subprocess.DEVNULL}
    initdb = [str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
    subprocess.run(_as_postgres(initdb, folder), **run)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    start = [str(pg / "pg_ctl"), "-D", str(data), "-l", str(folder / "pg.log"), "-w"]
    subprocess.run(_as_postgres([*start, "-o", options, "start"], folder), **run)
    subprocess.run(
        _as_postgres(
            [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "minka"],
            folder,
        ),
        **run,
    )
    stop = _as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], folder)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/minka", stop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--storage", choices=("database", "s3"), default="database")
    parser.add_argument("--producers", type=int, default=1000)
    parser.add_argument("--first-port", type=int, default=5001)
    parser.add_argument("--proxy-port", type=int, default=5443, help="HTTPS; HTTP one below")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as on Ctrl-C

    folder = Path(tempfile.mkdtemp(prefix="minka-hosts-"))
    folder.chmod(0o755)  # the postgres user reaches its cluster inside
    (folder / "pg").mkdir()
    processes: list[subprocess.Popen] = []
    stop_pg: list[str] = []
    stack = contextlib.ExitStack()
    try:
        print(f"== PostgreSQL and Redis under {folder}")
        url, stop_pg = start_postgres(folder / "pg")
        redis_port = _free_port()
        processes.append(
            subprocess.Popen(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
                stdout=subprocess.DEVNULL,
            )
        )
        env = {
            **os.environ,
            "MINKA_ENV": "development",
            "MINKA_SECRET_KEY": os.urandom(32).hex(),
            "MINKA_DATABASE_URL": url,
            "MINKA_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "MINKA_HOSTS": str(args.hosts),
            "MINKA_FILE_STORAGE": args.storage,
            "MINKA_INSTANCE_PATH": str(folder / "setup"),
            "MINKA_TRUSTED_PROXIES": "1",  # behind the proxy
        }
        if args.storage == "s3":
            from tests.s3_fake import REGION, s3_server  # moto, checking credentials as S3

            s3 = stack.enter_context(s3_server("minka-uploads"))
            env |= {
                "MINKA_S3_ENDPOINT_URL": s3.url,
                "MINKA_S3_REGION": REGION,
                "MINKA_S3_BUCKET": "minka-uploads",
                **s3.env,
            }
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        print("== migrations and the demo world")
        subprocess.run([*flask, "setup-db"], cwd=ROOT, env=env, check=True)
        demo = [*flask, "demo-data", "--producers", str(args.producers), "--no-matching"]
        subprocess.run(demo, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        for n in range(args.hosts):
            port = args.first_port + n
            own = {
                "MINKA_BIND": f"127.0.0.1:{port}",
                "MINKA_WORKERS": "2",
                "MINKA_INSTANCE_PATH": str(folder / f"host-{n + 1}"),
            }
            command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"]
            log = (folder / f"host-{n + 1}.log").open("wb")
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env={**env, **own}, stdout=log, stderr=log)
            )
            print(f"== host {n + 1}: http://127.0.0.1:{port}  (log {log.name})")
        worker_log = (folder / "worker.log").open("wb")
        processes.append(
            subprocess.Popen(
                [*flask, "worker"],
                cwd=ROOT,
                env={**env, "MINKA_INSTANCE_PATH": str(folder / "worker")},
                stdout=worker_log,
                stderr=worker_log,
            )
        )
        upstream = [f"127.0.0.1:{args.first_port + n}" for n in range(args.hosts)]
        front = stack.enter_context(
            nginx_proxy.proxy(upstream, folder / "nginx", args.proxy_port - 1, args.proxy_port)
        )
        print(f"== proxy: {front.https_url} (self-signed certificate: the browser warns once)")
        print(f"== worker (log {worker_log.name}); demo password minka-demo-2026")
        print("Ctrl-C stops everything.")
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        print("a process stopped: see the logs above", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        stack.close()
        if stop_pg:
            subprocess.run(stop_pg, cwd=folder / "pg", stdout=subprocess.DEVNULL, check=False)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
