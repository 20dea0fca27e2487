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


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """The value cached under `key` if still fresh, else `compute()` (then cached)."""
    ttl = current_app.config.get("MINKA_CATALOG_CACHE_SECONDS", 0)
    if not ttl:
        return compute()
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], key)
    now = time.monotonic()
    with _lock:
        version = _version
        found = _entries.get(key)
        if found is not None and found[0] > now and found[1] == version:
            _entries.move_to_end(key)
            return found[2]  # type: ignore[return-value]
    value = compute()
    with _lock:
        if version == _version:  # nothing changed while computing
            _entries[key] = (now + ttl, version, value)
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    return value
