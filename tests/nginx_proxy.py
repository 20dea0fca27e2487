"""Production's reverse proxy (scripts/deploy/nginx.conf) run by this machine's nginx on
loopback, in front of local hosts: the same file, with only what must differ on one machine
replaced (its ports, the hosts of its upstream, a self-signed certificate, the release
folder). Used by the two-host test and by `make hosts`.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.processes import stop

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ROOT / "scripts" / "deploy" / "nginx.conf"
UPSTREAM_SERVER = re.compile(r"^    server 10\.0\.0\.\d+:8000 [^;\n]*;\n", re.MULTILINE)


def nginx() -> str | None:
    """The nginx binary (Debian's package: /usr/sbin), if installed."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


@dataclass(frozen=True)
class Proxy:
    http_url: str  # redirects to https_url
    https_url: str  # TLS with a self-signed certificate for 127.0.0.1
    certificate: Path  # for a client to check it
    access_log: Path

    @property
    def url(self) -> str:
        """The address people open."""
        return self.https_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_config(hosts: list[str], http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """scripts/deploy/nginx.conf for this machine; refuses a production file whose parts it
    does not find (the test would otherwise check another configuration)."""
    text = PRODUCTION.read_text()
    if len(UPSTREAM_SERVER.findall(text)) < 1:
        raise ValueError("no `server 10.0.0.x:8000 ...;` in the upstream of nginx.conf")
    servers = "".join(f"    server {host} max_fails=3 fail_timeout=10s;\n" for host in hosts)
    text = UPSTREAM_SERVER.sub("", text).replace(
        "upstream minka {\n", "upstream minka {\n" + servers
    )
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/letsencrypt/live/minka.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/minka.example.org/privkey.pem", str(key)),
        ("/srv/minka/", f"{ROOT}/"),
        # on a port other than 443 the address's host keeps its port (the app checks that a
        # form posted over HTTPS comes from its own page, port included)
        ("proxy_set_header Host $host;", "proxy_set_header Host $http_host;"),
        (
            "proxy_set_header X-Forwarded-Host $host;",
            "proxy_set_header X-Forwarded-Host $http_host;",
        ),
    ):
        if old not in text:
            raise ValueError(f"nginx.conf no longer has {old!r}")
        text = text.replace(old, new)
    return text


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minka.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def main_config(folder: Path, site: Path) -> str:
    """What /etc/nginx/nginx.conf gives a site, kept inside `folder` (pid, logs, buffers)."""
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy"))
    return f"""daemon off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"};
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp}
    include {site};
}}
"""


@contextlib.contextmanager
def proxy(
    hosts: list[str], folder: Path, http_port: int = 0, https_port: int = 0
) -> Iterator[Proxy]:
    """nginx with production's site in front of `hosts` ("127.0.0.1:port"), until the block
    ends; on free ports unless given."""
    binary = nginx()
    if binary is None:
        raise RuntimeError("nginx is not installed (make system-deps installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    http_port, https_port = http_port or _free_port(), https_port or _free_port()
    cert, key = self_signed(folder)
    site = folder / "minka.conf"
    site.write_text(site_config(hosts, http_port, https_port, cert, key))
    main = folder / "nginx.conf"
    main.write_text(main_config(folder, site))
    check = subprocess.run([binary, "-t", "-c", str(main)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused the configuration:\n{check.stderr}")
    log = (folder / "nginx.out").open("wb")
    process = subprocess.Popen([binary, "-c", str(main)], stdout=log, stderr=log)
    try:
        _wait_for(https_port, process, folder)
        yield Proxy(
            f"http://127.0.0.1:{http_port}",
            f"https://127.0.0.1:{https_port}",
            cert,
            folder / "access.log",
        )
    finally:
        stop(process)
        log.close()


def _wait_for(port: int, process: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited:\n{(folder / 'error.log').read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        time.sleep(0.05)
    raise RuntimeError("nginx did not listen in 10 s")
