"""Records are loaded for a view by permissions.load_or_404 alone: no feature grows its own
`_thing_or_404` again (each one had its own idea of who may see what, and of 403 vs 404)."""

from __future__ import annotations

import re
from pathlib import Path

import marketplace

PACKAGE = Path(marketplace.__file__).parent
LOADER = re.compile(r"^\s*def\s+(\w+_or_404)\s*\(", re.MULTILINE)


def test_no_module_defines_its_own_loader():
    found = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in LOADER.findall(path.read_text(encoding="utf-8"))
    }
    others = sorted(found - {"marketplace/permissions.py: load_or_404"})
    assert not others, f"call marketplace.permissions.load_or_404 instead of {others}"
    assert "marketplace/permissions.py: load_or_404" in found
