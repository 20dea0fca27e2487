"""Two web hosts on one PostgreSQL and one Redis, as behind a load balancer.

Each host is a gunicorn with production's settings (scripts/deploy/gunicorn.conf.py), two
workers and an instance folder of its own; a worker (`flask worker`) works the Redis queues.
Through plain HTTP (CSRF on, as a browser), the test checks that what one host does, the
other sees at once: a listing paused on host A leaves host B's (cached) catalogue; a photo
uploaded through A is served by B; an outline saved on B is assessed against the forest
rasters another machine imported; failed sign-ins count against one limit across both; a
session ended on A is ended on B; a matching run started on A is executed by the worker and
shown finished on B. Twice: with files in the database and in an S3-compatible bucket
(moto's server on loopback, which only accepts the access key it issued, signed with its
secret).

PostgreSQL only (the suite's PostgreSQL pass): several hosts cannot share a SQLite file.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from marketplace.demo import DEMO_PASSWORD
from marketplace.models import (
    Farm,
    FieldEvidence,
    Listing,
    ListingStatus,
    MatchingRun,
    Producer,
    RunStatus,
    User,
)
from tests import nginx_proxy
from tests.processes import stop
from tests.s3_fake import REGION, S3Server, s3_server

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "scripts" / "deploy" / "gunicorn.conf.py"  # production's settings
BUCKET = "minka-topology"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BASED_ON = re.compile(r'name="based_on"[^>]*value="([^"]*)"')
STATIC = re.compile(r"/static/[\w./-]+\?v=\w+")
START_TIMEOUT = 60  # s, a host answering or a run finishing

pytestmark = pytest.mark.skipif(
    not os.environ.get("MINKA_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several hosts share a PostgreSQL (the suite's PostgreSQL pass runs this)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def importing_host(tmp_path_factory) -> Path:
    """The instance folder of the machine that loaded the demo world and its forest rasters."""
    return tmp_path_factory.mktemp("importing-host")


@pytest.fixture(scope="module")
def topology_db(importing_host) -> Iterator[str]:
    """A throw-away database on the suite's PostgreSQL, migrated and with a small demo world."""
    server = make_url(os.environ["MINKA_TEST_DATABASE_URL"])
    name = f"minka_topology_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "MINKA_DATABASE_URL": url, "MINKA_ENV": "testing"}
    env["MINKA_SECRET_KEY"] = "topology"
    env["MINKA_INSTANCE_PATH"] = str(importing_host)
    for command in (["setup-db"], ["demo-data", "--producers", "150", "--no-matching"]):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def bucket_server() -> Iterator[S3Server]:
    """moto's S3 server with the hosts' bucket, checking credentials."""
    with s3_server(BUCKET) as server:
        yield server


