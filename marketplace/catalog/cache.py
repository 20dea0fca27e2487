"""A short-lived, per-process memory of the catalogue: ids of a page, bounded counts, and
the rendered results of a page (catalog.views).

Identical searches within MINKA_CATALOG_CACHE_SECONDS (config; 0 turns the cache off) reuse
what the database said. Any change to a listing, its stock or who may publish made through
the services calls `changed()` after its commit: this process forgets everything at once,
and every other process at its next lookup, because `changed()` also moves a shared stamp
(marketplace/shared.py) that every lookup compares: in Redis when MINKA_REDIS_URL is set
(every host), else a file in the instance folder (this host's processes). At most
MAX_ENTRIES entries are kept, the least recently used leave first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

from marketplace import shared

MAX_ENTRIES = 512
STAMP = "catalog-changed"
T = TypeVar("T")

_entries: OrderedDict[Hashable, tuple[float, tuple, object]] = OrderedDict()
_lock = threading.Lock()
_version = 0


def _current() -> tuple[int, int]:
    return _version, shared.stamp(STAMP)


def changed() -> None:
    """Forget every cached search and page (a listing, its stock or its publisher changed);
    call it after the commit, so that no process caches what it read before."""
    global _version
    with _lock:
        _version += 1
        _entries.clear()
    shared.bump(STAMP)


def lookup(key: Hashable) -> tuple[bool, object, tuple | None]:
    """(True, value, _) when `key` holds a fresh value; else (False, None, token), the token
    to give `store` (None when the cache is off)."""
    ttl = current_app.config.get("MINKA_CATALOG_CACHE_SECONDS", 0)
    if not ttl:
        return False, None, None
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], key)
    version = _current()
    with _lock:
        found = _entries.get(key)
        if found is not None and found[0] > time.monotonic() and found[1] == version:
            _entries.move_to_end(key)
            return True, found[2], None
        return False, None, version


def store(key: Hashable, value: object, token: tuple | None) -> None:
    """Cache `value` under `key` unless the cache is off or a change happened since the
    `lookup` that gave `token`."""
    if token is None:
        return
    ttl = current_app.config.get("MINKA_CATALOG_CACHE_SECONDS", 0)
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], key)
    version = _current()
    with _lock:
        if token == version:
            _entries[key] = (time.monotonic() + ttl, token, value)
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """The value cached under `key` if still fresh, else `compute()` (then cached)."""
    hit, value, token = lookup(key)
    if hit:
        return value  # type: ignore[return-value]
    value = compute()
    store(key, value, token)
    return value
