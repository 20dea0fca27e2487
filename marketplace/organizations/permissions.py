"""Who may see and edit an organization from the members' side: its own members."""

from __future__ import annotations

from marketplace.models import ROLE_ORG_KINDS, Organization, Role, User

MEMBER_ROLES = tuple(str(role) for role in ROLE_ORG_KINDS)


def can_view(user: User, org: Organization) -> bool:
    """Members (suppliers, buyers, lenders, technicians) of that organization."""
    return user.role in MEMBER_ROLES and user.organization_id == org.id


def can_edit(user: User, org: Organization) -> bool:
    """Every active member may correct the organization's name and country."""
    return user.active and can_view(user, org)


def can_view_document(user: User, org: Organization) -> bool:
    """The document it submitted for verification: its members and Minka's admins."""
    return user.role == Role.ADMIN or can_view(user, org)
