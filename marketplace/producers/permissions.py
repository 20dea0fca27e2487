"""Who may see and edit a producer: the producer, and technicians of their cooperative."""

from __future__ import annotations

from marketplace.models import Producer, Role, User
from marketplace.permissions import serving_cooperative_id


def can_view(user: User, producer: Producer) -> bool:
    """The producer themself, or a technician of the producer's (verified) cooperative."""
    if user.role == Role.PRODUCER:
        return producer.user_id is not None and producer.user_id == user.id
    coop_id = serving_cooperative_id(user)
    return coop_id is not None and producer.cooperative_id == coop_id


def can_edit(user: User, producer: Producer) -> bool:
    """Same people as can_view: nobody else edits a producer's records; and nobody edits an
    erased producer's (the anonymised row only keeps what the law makes Minka keep)."""
    return producer.erased_at is None and can_view(user, producer)
