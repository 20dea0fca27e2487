"""One harness for the concurrency tests.

Each job runs in its own thread and app context, hence its own session and connection, of an
app whose pool has a connection for every thread; a barrier releases them together. On
PostgreSQL (MINKA_TEST_DATABASE_URL) 20 threads race; on SQLite, which serialises writers, a
smaller race checks the same logic, and tests that need real concurrency are skipped.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest

from marketplace.errors import DomainError
from marketplace.extensions import db as _db

ON_POSTGRES = os.environ.get("MINKA_TEST_DATABASE_URL", "").startswith("postgresql")
THREADS = 20 if ON_POSTGRES else 8
ROUNDS = 5
TIMEOUT_S = 60

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="concurrency is proven on PostgreSQL (MINKA_TEST_DATABASE_URL)"
)

#: A job loads what it needs and returns the action the barrier releases.
Job = Callable[[], Callable[[], object]]


def race(app, jobs: list[Job]) -> list[tuple[str, object]]:
    """Run each job in its own thread and app context, all actions released by one barrier;
    ("ok", result), ("refused", message) or ("error", repr) per job, in job order."""
    barrier = threading.Barrier(len(jobs), timeout=TIMEOUT_S)
    results: list[tuple[str, object] | None] = [None] * len(jobs)

    def run(i: int, job: Job) -> None:
        with app.app_context():
            try:
                action = job()
                _db.session.commit()  # end the read transaction before the start signal
                barrier.wait()
                results[i] = ("ok", action())
            except DomainError as error:
                results[i] = ("refused", str(error.message))
            except Exception as error:  # reported by the tests' assertions
                results[i] = ("error", repr(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S * 2)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def outcomes(results: list[tuple[str, object]]) -> tuple[list[object], list[str]]:
    """(what the winners returned, the refusals' messages); no job may have failed otherwise."""
    assert not [r for r in results if r[0] == "error"], results
    won = [value for status, value in results if status == "ok"]
    refused = [str(value) for status, value in results if status == "refused"]
    return won, refused
