"""Where things live: the import contracts in pyproject.toml hold, and services build links
from the routes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# A page's path typed into Python: services must ask links.path_for (or url_for) instead.
TYPED_PATH = re.compile(r"""\blink=f?["']/|_url=f?["']/""")


def test_the_import_contracts_are_kept():
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_module_types_a_page_path():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "marketplace").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TYPED_PATH.search(line)
    ]
    assert offenders == []


def test_a_link_is_built_from_the_routes_with_or_without_a_request(app):
    from marketplace.links import path_for

    assert path_for("orders.detail", order_id=7) == "/pedidos/7"  # a worker: no request
    with app.test_request_context("/"):
        assert path_for("credit.loan", loan_id=3) == "/credito/prestamos/3"
