"""Who may manage a credit product: members of its lender organization."""

from __future__ import annotations

from marketplace.models import CreditProduct, OrgKind, Role, User


def is_lender_member(user: User) -> bool:
    """A lender who belongs to a lender organization."""
    org = user.organization
    return user.role == Role.LENDER and org is not None and org.kind == OrgKind.LENDER


def can_manage(user: User, product: CreditProduct) -> bool:
    """Members of the organization that offers the product, and nobody else."""
    return is_lender_member(user) and product.organization_id == user.organization_id
