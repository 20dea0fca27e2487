"""Matching runs through Redis (RQ) and from the command line: the suite's own redis-server,
a real RQ worker in this process, and `flask matching run` (`flask worker`:
test_worker_command.py)."""

from __future__ import annotations

from rq import Queue, SimpleWorker

from marketplace.credit import runs
from marketplace.extensions import db
from marketplace.models import MatchingRun, RunStatus


def _queue() -> Queue:
    return Queue(runs.QUEUE_NAME, connection=runs.redis_connection())


def _reloaded(run_id: int) -> MatchingRun:
    db.session.expire_all()
    return db.session.get(MatchingRun, run_id)


def test_with_redis_a_run_is_queued_and_a_worker_runs_it(
    app, redis_url, make_group, make_credit_product
):
    make_group(6)
    make_credit_product()
    run = runs.start_run(None)
    assert run.backend == "rq" and run.status == RunStatus.QUEUED
    queue = _queue()
    assert queue.count == 1 and queue.jobs[0].args == (run.id,)
    worker = SimpleWorker([queue], connection=queue.connection)
    assert worker.work(burst=True)
    finished = _reloaded(run.id)
    assert finished.status == RunStatus.SUCCEEDED, finished.error
    assert finished.metrics["matched_groups"] == 1 and finished.active_slot is None
    assert queue.count == 0


def test_the_run_command_prints_the_figures(app, runner, make_group, make_credit_product):
    make_group(6)
    make_credit_product()
    result = runner.invoke(args=["matching", "run"])
    assert result.exit_code == 0, result.output
    run = db.session.scalars(db.select(MatchingRun)).one()
    assert run.backend == "cli" and run.status == RunStatus.SUCCEEDED
    assert "PE:allocation" in result.output
    assert (
        f"run {run.id}: 6 producers, 6 eligible, 1 groups, 1 matched, match rate 100.0%"
        in result.output
    )


def test_the_run_command_refuses_while_a_run_is_on(app, runner):
    runs.start_run(None, backend="cli")
    result = runner.invoke(args=["matching", "run"])
    assert result.exit_code == 1 and "corrida en curso" in result.output
    assert db.session.scalar(db.select(db.func.count(MatchingRun.id))) == 1
