"""Which producers object, now, to a use of their data. Every feature that uses data in a
way a producer can object to (credit scoring, showing her to lenders or buyers) filters with
`objecting(use, producer_id)`: an objection takes effect at the next read, not at the next
review."""

from __future__ import annotations

from sqlalchemy import Exists, select

from marketplace.extensions import db
from marketplace.models import ConsentScope, Objection, ObjectionUse

#: The objection that overrides each consent scope: with it, a granted consent shares nothing.
SCOPE_OBJECTIONS = {
    ConsentScope.LENDERS.value: ObjectionUse.SHARE_LENDERS,
    ConsentScope.BUYERS.value: ObjectionUse.SHARE_BUYERS,
}


def objecting(use: str, producer_id) -> Exists:
    """Whether the producer `producer_id` (a column or an id) objects to `use` now: exclude
    with `~objecting(...)`. A NOT EXISTS probes the index row by row, whatever the number of
    objectors; a NOT IN list is read again for every row once it outgrows PostgreSQL's
    work_mem."""
    return (
        select(Objection.id)
        .where(
            Objection.producer_id == producer_id,
            Objection.use == use,
            Objection.active.is_(True),
        )
        .exists()
    )


def objects_to(producer_id: int, use: str) -> bool:
    """True when the producer objects to `use` now."""
    return bool(db.session.scalar(select(objecting(use, producer_id))))


def active_uses(producer_id: int) -> set[str]:
    """The uses the producer objects to now."""
    rows = db.session.scalars(
        select(Objection.use).where(
            Objection.producer_id == producer_id, Objection.active.is_(True)
        )
    )
    return set(rows)
