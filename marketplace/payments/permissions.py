"""Who may pay an order by card (the producer who placed it) and manage an organization's
card-payment account (its members, when it sells)."""

from __future__ import annotations

from marketplace.models import Order, OrderPayment, Organization, OrgKind, Role, User
from marketplace.organizations import permissions as org_permissions
from marketplace.producers import permissions as producer_permissions

SELLER_KINDS = (OrgKind.SUPPLIER.value, OrgKind.TA_PROVIDER.value)


def can_pay(user: User, order: Order) -> bool:
    """The producer who placed the order, signed in themself (checkout.can_pay says when)."""
    return user.role == Role.PRODUCER and producer_permissions.can_view(user, order.producer)


def can_manage_account(user: User, org: Organization) -> bool:
    """A member who may edit a selling organization opens and refreshes its account."""
    return org_permissions.can_edit(user, org) and org.kind in SELLER_KINDS


def is_supplier_of(user: User, order: Order) -> bool:
    """A supplier-role member of the organization the order was placed with: it confirms or
    disputes transfers (the orders feature has the same rule for moving the order)."""
    return (
        user.role == Role.SUPPLIER
        and user.organization_id is not None
        and user.organization_id == order.supplier_id
    )


def can_answer_payment(user: User, payment: OrderPayment) -> bool:
    """The supplier's members answer a transfer of one of their orders."""
    return is_supplier_of(user, payment.order)


def can_withdraw_payment(user: User, payment: OrderPayment) -> bool:
    """The producer who placed the order withdraws a transfer they recorded."""
    return can_pay(user, payment.order)
