"""Who may see a producer's data and file requests about it: the producer herself, and a
technician of her verified cooperative, with her, in person; admins see and answer them."""

from __future__ import annotations

from marketplace.models import Producer, Role, User
from marketplace.permissions import serving_cooperative_id


def is_self(user: User, producer: Producer) -> bool:
    """The producer's own account."""
    return (
        user.role == Role.PRODUCER
        and producer.user_id is not None
        and (producer.user_id == user.id)
    )


def is_her_technician(user: User, producer: Producer) -> bool:
    """A technician of the producer's cooperative, while that cooperative is verified."""
    coop_id = serving_cooperative_id(user)
    return coop_id is not None and producer.cooperative_id == coop_id


def can_file(user: User, producer: Producer) -> bool:
    """She herself, or her cooperative's technician in person."""
    return is_self(user, producer) or is_her_technician(user, producer)


def can_download(user: User, producer: Producer) -> bool:
    """Those who may file, and admins."""
    return can_file(user, producer) or user.role == Role.ADMIN
