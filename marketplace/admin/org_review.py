"""Reviewing organizations: what the admin sees before deciding (the tax id checked, the
document, the look-alikes) and the decisions — verify, reject with a reason, suspend,
reinstate. Each decision is audit-logged; verify and reject are told to the organization."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from marketplace import audit, tax_ids
from marketplace.catalog import cache as catalog_cache
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.labels import COUNTRIES
from marketplace.links import path_for
from marketplace.models import Organization, User
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization
from marketplace.organizations import lookalikes

MAX_REASON = 500


class Review(NamedTuple):
    """What the admin reads before verifying: the tax id's problem (None when valid), the
    look-alikes, and a verified twin that makes verification impossible."""

    tax_id_problem: str | None
    lookalikes: list[lookalikes.Lookalike]
    twin: Organization | None


def tax_id_problem(org: Organization) -> str | None:
    """Why the organization's tax id cannot be accepted, or None when it is valid."""
    if not org.tax_id:
        return _l("La organización aún no envió su número tributario.")
    try:
        tax_ids.parse(org.country, org.tax_id)
    except DomainError as error:
        return error.message
    return None


def review(org: Organization) -> Review:
    """The facts of the review page."""
    return Review(tax_id_problem(org), lookalikes.lookalikes(org), lookalikes.verified_twin(org))


def _reason(reason: str | None, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(missing, "reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _l("El motivo no puede pasar de %(max)d caracteres.", max=MAX_REASON), "reason"
        )
    return reason


def _check_verifiable(org: Organization) -> None:
    if org.verified:
        raise DomainError(_l("Esta organización ya está verificada."))
    if org.suspended:
        raise DomainError(
            _l("Esta organización está suspendida. Levante la suspensión antes de verificarla.")
        )
    problem = tax_id_problem(org)
    if problem is not None:
        raise DomainError(problem)
    if not org.document_path:
        raise DomainError(_l("La organización aún no envió su documento."))
    twin = lookalikes.verified_twin(org)
    if twin is not None:
        raise DomainError(
            _l(
                "Ya hay una organización verificada en %(country)s con el mismo nombre o el "
                "mismo número tributario: %(name)s. Rechace esta o corrija los datos.",
                country=COUNTRIES.get(org.country, org.country),
                name=twin.name,
            )
        )


def verify_organization(actor: User, org: Organization) -> Organization:
    """Verify an organization that submitted a valid tax id and a document and has no verified
    twin in its country; it may then publish (a cooperative: reach its producers)."""
    _check_verifiable(org)
    org.verified_at = utcnow()
    org.verified_name_key = lookalikes.unique_key(org.name)[:160]
    org.verified_tax_id = org.tax_id
    org.rejected_at = org.rejection_reason = None
    try:
        db.session.flush()
    except IntegrityError:  # a twin was verified at the same moment (the unique keys)
        db.session.rollback()
        raise DomainError(
            _l("Otra organización con el mismo nombre o número tributario acaba de ser verificada.")
        ) from None
    audit.record(actor, "organization.verified", org, name=org.name, tax_id=org.tax_id)
    notify_organization(org.id, "organization.verified", path_for("organizations.mine"))
    db.session.commit()
    catalog_cache.changed()  # who may publish changed: the catalogue shows it
    return org


def reject_organization(actor: User, org: Organization, reason: str | None) -> Organization:
    """Refuse to verify an organization, saying why; it may correct its data and resubmit."""
    reason = _reason(reason, _l("Escriba el motivo del rechazo."))
    if org.verified:
        raise DomainError(
            _l("Esta organización está verificada: para retirarle el acceso, suspéndala.")
        )
    if org.rejected:
        raise DomainError(_l("Esta organización ya está rechazada."))
    org.rejected_at, org.rejection_reason = utcnow(), reason
    audit.record(actor, "organization.rejected", org, name=org.name, reason=reason)
    notify_organization(
        org.id, "organization.rejected", path_for("organizations.mine"), reason=reason
    )
    db.session.commit()
    return org


def suspend_organization(actor: User, org: Organization, reason: str | None) -> Organization:
    """Suspend an organization (it can no longer publish), recording why."""
    reason = _reason(reason, _l("Escriba el motivo de la suspensión."))
    if org.suspended:
        raise DomainError(_l("Esta organización ya está suspendida."))
    org.suspended_at = utcnow()
    audit.record(actor, "organization.suspended", org, reason=reason)
    db.session.commit()
    catalog_cache.changed()  # who may publish changed: the catalogue shows it
    return org


def reinstate_organization(actor: User, org: Organization) -> Organization:
    """Lift a suspension; the organization keeps the verification it had."""
    if not org.suspended:
        raise DomainError(_l("Esta organización no está suspendida."))
    org.suspended_at = None
    audit.record(actor, "organization.reinstated", org)
    db.session.commit()
    catalog_cache.changed()  # who may publish changed: the catalogue shows it
    return org
