"""`flask worker`: one RQ worker, inside the app, for every queue Minka puts work on (matching
runs, the SMS outbox), on the suite's own redis-server."""

from __future__ import annotations

from rq import Queue
from sqlalchemy import select

from marketplace.credit import runs
from marketplace.extensions import db
from marketplace.models import MatchingRun, MessageStatus, OutboundMessage, RunStatus
from marketplace.notifications.services import notify_user
from marketplace.sms import outbox


def _queue(name: str) -> Queue:
    return Queue(name, connection=runs.redis_connection())


def test_one_worker_runs_a_matching_run_and_sends_a_queued_text(
    app, runner, redis_url, twilio, monkeypatch, make_group, make_user, make_producer
):
    monkeypatch.setitem(app.config, "MINKA_SMS_SEND_AFTER_COMMIT", True)  # onto the queue
    make_group(5)
    run = runs.start_run(None)
    user = make_user("producer")
    make_producer(user_id=user.id, phone="+51987654321", sms_opt_in=True)
    notify_user(user.id, "order.confirmed", order=41, title="Abono orgánico")
    db.session.commit()
    assert _queue(runs.QUEUE_NAME).count == 1 and _queue(outbox.QUEUE_NAME).count == 1
    assert twilio.messages == []

    result = runner.invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    finished = db.session.get(MatchingRun, run.id)
    assert finished.status == RunStatus.SUCCEEDED, finished.error
    assert finished.metrics["n_eligible"] == 5
    assert len(twilio.messages) == 1
    assert db.session.scalar(select(OutboundMessage.status)) == MessageStatus.SENT
    assert _queue(runs.QUEUE_NAME).count == 0 and _queue(outbox.QUEUE_NAME).count == 0


def test_the_worker_refuses_without_redis(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "MINKA_REDIS_URL", None)
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "MINKA_REDIS_URL is not set" in result.output