class Host:
    """One gunicorn serving Minka; its base URL."""

    def __init__(self, name: str, env: dict, folder: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        self.instance = instance = folder / name
        instance.mkdir()
        command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"]
        own = {"MINKA_INSTANCE_PATH": str(instance), "MINKA_BIND": f"127.0.0.1:{self.port}"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, **own, "MINKA_WORKERS": "2"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"host {self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/ingresar", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        pytest.fail(f"host {self.name} did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture(params=["database", "s3"])
def hosts(
    request, topology_db, importing_host, redis_server, tmp_path
) -> Iterator[tuple[Host, Host]]:
    """Hosts A and B and a worker, with files in the database or a bucket, where the machine
    that imported the demo's forest rasters shared them (`flask forest share`)."""
    from redis import Redis

    Redis.from_url(redis_server).flushdb()
    env = {
        **os.environ,
        "MINKA_ENV": "development",
        "MINKA_SECRET_KEY": "the same secret on every host",
        "MINKA_DATABASE_URL": topology_db,
        "MINKA_REDIS_URL": redis_server,
        "MINKA_HOSTS": "2",
        "MINKA_FILE_STORAGE": request.param,
        "MINKA_CATALOG_CACHE_SECONDS": "300",  # a change must not wait for the expiry
        "MINKA_LOGIN_ACCOUNT_LIMIT": "3 per minute",
        "MINKA_TRUSTED_PROXIES": "1",  # as production, behind its proxy
    }
    if request.param == "s3":
        server = request.getfixturevalue("bucket_server")
        env |= {
            "MINKA_S3_ENDPOINT_URL": server.url,
            "MINKA_S3_REGION": REGION,
            "MINKA_S3_BUCKET": BUCKET,
            **server.env,
        }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "forest", "share"],
        cwd=ROOT,
        env={**env, "MINKA_INSTANCE_PATH": str(importing_host)},
        check=True,
        capture_output=True,
    )
    a, b = Host("a", env, tmp_path), Host("b", env, tmp_path)
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT,
        env={**env, "MINKA_INSTANCE_PATH": str(tmp_path / "worker")},
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        a.wait()
        b.wait()
        yield a, b
    finally:
        for host in (a, b):
            host.stop()
        stop(worker)
        worker_log.close()


class Browser(requests.Session):
    """A person's browser: one cookie jar for both hosts (same address, another port)."""

    def token(self, url: str) -> str:
        page = self.get(url)
        assert page.status_code == 200, (url, page.status_code)
        return TOKEN.search(page.text)[1]

    def log_in(self, host: Host | nginx_proxy.Proxy, email: str, password: str = DEMO_PASSWORD):
        data = {"identifier": email, "password": password}
        data["csrf_token"] = self.token(f"{host.url}/ingresar")
        return self.post(f"{host.url}/ingresar", data=data, allow_redirects=False)

    def submit(self, host: Host, form_page: str, action: str, **kwargs):
        data = kwargs.pop("data", {}) | {"csrf_token": self.token(f"{host.url}{form_page}")}
        return self.post(f"{host.url}{action}", data=data, allow_redirects=False, **kwargs)


@pytest.fixture
def db(topology_db) -> Iterator[Session]:
    """A session on the hosts' database, to find ids and check what they stored."""
    engine = create_engine(topology_db)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _square(lat: float, lon: float, half: float = 0.001) -> dict:
    """A plot of about 200 m a side around a point."""
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def _user(session: Session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def test_two_hosts_share_everything(hosts, db):
    a, b = hosts

    # A listing paused on A leaves B's cached catalogue at once.
    supplier = _user(db, "proveedor@minka.demo")
    listing = db.scalar(
        select(Listing)
        .where(Listing.organization_id == supplier.organization_id)
        .where(Listing.status == ListingStatus.PUBLISHED, Listing.stock > 0)
        .order_by(Listing.id)
    )
    visitor = requests.Session()
    search = f"{b.url}/catalogo?q={requests.utils.quote(listing.title)}"
    shown = f'href="/catalogo/{listing.id}"'
    assert shown in visitor.get(search).text
    seller = Browser()
    assert seller.log_in(a, supplier.email).status_code == 302
    paused = seller.submit(a, "/mis-productos", f"/mis-productos/{listing.id}/pausar")
    assert paused.status_code == 302
    assert shown not in visitor.get(search).text

    # A photo uploaded through A is served by B (to the same signed-in technician).
    technician = _user(db, "tecnico@minka.demo")
    farm = db.scalar(
        select(Producer).where(Producer.cooperative_id == technician.organization_id)
    ).farms[0]
    field = Browser()
    assert field.log_in(a, technician.email).status_code == 302
    sent = field.submit(
        a,
        f"/fincas/{farm.id}/parcela",
        f"/fincas/{farm.id}/evidencias",
        data={"note": "Cacao bajo sombra", "observed_on": "2026-12-01"},
        files={"photo": ("foto.png", PNG, "image/png")},
    )
    assert sent.status_code == 302, sent.text[-2000:]
    item = db.scalar(
        select(FieldEvidence)
        .where(FieldEvidence.farm_id == farm.id)
        .order_by(FieldEvidence.id.desc())
    )
    photo = field.get(f"{b.url}/fincas/{farm.id}/evidencias/{item.id}/foto")
    assert photo.status_code == 200 and photo.content == PNG

    # An outline saved on B is assessed there, against the forest rasters another machine
    # imported: B fetches them from the file store.
    plot = f"/fincas/{farm.id}/parcela"
    based_on = BASED_ON.search(field.get(f"{b.url}{plot}").text)[1]
    outline = {"outline": json.dumps(_square(farm.lat, farm.lon)), "based_on": based_on}
    saved = field.submit(b, plot, plot, data=outline)
    assert saved.status_code == 302, saved.text[-2000:]
    assert list((b.instance / "forest_layers").glob("*.tif"))
    db.expire_all()
    assert db.get(Farm, farm.id).risk_assessment.point is False  # the outline, assessed

    # Failed sign-ins count against one limit on both hosts (3 per minute per account).
    buyer = _user(db, "comprador@minka.demo")
    guesser = Browser()
    for host in (a, b, a):
        assert guesser.log_in(host, buyer.email, "not-the-password").status_code == 200
    assert guesser.log_in(b, buyer.email, "not-the-password").status_code == 429

    # A session ended on A is ended on B, even for a cookie kept from before.
    lender = Browser()
    assert lender.log_in(b, "caja@minka.demo").status_code == 302
    assert lender.get(f"{a.url}/credito/cartera", allow_redirects=False).status_code == 200
    kept = requests.Session()
    kept.cookies.update(lender.cookies)
    assert lender.submit(a, "/credito/cartera", "/salir").status_code == 302
    after = kept.get(f"{b.url}/credito/cartera", allow_redirects=False)
    assert after.status_code == 302 and "/ingresar" in after.headers["Location"]

    # A matching run started on A is executed by the worker and shown finished on B.
    admin = Browser()
    assert admin.log_in(a, "admin@minka.demo").status_code == 302
    started = admin.submit(a, "/admin/emparejamiento", "/admin/emparejamiento/iniciar")
    assert started.status_code == 302
    run_id = db.scalar(select(MatchingRun.id).order_by(MatchingRun.id.desc()))
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        db.expire_all()
        status = db.scalar(select(MatchingRun.status).where(MatchingRun.id == run_id))
        if status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            break
        time.sleep(0.5)
    assert status == RunStatus.SUCCEEDED
    page = admin.get(f"{b.url}/admin/emparejamiento/corridas/{run_id}")
    assert page.status_code == 200 and "Terminada" in page.text


@pytest.mark.parametrize("hosts", ["database"], indirect=True)
def test_production_s_proxy_spreads_the_requests_and_serves_the_static_files(hosts, tmp_path):
    # scripts/deploy/nginx.conf as shipped, on this machine's nginx (Debian's 1.22 refused
    # the `http2 on;` of nginx 1.25): only its ports, hosts, certificate and folder replaced.
    a, b = hosts
    upstream = [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]
    with nginx_proxy.proxy(upstream, tmp_path / "nginx") as front:
        plain = requests.get(f"{front.http_url}/catalogo", allow_redirects=False)
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")

        user = Browser()
        user.trust_env = False  # else REQUESTS_CA_BUNDLE would replace this certificate
        user.verify = str(front.certificate)
        pages = [user.get(f"{front.https_url}/ingresar?via=proxy-{n}") for n in range(4)]
        assert all(page.status_code == 200 for page in pages)
        assert pages[0].headers["Content-Encoding"] == "gzip"
        assert "via=proxy-" in a.log.read_text() and "via=proxy-" in b.log.read_text()

        versioned = STATIC.search(pages[0].text)[0]  # /static/<file>?v=<hash>
        kept = user.get(f"{front.https_url}{versioned}")
        assert kept.status_code == 200
        assert kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        bare = user.get(f"{front.https_url}{versioned.split('?')[0]}")
        assert bare.headers["Cache-Control"] == "public, max-age=86400"
        assert versioned.split("?")[0] not in a.log.read_text() + b.log.read_text()

        # a form over HTTPS through the proxy: the hosts see its scheme and address
        user.headers["Referer"] = f"{front.https_url}/ingresar"
        signed_in = user.log_in(front, "caja@minka.demo")
        assert signed_in.status_code == 302, signed_in.text[-1000:]
        assert user.get(f"{front.https_url}/credito/cartera").status_code == 200
