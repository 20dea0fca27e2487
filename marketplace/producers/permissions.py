"""Who may see and edit a producer: the producer, and technicians of their cooperative."""

from __future__ import annotations

from flask import abort

from marketplace.extensions import db
from marketplace.models import Producer, Role, User


def can_view(user: User, producer: Producer) -> bool:
    """The producer themself, or a technician of the producer's cooperative."""
    if user.role == Role.PRODUCER:
        return producer.user_id == user.id
    if user.role == Role.TECHNICIAN:
        return user.organization_id is not None and producer.cooperative_id == user.organization_id
    return False


def can_edit(user: User, producer: Producer) -> bool:
    """Same people as can_view: nobody else edits a producer's records."""
    return can_view(user, producer)


def producer_or_404(user: User, producer_id: int) -> Producer:
    """The producer if `user` may see them; 404 otherwise (an id cannot be probed)."""
    producer = db.session.get(Producer, producer_id)
    if producer is None or not can_view(user, producer):
        abort(404)
    return producer
