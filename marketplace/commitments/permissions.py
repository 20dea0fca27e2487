"""Who may manage a commitment (members of its buyer organization) and act on a pledge."""

from __future__ import annotations

from marketplace.models import OrgKind, Pledge, PurchaseCommitment, Role, User
from marketplace.producers.permissions import can_view

BUYER_ORG_KINDS = (OrgKind.BUYER, OrgKind.COOPERATIVE)


def is_buyer_member(user: User) -> bool:
    """A buyer who belongs to a buyer organization or a cooperative."""
    org = user.organization
    return user.role == Role.BUYER and org is not None and org.kind in BUYER_ORG_KINDS


def can_manage(user: User, commitment: PurchaseCommitment) -> bool:
    """Members of the organization that posted the commitment, and nobody else."""
    return is_buyer_member(user) and commitment.organization_id == user.organization_id


def can_withdraw(user: User, pledge: Pledge) -> bool:
    """Whoever may act for the pledging producer."""
    return can_view(user, pledge.producer)
