"""SQLAlchemy models, one module per domain."""

from marketplace.models.accounts import ROLE_ORG_KINDS, Organization, OrgKind, Role, User
from marketplace.models.audit import AuditLog
from marketplace.models.consent import Consent, ConsentScope
from marketplace.models.producers import (
    Certification,
    Clearing,
    Farm,
    Gender,
    Producer,
    ValueChain,
)

__all__ = [
    "ROLE_ORG_KINDS",
    "AuditLog",
    "Certification",
    "Clearing",
    "Consent",
    "ConsentScope",
    "Farm",
    "Gender",
    "Organization",
    "OrgKind",
    "Producer",
    "Role",
    "User",
    "ValueChain",
]
