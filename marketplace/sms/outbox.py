"""The outbox: messages are queued in the transaction that causes them and sent after it
commits, by `drain` (a thread, an RQ worker when Redis is set, or `flask sms send`).

`for_producer` is the one place that decides whether a notice also goes by SMS or WhatsApp:
SMS configured, the kind has a text, and the producer opted in to the channel.

Sending claims each row with one conditional UPDATE (compare-and-set on its attempts), so
two drains at once never send a message twice; a failure is recorded on the row and tried
again later (a minute, then longer apart) until MINKA_SMS_MAX_ATTEMPTS, and never reaches
the request that queued it.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import current_app
from sqlalchemy import event, func, select, update

from marketplace.extensions import db
from marketplace.models import (
    MessageChannel,
    MessageStatus,
    OutboundMessage,
    Producer,
)
from marketplace.models.base import utcnow
from marketplace.sms import provider, texts

log = logging.getLogger(__name__)

QUEUE_NAME = "minka-sms"
_PENDING_FLAG = "sms_queued"
#: How long a claimed row is left to its sender before another drain may try it.
LEASE = timedelta(minutes=2)
REDACTED = "******"


def _queue(
    to: str,
    kind: str,
    body: str,
    channel: str = MessageChannel.SMS,
    producer_id: int | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboundMessage:
    message = OutboundMessage(
        to=to,
        kind=kind,
        body=body,
        channel=channel,
        producer_id=producer_id,
        user_id=user_id,
        dedupe_key=dedupe_key,
        status=MessageStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    db.session.info[_PENDING_FLAG] = True
    return message


def channels_of(producer: Producer) -> list[str]:
    """The channels a producer opted in to that Minka can send on now."""
    if not provider.configured() or not producer.phone or producer.erased_at is not None:
        return []
    chosen = [MessageChannel.SMS] if producer.sms_opt_in else []
    if producer.whatsapp_opt_in and provider.whatsapp_configured():
        chosen.append(MessageChannel.WHATSAPP)
    return chosen


def for_producer(
    producer: Producer, kind: str, params: dict, dedupe_key: str | None = None
) -> list[OutboundMessage]:
    """Queue `kind` to the producer's phone on each channel she opted in to (none when SMS is
    not configured or the kind has no text); the caller commits."""
    if kind not in texts.TEXTS:
        return []
    queued = []
    for channel in channels_of(producer):
        key = f"{dedupe_key}:{channel}" if dedupe_key else None
        if key and db.session.scalar(
            select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)
        ):
            continue
        body = texts.render(kind, params, producer.message_locale or "es")
        queued.append(
            _queue(producer.phone, kind, body, channel, producer.id, producer.user_id, key)
        )
    return queued


def code_message(to: str, kind: str, code: str, locale: str, **ids) -> OutboundMessage:
    """Queue a one-time code by SMS to `to` (whatever the opt-in: she asked for it)."""
    return _queue(to, kind, texts.render(kind, {"code": code}, locale or "es"), **ids)


# --- sending -----------------------------------------------------------------------------


def _claim(message_id: int, attempts: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == message_id,
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.attempts == attempts,
            OutboundMessage.next_attempt_at <= now,
        )
        .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
    )
    db.session.commit()
    return result.rowcount == 1


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def _send_one(message: OutboundMessage) -> bool:
    try:
        sid = provider.send(message.channel, message.to, message.body)
    except provider.SendError as error:
        message.last_error = str(error)[:300]
        last_try = message.attempts >= current_app.config["MINKA_SMS_MAX_ATTEMPTS"]
        if error.permanent or last_try:
            message.status = MessageStatus.FAILED
        else:
            message.next_attempt_at = utcnow() + _retry_delay(message.attempts)
        log.warning("SMS %s not sent: %s", message.id, error)
        db.session.commit()
        return False
    message.status = MessageStatus.SENT
    message.provider_sid = sid
    message.sent_at = utcnow()
    message.last_error = None
    if message.kind in texts.CODE_KINDS:
        message.body = REDACTED  # the code is kept only as a hash (sms.codes)
    db.session.commit()
    return True


def drain(limit: int = 100) -> tuple[int, int]:
    """Send the messages that are due; (sent, not sent). Safe to run in several places."""
    due = db.session.execute(
        select(OutboundMessage.id, OutboundMessage.attempts)
        .where(
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.next_attempt_at <= utcnow(),
        )
        .order_by(OutboundMessage.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    sent = failed = 0
    for message_id, attempts in due:
        if not _claim(message_id, attempts):
            continue
        message = db.session.get(OutboundMessage, message_id)
        if _send_one(message):
            sent += 1
        else:
            failed += 1
    return sent, failed


def status_counts() -> dict[str, int]:
    """How many messages stand in each status (every status named, zero or not)."""
    counts = dict(
        db.session.execute(
            select(OutboundMessage.status, func.count(OutboundMessage.id)).group_by(
                OutboundMessage.status
            )
        ).all()
    )
    return {status.value: counts.get(status.value, 0) for status in MessageStatus}


def recent(limit: int = 50) -> list[OutboundMessage]:
    """The latest messages, newest first (for the admin's page)."""
    query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def drain_job() -> None:
    """The RQ job (run by `flask worker`, inside the app)."""
    drain()


def _start_thread(app) -> None:
    def work() -> None:
        with app.app_context():
            try:
                drain()
            finally:
                db.session.remove()

    threading.Thread(target=work, name="sms-drain", daemon=True).start()


def leave_to_caller() -> None:
    """The messages queued so far in this transaction are not sent after it commits: the
    caller drains them itself (a command, whose exit would cut a sending thread short)."""
    db.session.info.pop(_PENDING_FLAG, None)


def dispatch() -> None:
    """Start sending what was just committed: on the RQ queue when Redis is set, else in a
    thread; nothing when MINKA_SMS_SEND_AFTER_COMMIT is off (`flask sms send` drains)."""
    app = current_app._get_current_object()
    if not app.config.get("MINKA_SMS_SEND_AFTER_COMMIT", True) or not provider.configured():
        return
    if app.config.get("MINKA_REDIS_URL"):
        from redis import Redis
        from rq import Queue

        try:
            connection = Redis.from_url(app.config["MINKA_REDIS_URL"])
            Queue(QUEUE_NAME, connection=connection).enqueue(drain_job)
            return
        except Exception:  # Redis away: the thread sends it now, or `flask sms send` later
            log.exception("SMS drain not queued on Redis")
    _start_thread(app)


def _after_commit(session) -> None:
    if session.info.pop(_PENDING_FLAG, False):
        dispatch()


def _after_rollback(session, _transaction=None) -> None:
    session.info.pop(_PENDING_FLAG, None)


def init_app(app) -> None:
    """Send queued messages once the transaction that queued them commits; templates ask
    `sms_configured()` before showing any SMS option."""
    app.jinja_env.globals["sms_configured"] = provider.configured
    app.jinja_env.globals["whatsapp_configured"] = provider.whatsapp_configured
    if not getattr(init_app, "_listening", False):
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_rollback)
        init_app._listening = True
