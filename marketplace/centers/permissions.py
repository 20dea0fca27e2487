"""Who manages a collection centre: technicians of the cooperative that runs it, and admins."""

from __future__ import annotations

from marketplace.models import CollectionCenter, Role, User


def can_manage(user: User, center: CollectionCenter) -> bool:
    """Admins manage every centre; a technician only their own cooperative's."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.TECHNICIAN:
        return user.organization_id is not None and center.organization_id == user.organization_id
    return False
