"""A producer whose technician registered her claims that record for her own account: a
one-time code goes by SMS to the mobile on the record, and entering it links her account to
it (farms, pledges, deliveries and loans stay), instead of a second producer.

Only the last three digits of the record's mobile are ever shown; the code is hashed,
expires, allows five tries (sms.codes) and its requests are limited (producers.views).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import CodePurpose, Producer, Role, User
from marketplace.notifications.services import notify_user
from marketplace.producers.services import producer_of
from marketplace.sms import codes, outbox, provider

WRONG_CODE = _l("El código no es correcto o ya venció. Revise el SMS o pida otro código.")


def record(producer_id: int | None) -> Producer | None:
    """The producer record a claim names (None for none)."""
    return db.session.get(Producer, producer_id) if producer_id else None


def can_claim(user: User, producer: Producer | None) -> bool:
    """True when `user` may ask to claim `producer`: a producer account without a record of
    its own, a record nobody's account holds, with a mobile, and SMS on."""
    return (
        producer is not None
        and user.role == Role.PRODUCER
        and producer.user_id is None
        and producer.erased_at is None
        and bool(producer.phone)
        and provider.configured()
        and producer_of(user) is None
    )


def masked_phone(phone: str) -> str:
    """A mobile as the claim page shows it: only its last three digits (***-***-123)."""
    return "***-***-" + phone[-3:]


def send_code(user: User, producer: Producer) -> None:
    """Send a claim code to the record's mobile; the caller checked can_claim."""
    if not can_claim(user, producer):
        raise DomainError(_l("Este registro ya no se puede reclamar."))
    code = codes.issue(CodePurpose.CLAIM, user.id, producer.id)
    outbox.code_message(
        producer.phone,
        "producer.claim_code",
        code,
        producer.message_locale or "es",
        producer_id=producer.id,
        user_id=user.id,
    )
    audit.record(user, "producer.claim_code_sent", producer)
    db.session.commit()


def claim(user: User, producer: Producer, typed: str) -> Producer:
    """Link `user`'s account to `producer` once the code sent to its mobile is entered."""
    if not can_claim(user, producer):
        raise DomainError(_l("Este registro ya no se puede reclamar."))
    row = codes.live(CodePurpose.CLAIM, user.id)
    if row is not None and row.producer_id != producer.id:
        row = None
    if not codes.check(row, typed):
        raise DomainError(WRONG_CODE, "code")
    # compare-and-set: two accounts with a code each cannot both take the record
    taken = db.session.execute(
        update(Producer)
        .where(Producer.id == producer.id, Producer.user_id.is_(None))
        .values(user_id=user.id)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        raise DomainError(_l("Este registro ya no se puede reclamar."))
    audit.record(user, "producer.claimed", producer)
    if producer.registered_by_id is not None and producer.registered_by_id != user.id:
        notify_user(
            producer.registered_by_id,
            "producer.claimed",
            link=path_for("producers.detail", producer_id=producer.id),
            name=producer.full_name,
        )
    db.session.commit()
    db.session.refresh(producer)
    return producer
