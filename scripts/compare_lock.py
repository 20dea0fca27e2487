"""Print the versions this Python has installed next to the ones a lock pins.

Run by `make test-latest` with .venv-latest's Python before the suite, so the log says which
versions the suite ran and which of them are newer (or older) than requirements/dev.txt.

    .venv-latest/bin/python scripts/compare_lock.py requirements/dev.txt
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

KEY_PACKAGES = (
    "babel",
    "flask",
    "wtforms",
    "stripe",
    "scikit-learn",
    "pandas",
    "numpy",
    "scipy",
    "sqlalchemy",
)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def canonical(name: str) -> str:
    """The normalised form of a distribution name (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock: Path) -> dict[str, str]:
    """Map each package pinned in a requirements lock to its version."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins[canonical(match[1])] = match[2]
    return pins


def installed_versions() -> dict[str, str]:
    """Map each distribution installed for this Python to its version."""
    return {canonical(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}


def report(lock: Path) -> list[str]:
    """Lines giving the key packages' versions and every difference from the lock."""
    pinned = locked_versions(lock)
    installed = installed_versions()
    lines = [f"== versions in {sys.prefix} (lock: {lock}) =="]
    for name in KEY_PACKAGES:
        lines.append(f"  {name}=={installed.get(name, '(not installed)')}")
    changed = [
        f"  {name}: {pinned[name]} in the lock, {installed[name]} here"
        for name in sorted(set(pinned) & set(installed))
        if installed[name] != pinned[name]
    ]
    added = [
        f"  {name}=={installed[name]}: not in the lock"
        for name in sorted(set(installed) - set(pinned) - {"minka", "pip", "setuptools"})
    ]
    if changed or added:
        lines.append(f"== {len(changed) + len(added)} differ from the lock ==")
        lines.extend(changed + added)
    else:
        lines.append("== every installed package is at its locked version ==")
    unneeded = sorted(set(pinned) - set(installed))
    if unneeded:
        lines.append(f"(locked but not needed by this Python: {', '.join(unneeded)})")
    return lines


if __name__ == "__main__":
    print("\n".join(report(Path(sys.argv[1] if len(sys.argv) > 1 else "requirements/dev.txt"))))
