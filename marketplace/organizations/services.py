"""Organizations as their members see and edit them."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import audit
from marketplace.catalog import cache as catalog_cache
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.labels import COUNTRIES
from marketplace.models import Organization, User
from marketplace.organizations.permissions import can_edit

MAX_NAME = 160

# Fields that identify who an admin verified: changing one sends the organization back to review.
IDENTITY_FIELDS = ("name", "country")


class OrganizationChange(NamedTuple):
    """What an edit changed, and whether it cost the organization its verification."""

    changed: tuple[str, ...]
    verification_reset: bool


def members(org: Organization) -> list[User]:
    """The organization's active accounts, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.organization_id == org.id, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def update_organization(
    actor: User, org: Organization, name: str, country: str
) -> OrganizationChange:
    """Rename or move an organization; a verified one goes back to pending verification."""
    if not can_edit(actor, org):
        raise DomainError(_l("Solo los miembros de la organización pueden cambiar sus datos."))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Escriba el nombre de la organización."), "name")
    if len(name) > MAX_NAME:
        raise DomainError(
            _l("El nombre no puede pasar de %(max)d caracteres.", max=MAX_NAME), "name"
        )
    if country not in COUNTRIES:
        raise DomainError(_l("Elija un país de la lista."), "country")
    values = {"name": name, "country": country}
    changes = {
        field: [getattr(org, field), value]
        for field, value in values.items()
        if getattr(org, field) != value
    }
    if not changes:
        return OrganizationChange((), False)
    reset = org.verified and any(field in changes for field in IDENTITY_FIELDS)
    for field, (_old, new) in changes.items():
        setattr(org, field, new)
    if reset:
        org.verified_at = None
    audit.record(actor, "organization.updated", org, changes=changes, verification_reset=reset)
    db.session.commit()
    catalog_cache.changed()  # the catalogue shows the name, and only verified publishers
    return OrganizationChange(tuple(changes), reset)
