"""Recording actions in the audit log (inside the caller's transaction)."""

from __future__ import annotations

from typing import Any

from marketplace.extensions import db
from marketplace.models import AuditLog, User


class _PlatformSettings:
    """The platform's settings as an audit entity (one row per key, no integer id)."""

    __tablename__ = "platform_setting"
    id = None


PLATFORM_SETTINGS = _PlatformSettings()


def record(actor: User | None, action: str, entity: Any, **detail: Any) -> AuditLog:
    """Add an audit row for `action` on `entity`; the caller commits."""
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=entity.__tablename__,
        entity_id=entity.id,
        detail=detail,
    )
    db.session.add(entry)
    return entry
