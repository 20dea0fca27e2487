"""What each role's heaviest pages weigh on a phone: bytes sent, compressed and not.

    python bench/bench_page_weight.py                  # the demo world of `make run`
    python bench/bench_page_weight.py --producers 1000 --top 5

Builds the demo world in a temporary SQLite file, signs in as each demo account and walks
its menu and the pages a click or two away (the walk of the number-display tests,
tests/integration/pages.py). For each page it asks the HTML with and without
`Accept-Encoding: gzip`, and the style sheets, scripts and images the page links, and prints
each role's heaviest pages (by a first visit, compressed): the HTML alone and a first visit
(HTML plus its static files; later visits take those from the phone's cache). Prints
figures; passes or fails nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the walk lives with the tests

from marketplace import create_app  # noqa: E402
from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, build_world  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from tests.integration.pages import walk  # noqa: E402

GZIP = {"Accept-Encoding": "gzip"}
LINKED = re.compile(r'<(?:script|link|img)\b[^>]*?(?:src|href)="(/static/[^"]+)"')


def _sizes(client, url: str) -> tuple[int, int]:
    """Bytes of `url` as sent plain and as sent to a browser that takes gzip."""
    plain = client.get(url)
    packed = client.get(url, headers=GZIP)
    return len(plain.get_data()), len(packed.get_data())


def _weigh(client, url: str, static: dict[str, tuple[int, int]]) -> tuple[int, int, int, int]:
    """The page's HTML (plain, gzip) and a first visit with its static files (plain, gzip)."""
    html = client.get(url).get_data(as_text=True)
    page, page_gz = _sizes(client, url)
    total, total_gz = page, page_gz
    for asset in dict.fromkeys(LINKED.findall(html.replace("&amp;", "&"))):
        if asset not in static:
            static[asset] = _sizes(client, asset)
        total += static[asset][0]
        total_gz += static[asset][1]
    return page, page_gz, total, total_gz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=5_000)
    parser.add_argument("--top", type=int, default=3, help="heaviest pages shown per role")
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
        db.session.remove()

    print(f"{args.producers:,} producers; KB as sent (gzip when the browser takes it)")
    print(f"{'role':<11} {'page':<52} {'HTML':>6} {'gzip':>6} {'+static':>8} {'gzip':>6}")
    static: dict[str, tuple[int, int]] = {}
    accounts = [(None, "visitor"), *((a.email, a.role) for a in DEMO_ACCOUNTS)]
    # No app context around the requests: each must get its own `g` (its own signed-in user).
    for email, role in accounts:
        client = app.test_client()
        start = ["/", "/catalogo", "/impacto"]
        if email is not None:
            client.post("/ingresar", data={"identifier": email, "password": DEMO_PASSWORD})
            start = ["/"]
        pages = [p.url for p in walk(app, client, start) if p.mimetype == "text/html"]
        weights = sorted(
            ((url, *_weigh(client, url, static)) for url in pages),
            key=lambda row: row[4],  # what a first visit downloads
            reverse=True,
        )
        for url, page, page_gz, total, total_gz in weights[: args.top]:
            print(
                f"{role:<11} {url[:52]:<52} {page / 1024:6.1f} {page_gz / 1024:6.1f} "
                f"{total / 1024:8.1f} {total_gz / 1024:6.1f}"
            )
        print(f"{'':<11} ({len(pages)} pages walked)")
    workdir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
