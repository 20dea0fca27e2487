"""Who manages a collection centre: technicians of the cooperative that runs it, and admins."""

from __future__ import annotations

from marketplace.models import CollectionCenter, Role, User
from marketplace.permissions import serving_cooperative_id


def can_manage(user: User, center: CollectionCenter) -> bool:
    """Admins manage every centre; a technician only their own (verified) cooperative's."""
    if user.role == Role.ADMIN:
        return True
    coop_id = serving_cooperative_id(user)
    return coop_id is not None and center.organization_id == coop_id
