"""What the processes serving Minka share: change stamps and short-lived figures.

With MINKA_REDIS_URL set, every process of every host reads and moves the same stamps in
Redis, so a change shows at once everywhere. Without it (one host), a stamp is the mtime
of a file in the instance folder, which the processes of this host share.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

PREFIX = "minka:"


def redis_client(app: Flask | None = None):
    """The app's Redis connection (one per app, made at first use); None without Redis."""
    app = app or current_app
    url = app.config.get("MINKA_REDIS_URL")
    if not url:
        return None
    client = app.extensions.get("minka_redis")
    if client is None:
        from redis import Redis

        client = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        app.extensions["minka_redis"] = client
    return client


def _key(name: str) -> str:
    # One Redis may serve several databases (tests, staging): keys are per database, named by
    # a hash of its URL (which may carry a password).
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    return f"{PREFIX}{hashlib.sha256(url.encode()).hexdigest()[:16]}:{name}"


def _stamp_file(name: str) -> Path:
    return Path(current_app.instance_path) / name


def stamp(name: str) -> int:
    """The version of `name`: it moves whenever some process calls `bump(name)`."""
    redis = redis_client()
    if redis is not None:
        return int(redis.get(_key(name)) or 0)
    try:
        return os.stat(_stamp_file(name)).st_mtime_ns
    except OSError:
        return 0


def bump(name: str) -> None:
    """Move `name`'s version on, for every process that shares it."""
    redis = redis_client()
    if redis is not None:
        redis.incr(_key(name))
        return
    path = _stamp_file(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        # By hand: the file system's clock is too coarse for two changes in a row.
        moved = max(time.time_ns(), os.stat(path).st_mtime_ns + 1)
        os.utime(path, ns=(moved, moved))
    except OSError:  # a read-only instance folder: other workers wait for their expiry
        pass


def remembered(name: str):
    """The value some host shared under `name` and not yet expired, or None (always None
    without Redis: the caller keeps its own per-process copy). Redis is Minka's own
    store, trusted like the database: values go through pickle."""
    redis = redis_client()
    if redis is None:
        return None
    packed = redis.get(_key(name))
    return None if packed is None else pickle.loads(packed)


def share(name: str, value: object, seconds: int) -> None:
    """Share `value` under `name` with every host for `seconds` (nothing without Redis)."""
    redis = redis_client()
    if redis is not None:
        redis.set(_key(name), pickle.dumps(value), ex=seconds)


_local: dict[tuple[str, str], tuple[float, object]] = {}
_local_lock = threading.Lock()


def cached(name: str, seconds: int, compute: Callable[[], object]):
    """`compute()`'s value, reused for `seconds` (0: computed every time): in Redis when
    MINKA_REDIS_URL is set, so every host shows the same; else per process."""
    if not seconds:
        return compute()
    if redis_client() is not None:
        value = remembered(name)
        if value is None:
            value = compute()
            share(name, value, seconds)
        return value
    key = (current_app.config["SQLALCHEMY_DATABASE_URI"], name)
    now = time.monotonic()
    with _local_lock:
        found = _local.get(key)
    if found is not None and found[0] > now:
        return found[1]
    value = compute()
    with _local_lock:
        for stale in [k for k, (until, _) in _local.items() if until <= now]:
            del _local[stale]  # names that carry a day or a filter are not asked for again
        _local[key] = (now + seconds, value)
    return value
