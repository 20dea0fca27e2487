"""A short-lived, per-process memory of catalogue searches (ids of a page, bounded counts).

Identical searches within MINKA_CATALOG_CACHE_SECONDS (config; 0 turns the cache off) reuse
what the database said. Any change to a listing or its stock made through the services in
this process calls `changed()`, which forgets everything at once; other processes (workers)
see the change when their entries expire, so new listings show up everywhere within that
many seconds. At most MAX_ENTRIES entries are kept, the least recently used leave first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

MAX_ENTRIES = 512
T = TypeVar("T")

_entries: OrderedDict[Hashable, tuple[float, int, object]] = OrderedDict()
_lock = threading.Lock()
_version = 0


def changed() -> None:
    """Forget every cached search of this process (a listing or its stock changed)."""
    global _version
    with _lock:
        _version += 1
        _entries.clear()


def lookup(key: Hashable) -> tuple[bool, object, int | None]:
    """(True, value, _) when `key` holds a fresh value; else (False, None, token), the token
    to give `store` (None when the cache is off)."""
    ttl = current_app.config.get("MINKA_CATALOG_CACHE_SECONDS", 0)
    if not ttl:
        return False, None, None
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], key)
    with _lock:
        found = _entries.get(key)
        if found is not None and found[0] > time.monotonic() and found[1] == _version:
            _entries.move_to_end(key)
            return True, found[2], None
        return False, None, _version


def store(key: Hashable, value: object, token: int | None) -> None:
    """Cache `value` under `key` unless the cache is off or a change happened since the
    `lookup` that gave `token`."""
    if token is None:
        return
    ttl = current_app.config.get("MINKA_CATALOG_CACHE_SECONDS", 0)
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], key)
    with _lock:
        if token == _version:
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
