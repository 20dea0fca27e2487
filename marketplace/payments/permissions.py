"""Who may pay an order by card (the producer who placed it) and manage an organization's
card-payment account (its members, when it sells)."""

from __future__ import annotations

from marketplace.models import Order, Organization, OrgKind, Role, User
from marketplace.organizations import permissions as org_permissions
from marketplace.producers import permissions as producer_permissions

SELLER_KINDS = (OrgKind.SUPPLIER.value, OrgKind.TA_PROVIDER.value)


def can_pay(user: User, order: Order) -> bool:
    """The producer who placed the order, signed in themself (checkout.can_pay says when)."""
    return user.role == Role.PRODUCER and producer_permissions.can_view(user, order.producer)


def can_manage_account(user: User, org: Organization) -> bool:
    """A member who may edit a selling organization opens and refreshes its account."""
    return org_permissions.can_edit(user, org) and org.kind in SELLER_KINDS
