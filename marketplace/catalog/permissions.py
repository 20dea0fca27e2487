"""Who may manage a listing: the members (role supplier) of the organization that owns it."""

from __future__ import annotations

from marketplace.models import Listing, ListingStatus, Role, User


def can_edit(user: User, listing: Listing) -> bool:
    """A supplier-role member of the listing's organization, until the listing is deleted."""
    return (
        user.role == Role.SUPPLIER
        and user.organization_id is not None
        and listing.organization_id == user.organization_id
        and listing.status != ListingStatus.DELETED
    )


def can_order(user: User | None) -> bool:
    """Producers order from the catalogue (technicians and others only browse)."""
    return user is not None and user.role == Role.PRODUCER
