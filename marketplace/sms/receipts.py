"""Delivery reports: what Twilio's status callback says about a sent message reaching the
phone ("field truth": weak signal, a number that no longer exists).

The report is only a trigger to move the message forward: reports arrive out of order and
more than once, so a message moves only to a later stage (STAGES), in one conditional UPDATE
(compare-and-set, never read-then-write). A late "sent" never undoes "delivered", and the
final states (delivered, undelivered, failed) never replace one another; WhatsApp's "read"
follows them. A report for a message Minka does not know changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from marketplace.extensions import db
from marketplace.models import DeliveryStatus, MessageStatus, OutboundMessage
from marketplace.models.base import utcnow

log = logging.getLogger(__name__)

#: How far along each status is: a report applies only if its stage is later than the
#: message's current one.
STAGES = {
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.UNDELIVERED: 3,
    DeliveryStatus.FAILED: 3,
    DeliveryStatus.READ: 4,
}
REACHED = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.READ})
NOT_REACHED = frozenset({DeliveryStatus.UNDELIVERED, DeliveryStatus.FAILED})

#: Twilio's delivery error codes, in words an admin can act on (docs: api/errors/300xx);
#: the page shows the code beside them.
ERROR_WORDS = {
    30003: _l("el celular no estaba disponible (apagado o sin señal)"),
    30004: _l("el número bloqueó los mensajes"),
    30005: _l("el número no existe"),
    30006: _l("no es un celular o el operador no lo acepta"),
    30007: _l("el operador lo filtró"),
    30008: _l("error desconocido del operador"),
}

_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")
_ERROR_CODE = re.compile(r"\d{1,6}")


class MalformedReport(ValueError):
    """A signed report without a message SID shaped like Twilio's, or without a status."""


def error_words(code: int) -> str:
    """A delivery error code in plain words, in the viewer's language."""
    return str(ERROR_WORDS.get(code, _l("el operador o Twilio no lo entregaron")))


def record(params: Mapping[str, str]) -> bool:
    """Apply one status callback's form (MessageSid, MessageStatus, ErrorCode); True when the
    message moved. A status Minka does not know, an unknown SID or an earlier stage change
    nothing; MalformedReport when the SID or the status is missing or not Twilio's shape."""
    sid, status = params.get("MessageSid") or "", params.get("MessageStatus") or ""
    if not _SID.fullmatch(sid) or not status:
        raise MalformedReport(f"no MessageSid or MessageStatus: {sid[:40]!r} {status[:20]!r}")
    if status not in DeliveryStatus.codes():
        log.info("Delivery report for %s with a status Minka ignores: %.20r", sid, status)
        return False
    status = DeliveryStatus(status)
    raw_error = params.get("ErrorCode") or ""
    error = int(raw_error) if status in NOT_REACHED and _ERROR_CODE.fullmatch(raw_error) else None
    earlier = [code for code, stage in STAGES.items() if stage < STAGES[status]]
    moved = db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.provider_sid == sid,
            or_(
                OutboundMessage.delivery_status.is_(None),
                OutboundMessage.delivery_status.in_(earlier),
            ),
        )
        .values(delivery_status=status, delivery_status_at=utcnow(), delivery_error=error)
    ).rowcount
    db.session.commit()
    if moved:
        log.info("SMS %s: %s%s", sid, status, f" ({error})" if error else "")
    else:
        # Unknown (another system's message, or a report that came before Minka stored the
        # SID) or already further along: answered all the same, so Twilio does not retry.
        log.info("SMS %s: report %s changes nothing", sid, status)
    return bool(moved)


def counts() -> dict[str, int]:
    """Of the messages handed to Twilio: how many reached the phone, how many did not, and
    how many have no final report yet."""
    rows = db.session.execute(
        select(OutboundMessage.delivery_status, func.count(OutboundMessage.id))
        .where(OutboundMessage.status == MessageStatus.SENT)
        .group_by(OutboundMessage.delivery_status)
    ).all()
    found = {"reached": 0, "not_reached": 0, "unknown": 0}
    for status, count in rows:
        key = "reached" if status in REACHED else "not_reached" if status in NOT_REACHED else None
        found[key or "unknown"] += count
    return found
