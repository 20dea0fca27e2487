"""matching/ is a library: importing any of its modules loads no Flask, SQLAlchemy or
marketplace (the import contracts check the source; this checks what really loads)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import importlib, pkgutil, sys
import matching
names = [m.name for m in pkgutil.walk_packages(matching.__path__, "matching.")]
assert len(names) >= 10, names
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.startswith(("flask", "sqlalchemy", "marketplace")))
assert not loaded, loaded
"""


def test_no_module_of_matching_loads_the_web_stack():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
