"""Organizations as their members see and edit them, and what they submit to be verified:
the tax id (RUC, NIT or RFC) and one document."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import audit, tax_ids, uploads
from marketplace.catalog import cache as catalog_cache
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.labels import COUNTRIES
from marketplace.models import Organization, User
from marketplace.organizations.permissions import can_edit

MAX_NAME = 160
MAX_DOCUMENT_BYTES = uploads.MAX_DOCUMENT_BYTES
DOCUMENT_DIR = uploads.DOCUMENT_DIR  # under the instance folder

# What an admin verified: changing one sends the organization back to review.
IDENTITY_FIELDS = ("name", "country", "tax_id", "document")


class OrganizationChange(NamedTuple):
    """What an edit changed, whether it cost the organization its verification, and whether
    it sent a rejected organization back to review."""

    changed: tuple[str, ...]
    verification_reset: bool
    resubmitted: bool = False


def members(org: Organization) -> list[User]:
    """The organization's active accounts, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.organization_id == org.id, User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def clean_name(name: str) -> str:
    """The name with its spaces tidied; DomainError (field "name") if empty or too long."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Escriba el nombre de la organización."), "name")
    if len(name) > MAX_NAME:
        raise DomainError(
            _l("El nombre no puede pasar de %(max)d caracteres.", max=MAX_NAME), "name"
        )
    return name


def _tax_id(country: str, typed: str | None, stored: str | None) -> str | None:
    """The typed tax id checked for the country; when none was typed, the stored one, which
    must still be the country's (a change of country needs the new country's tax id)."""
    if typed is not None:
        return tax_ids.parse(country, typed)
    if stored and not tax_ids.is_valid(country, stored):
        raise DomainError(
            _l("Escriba el número tributario (RUC, NIT o RFC) del país elegido."), "tax_id"
        )
    return stored


def update_organization(
    actor: User,
    org: Organization,
    name: str,
    country: str,
    tax_id: str | None = None,
    document: bytes = b"",
    instance_path: Path | None = None,
) -> OrganizationChange:
    """Correct an organization's name, country, tax id or document. A verified one goes
    back to pending verification; a rejected one goes back to review (resubmitted)."""
    if not can_edit(actor, org):
        raise DomainError(_l("Solo los miembros de la organización pueden cambiar sus datos."))
    name = clean_name(name)
    if country not in COUNTRIES:
        raise DomainError(_l("Elija un país de la lista."), "country")
    values = {"name": name, "country": country, "tax_id": _tax_id(country, tax_id, org.tax_id)}
    suffix = uploads.document_suffix(document) if document else None
    if document and instance_path is None:
        raise ValueError("storing a document needs the instance folder")
    changes = {
        field: [getattr(org, field), value]
        for field, value in values.items()
        if getattr(org, field) != value
    }
    if not changes and not document:
        return OrganizationChange((), False)
    changed = (*changes, "document") if document else tuple(changes)
    reset = org.verified and any(field in changed for field in IDENTITY_FIELDS)
    resubmitted = org.rejected
    for field, (_old, new) in changes.items():
        setattr(org, field, new)
    if reset:
        org.verified_at = org.verified_name_key = org.verified_tax_id = None
    if resubmitted:
        org.rejected_at = org.rejection_reason = None
    old_document = new_document = org.document_path
    if document:
        new_document = str(uploads.store(instance_path, DOCUMENT_DIR, document, suffix))
        org.document_path = new_document
    audit.record(
        actor,
        "organization.updated",
        org,
        changes=changes,
        document=bool(document),
        verification_reset=reset,
        resubmitted=resubmitted,
    )
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()  # before the store forgets the file (it may share the database)
        if document:
            uploads.remove(instance_path, new_document)
        raise
    if document and instance_path is not None:
        uploads.remove(instance_path, old_document)
    catalog_cache.changed()  # the catalogue shows the name, and only verified publishers
    return OrganizationChange(changed, reset, resubmitted)


def document_file(org: Organization, instance_path: Path) -> bytes | None:
    """The organization's stored document, if any."""
    return uploads.read(instance_path, DOCUMENT_DIR, org.document_path)
