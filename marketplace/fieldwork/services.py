"""Entries a technician's phone queued offline, received once each.

Every entry carries an idempotency key the phone made (a UUID). The key is claimed first, as
the transaction's first write, and committed with the record the entry makes: a retry (the
phone lost the answer) gets the first record back, and two copies racing each other make one
record: the second waits on the unique key, then finds the first's receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import Delivery, Farm, FieldEvidence, Producer, SyncKind, SyncReceipt, User

#: The model of the record each kind of entry makes (an outline saves its farm).
RECORD_MODELS = {
    SyncKind.PRODUCER: Producer,
    SyncKind.FARM: Farm,
    SyncKind.OUTLINE: Farm,
    SyncKind.EVIDENCE: FieldEvidence,
    SyncKind.DELIVERY: Delivery,
}

KEY_TAKEN = _l("Ese envío no es suyo: descártelo y vuelva a registrarlo.")


class Waiting(DomainError):
    """The entry depends on one the server has not received yet (or is receiving now)."""


@dataclass(frozen=True)
class Received:
    """The record an entry made, and whether this was a repeat of an entry already received."""

    kind: str
    record_id: int
    repeated: bool


def is_key(text: str) -> bool:
    """Whether `text` is a UUID as the phone writes them."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False


def receipt_of(key: str) -> SyncReceipt | None:
    return db.session.scalar(select(SyncReceipt).where(SyncReceipt.key == key))


def _earlier(actor: User, key: str, kind: str) -> Received:
    """The answer to a key already claimed: the first record, or wait while it is made."""
    receipt = receipt_of(key)
    if receipt is None or receipt.record_id is None:
        raise Waiting(_l("Este envío se está guardando: se volverá a intentar."))
    if receipt.user_id != actor.id or receipt.kind != kind:
        raise DomainError(KEY_TAKEN)
    return Received(kind, receipt.record_id, repeated=True)


def farm_of_evidence(evidence_id: int) -> int | None:
    return db.session.scalar(select(FieldEvidence.farm_id).where(FieldEvidence.id == evidence_id))


def center_of(delivery_id: int) -> int | None:
    return db.session.scalar(
        select(Delivery.collection_center_id).where(Delivery.id == delivery_id)
    )


def resolve(actor: User, key: str, kind: str) -> int:
    """The server id of the record another entry of this phone made (a producer or farm
    registered offline), or Waiting while the server has not received it."""
    receipt = receipt_of(key.lower()) if is_key(key) else None
    if receipt is None or receipt.record_id is None:
        raise Waiting(_l("Falta enviar primero el registro del que depende."))
    if receipt.user_id != actor.id or receipt.kind != kind:
        raise DomainError(KEY_TAKEN)
    return receipt.record_id


def receive(actor: User, key: str, kind: str, save: Callable[[], object]) -> Received:
    """Run `save` (which validates and commits through the feature's own service) once per
    key. Raises the service's DomainError (nothing stays claimed) or Waiting."""
    if not is_key(key) or kind not in SyncKind.codes():
        raise DomainError(_l("Envío no válido: descártelo y vuelva a registrarlo."))
    key = key.lower()
    if receipt_of(key) is not None:
        return _earlier(actor, key, kind)
    # The claim is the transaction's first statement: on SQLite a read before it would make
    # the second of two racing writers fail with "database is locked" instead of waiting.
    db.session.rollback()
    receipt = SyncReceipt(key=key, user_id=actor.id, kind=kind)
    db.session.add(receipt)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _earlier(actor, key, kind)
    try:
        with _linked(receipt, RECORD_MODELS[SyncKind(kind)]):
            record = save()
    except Exception:
        db.session.rollback()  # the claim goes with the refused entry
        raise
    if receipt.record_id is None:  # an outline updates a farm that existed before
        receipt.record_id = record.id
        db.session.commit()
    return Received(kind, receipt.record_id, repeated=False)


@contextmanager
def _linked(receipt: SyncReceipt, model: type) -> Iterator[None]:
    """The receipt takes the id of the record the service creates, in the same commit (the
    service commits itself): after the flush that inserts the record its id is copied over,
    and the commit flushes the receipt again before it ends."""
    session = db.session()
    made: list[int] = []

    def after_flush(sess, context) -> None:
        made.extend(obj.id for obj in sess.new if isinstance(obj, model))

    def after_postexec(sess, context) -> None:
        if receipt.record_id is None and made:
            receipt.record_id = made[0]

    event.listen(session, "after_flush", after_flush)
    event.listen(session, "after_flush_postexec", after_postexec)
    try:
        yield
    finally:
        event.remove(session, "after_flush", after_flush)
        event.remove(session, "after_flush_postexec", after_postexec)
