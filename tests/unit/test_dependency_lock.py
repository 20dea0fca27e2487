"""The locks in requirements/ agree with pyproject.toml: all pinned, hashed and in range."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)\s*\\?$")
HASH = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}\s*\\?$")
# The locks are resolved for CPython 3.11 on Linux x86_64 only.
TARGET = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def _pyproject_requirements() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [Requirement(spec) for spec in project["dependencies"]]
    dev = [Requirement(spec) for spec in project["optional-dependencies"]["dev"]]
    return {"runtime": runtime, "dev": dev}


def _lock_pins(lock: Path) -> dict[str, tuple[Version, int]]:
    """Map each package pinned in a lock to its version and how many hashes follow it."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in lock.read_text(encoding="utf-8").splitlines():
        pin = PIN.match(line)
        if pin:
            current = canonicalize_name(pin[1])
            assert current not in pins, f"{lock.name}: {current} pinned twice"
            pins[current] = (Version(pin[2]), 0)
        elif HASH.match(line) and current is not None:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line.strip() and not line.lstrip().startswith("#"):
            pytest.fail(f"{lock.name}: unexpected line {line!r}")
    return pins


def _applies(requirement: Requirement) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(TARGET)


def _hashes(pins: dict[str, tuple[Version, int]], requirement: Requirement) -> int:
    _version, hashes = pins.get(canonicalize_name(requirement.name), (None, 0))
    return hashes


def _locks_and_requirements():
    wanted = _pyproject_requirements()
    return [
        (RUNTIME_LOCK, wanted["runtime"]),
        (DEV_LOCK, wanted["runtime"] + wanted["dev"]),
    ]


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_every_locked_package_is_pinned_with_a_hash(lock):
    pins = _lock_pins(lock)
    assert pins, f"{lock.name} pins nothing"
    unhashed = [name for name, (_version, hashes) in pins.items() if hashes == 0]
    assert unhashed == [], f"pinned without a hash in {lock.name}: run make lock"


@pytest.mark.parametrize(
    ("lock", "requirements"), _locks_and_requirements(), ids=["runtime", "dev"]
)
def test_every_dependency_in_pyproject_is_pinned_with_hashes(lock, requirements):
    pins = _lock_pins(lock)
    missing = [
        str(requirement)
        for requirement in requirements
        if _applies(requirement) and _hashes(pins, requirement) == 0
    ]
    assert missing == [], f"not pinned with a hash in {lock.name}: run make lock"


@pytest.mark.parametrize(
    ("lock", "requirements"), _locks_and_requirements(), ids=["runtime", "dev"]
)
def test_every_pinned_version_satisfies_the_range_in_pyproject(lock, requirements):
    pins = _lock_pins(lock)
    outside = [
        f"{requirement.name}=={pins[name][0]} (pyproject: {requirement.specifier})"
        for requirement in requirements
        if (name := canonicalize_name(requirement.name)) in pins
        and not requirement.specifier.contains(pins[name][0], prereleases=True)
    ]
    assert outside == [], f"outside pyproject's range in {lock.name}: run make lock"


def test_the_runtime_lock_pins_the_versions_of_the_dev_lock():
    runtime = {name: version for name, (version, _hashes) in _lock_pins(RUNTIME_LOCK).items()}
    dev = {name: version for name, (version, _hashes) in _lock_pins(DEV_LOCK).items()}
    differing = {
        name: f"{version} (runtime) != {dev.get(name)} (dev)"
        for name, version in runtime.items()
        if dev.get(name) != version
    }
    assert differing == {}, "make run and make test would differ: run make lock"
