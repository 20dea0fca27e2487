"""matching/ is a library: importing any of its modules loads no Flask, SQLAlchemy or
marketplace (the import contracts check the source; this checks what really loads)."""

from __future__ import annotations

import ast
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


def _string_constants(tree: ast.AST):
    """String literals that are not docstrings."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node


def test_the_library_has_no_words_for_people():
    """matching/ returns codes; names and sentences in a language live in the app's catalogues
    (a non-ASCII letter in a string is Spanish text that an English user would get)."""
    found = []
    for path in sorted((ROOT / "matching").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            f"{path.name}:{node.lineno}: {node.value!r}"
            for node in _string_constants(tree)
            if not node.value.isascii()
        ]
    assert found == []
