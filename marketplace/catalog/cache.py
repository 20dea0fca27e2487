"""A short-lived, per-process memory of the catalogue: ids of a page, bounded counts, and
the rendered results of a page (catalog.views).

Identical searches within MINKA_CATALOG_CACHE_SECONDS (config; 0 turns the cache off) reuse
what the database said. Any change to a listing, its stock or who may publish made through
the services calls `changed()` after its commit: this process forgets everything at once,
and the other processes (gunicorn workers) of this host at their next lookup, because
`changed()` also touches a stamp file in the instance folder that every lookup compares
(one stat). Servers on other hosts see the change when their entries expire, within that
many seconds. At most MAX_ENTRIES entries are kept, the least recently used leave first.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

from flask import current_app

MAX_ENTRIES = 512
STAMP_FILE = "catalog-changed"
T = TypeVar("T")

_entries: OrderedDict[Hashable, tuple[float, tuple, object]] = OrderedDict()
_lock = threading.Lock()
_version = 0


def _stamp() -> Path:
    return Path(current_app.instance_path) / STAMP_FILE


def _shared_version() -> int:
    """When some process of this host last changed the catalogue (the stamp's mtime, ns)."""
    try:
        return os.stat(_stamp()).st_mtime_ns
    except OSError:
        return 0


def _touch_stamp() -> None:
    """Move the stamp's mtime forward (by hand: the file system's clock is too coarse)."""
    path = _stamp()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        stamp = max(time.time_ns(), os.stat(path).st_mtime_ns + 1)
        os.utime(path, ns=(stamp, stamp))
    except OSError:  # a read-only instance folder: other workers wait for the expiry
        pass


def _current() -> tuple[int, int]:
    return _version, _shared_version()


def changed() -> None:
    """Forget every cached search and page (a listing, its stock or its publisher changed);
    call it after the commit, so that no process caches what it read before."""
    global _version
    with _lock:
        _version += 1
        _entries.clear()
    _touch_stamp()


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
