"""Which producers object, now, to a use of their data. Every feature that uses data in a
way a producer can object to (credit scoring, showing her to lenders or buyers) filters with
`objectors(use)`: an objection takes effect at the next read, not at the next review."""

from __future__ import annotations

from sqlalchemy import Select, select

from marketplace.extensions import db
from marketplace.models import ConsentScope, Objection, ObjectionUse

#: The objection that overrides each consent scope: with it, a granted consent shares nothing.
SCOPE_OBJECTIONS = {
    ConsentScope.LENDERS.value: ObjectionUse.SHARE_LENDERS,
    ConsentScope.BUYERS.value: ObjectionUse.SHARE_BUYERS,
}


def objectors(use: str) -> Select:
    """The ids of the producers who object to `use` now (a subquery to exclude them)."""
    return select(Objection.producer_id).where(Objection.use == use, Objection.active.is_(True))


def objects_to(producer_id: int, use: str) -> bool:
    """True when the producer objects to `use` now."""
    return db.session.scalar(objectors(use).where(Objection.producer_id == producer_id)) is not None


def active_uses(producer_id: int) -> set[str]:
    """The uses the producer objects to now."""
    rows = db.session.scalars(
        select(Objection.use).where(
            Objection.producer_id == producer_id, Objection.active.is_(True)
        )
    )
    return set(rows)
