"""Who may see and act on an order: the producer who ordered (or a technician of their
cooperative, acting for them), and the members of the supplier organization."""

from __future__ import annotations

from marketplace.models import Order, Role, User
from marketplace.orders.states import Side
from marketplace.producers import permissions as producer_permissions


def is_supplier_of(user: User, order: Order) -> bool:
    """A supplier-role member of the organization that sells the ordered listing."""
    return (
        user.role == Role.SUPPLIER
        and user.organization_id is not None
        and user.organization_id == order.supplier_id
    )


def side_of(user: User, order: Order) -> Side | None:
    """Which side of the order `user` is on, or None when it is not theirs."""
    if is_supplier_of(user, order):
        return Side.SUPPLIER
    if producer_permissions.can_edit(user, order.producer):
        return Side.PRODUCER
    return None


def can_view(user: User, order: Order) -> bool:
    """Either side of the order sees it; nobody else does."""
    return side_of(user, order) is not None
