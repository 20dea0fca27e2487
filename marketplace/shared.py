"""What the processes serving Minka share: change stamps and short-lived figures.

With MINKA_REDIS_URL set, every process of every host reads and moves the same stamps in
Redis, so a change shows at once everywhere. Without it (one host), a stamp is the mtime
of a file in the instance folder, which the processes of this host share.
"""

from __future__ import annotations

import hashlib
import logging
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


# A value kept for refresh-behind is still served this many times its freshness while one
# thread renews it; past that it is computed in the request, as on a cold start.
STALE_TIMES = 12

_local: dict[tuple[str, str], tuple[float, float, object]] = {}
_local_lock = threading.Lock()
_renewing: dict[tuple[str, str], threading.Thread] = {}

log = logging.getLogger(__name__)


def cached(name: str, seconds: int, compute: Callable[[], object], *, refresh_behind=False):
    """`compute()`'s value, reused for `seconds` (0: computed every time): in Redis when
    MINKA_REDIS_URL is set, so every host shows the same; else per process.

    With `refresh_behind`, a value older than `seconds` is still served, for up to
    STALE_TIMES × `seconds`, while a thread renews it (one across hosts with Redis): only
    a cold start waits for a slow computation."""
    if not seconds:
        return compute()
    found = _recall(name)
    if found is None:
        return _compute_and_keep(name, seconds, refresh_behind, compute)
    fresh_until, value = found
    if _now() < fresh_until:
        return value
    if not refresh_behind:
        return _compute_and_keep(name, seconds, refresh_behind, compute)
    _renew_behind(name, seconds, compute)
    return value


def _now() -> float:
    return time.time()


def wait_for_renewals(timeout: float = 30) -> None:
    """Wait for this process's renewing threads (the tests)."""
    with _local_lock:
        threads = list(_renewing.values())
    for thread in threads:
        thread.join(timeout)


def _local_key(name: str) -> tuple[str, str]:
    return (current_app.config["SQLALCHEMY_DATABASE_URI"], name)


def _kept_key(name: str) -> str:
    # "kept:": values stored with their freshness, apart from the bare values that hosts of
    # an earlier release (during a rolling deploy) store under the bare name
    return _key(f"kept:{name}")


def _recall(name: str) -> tuple[float, object] | None:
    """(fresh until, value) of what is kept under `name`, or None."""
    redis = redis_client()
    if redis is not None:
        packed = redis.get(_kept_key(name))
        return None if packed is None else pickle.loads(packed)
    with _local_lock:
        found = _local.get(_local_key(name))
    if found is None or found[0] <= _now():
        return None
    return found[1], found[2]


def _compute_and_keep(name: str, seconds: int, refresh_behind: bool, compute: Callable):
    value = compute()
    now = _now()
    fresh_until = now + seconds
    keep = seconds * STALE_TIMES if refresh_behind else seconds
    redis = redis_client()
    if redis is not None:
        redis.set(_kept_key(name), pickle.dumps((fresh_until, value)), ex=keep)
        return value
    with _local_lock:
        for stale in [k for k, (until, _, _) in _local.items() if until <= now]:
            del _local[stale]  # names that carry a day or a filter are not asked for again
        _local[_local_key(name)] = (now + keep, fresh_until, value)
    return value


def _renew_behind(name: str, seconds: int, compute: Callable) -> None:
    """Start a thread renewing `name`, unless one of this process (or, with Redis, of any
    host) is at it."""
    key = _local_key(name)
    with _local_lock:
        running = _renewing.get(key)
        if running is not None and running.is_alive():
            return
        if not _claim(name, seconds):
            return
        app = current_app._get_current_object()
        thread = threading.Thread(
            target=_renew, args=(app, name, seconds, compute), name=f"renew {name}", daemon=True
        )
        _renewing[key] = thread
        thread.start()


def _claim(name: str, seconds: int) -> bool:
    redis = redis_client()
    if redis is None:
        return True
    return bool(redis.set(_key(f"renewing:{name}"), 1, nx=True, ex=max(seconds, 60)))


def _renew(app: Flask, name: str, seconds: int, compute: Callable) -> None:
    with app.app_context():
        try:
            _compute_and_keep(name, seconds, True, compute)
        except Exception:  # the old value stays served; the next request past it tries again
            log.exception("renewing %s failed", name)
        finally:
            redis = redis_client()
            if redis is not None:
                redis.delete(_key(f"renewing:{name}"))
            with _local_lock:
                _renewing.pop(_local_key(name), None)
