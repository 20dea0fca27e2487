"""Disputes of a plot's deforestation assessment, decided by two different reviewers, and the
guards that keep the assessment history and decided disputes as they were written.

A dispute answers one assessment (`assessment_id`, the farm's current row when it was
opened). A first reviewer proposes an outcome, a second one confirms it (or sends it back);
the confirmation appends a new forest_assessment row (`outcome_assessment_id`). Once upheld
or rejected a dispute is never updated or deleted by the app: the SQLAlchemy events below
refuse it in the ORM and the triggers (here for create_all, in the migration for Alembic)
refuse UPDATE in the database itself, on SQLite and PostgreSQL alike. forest_assessment
rows refuse every UPDATE; DELETE stays possible so deleting a farm still removes its
history.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import DDL, ForeignKey, Index, String, Text, event, inspect, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models.accounts import User
from marketplace.models.base import utcnow
from marketplace.models.traceability import FieldEvidence, ForestAssessment
from marketplace.models.vocabulary import Tone, Vocabulary
from marketplace.types import UTCDateTime


class DisputeGround(Vocabulary):
    """Why the producer's side says the layers are wrong about the plot."""

    LOSS_BEFORE_CUTOFF = "loss_before_cutoff", _l("La pérdida de bosque fue antes del corte")
    MAP_ERROR = "map_error", _l("Error del mapa (nubes, sombra u otra tierra)")
    CROP_IN_2020 = (
        "crop_in_2020",
        _l("El cultivo ya estaba en 2020 (cacao o café bajo sombra, sistema agroforestal)"),
    )
    FOREST_OUTSIDE = "forest_outside", _l("El bosque está fuera de la parcela")


class DisputeStatus(Vocabulary):
    """Open: waits for a first review; proposed: waits for a second reviewer; upheld and
    rejected are decided; superseded never will be (all three are final)."""

    OPEN = "open", _l("Abierta: espera una primera revisión"), Tone.WARN
    PROPOSED = "proposed", _l("Propuesta: espera la confirmación de otra persona"), Tone.WARN
    UPHELD = "upheld", _l("Aceptada"), Tone.OK
    REJECTED = "rejected", _l("Rechazada"), Tone.BAD
    # the assessment changed (new layers, a new outline) before the dispute was decided
    SUPERSEDED = (
        "superseded",
        _l("Sin efecto: la evaluación cambió antes de decidirse"),
        Tone.NEUTRAL,
    )


class DisputeOutcome(Vocabulary):
    """What the first reviewer proposes."""

    UPHELD = "upheld", _l("Aceptar el reclamo")
    REJECTED = "rejected", _l("Rechazar el reclamo: el estado se mantiene")


DECIDED = (DisputeStatus.UPHELD.value, DisputeStatus.REJECTED.value)
FINAL = (*DECIDED, DisputeStatus.SUPERSEDED.value)
ACTIVE = (DisputeStatus.OPEN.value, DisputeStatus.PROPOSED.value)


class ForestDispute(db.Model):
    """A claim against one assessment of a plot, its proposal, its confirmation."""

    __tablename__ = "forest_dispute"
    __table_args__ = (
        # one dispute under way per farm; the partial index settles two openers racing
        Index(
            "uq_forest_dispute_active",
            "farm_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'proposed')"),
            postgresql_where=text("status IN ('open', 'proposed')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farm.id", ondelete="CASCADE"), index=True)
    # the assessment disputed (the farm's current one when opened) and its status then
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("forest_assessment.id", ondelete="CASCADE")
    )
    disputed_status: Mapped[str] = mapped_column(String(20))
    ground: Mapped[str] = mapped_column(String(20))  # DisputeGround
    claim: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=DisputeStatus.OPEN)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the first reviewer's proposal (DisputeOutcome) and why
    proposed_outcome: Mapped[str | None] = mapped_column(String(10))
    proposal_reason: Mapped[str | None] = mapped_column(Text)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the last proposal a second reviewer sent back, and why
    returned_note: Mapped[str | None] = mapped_column(Text)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the second reviewer's confirmation and the assessment row it appended
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("forest_assessment.id", ondelete="CASCADE"), index=True
    )

    opened_by: Mapped[User] = relationship(foreign_keys=[opened_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    assessment: Mapped[ForestAssessment] = relationship(foreign_keys=[assessment_id])
    evidence: Mapped[list[FieldEvidence]] = relationship(
        secondary="forest_dispute_evidence", order_by="FieldEvidence.id", viewonly=True
    )

    @property
    def decided(self) -> bool:
        """Upheld or rejected."""
        return self.status in DECIDED

    @property
    def final(self) -> bool:
        """Decided or superseded: nothing more happens to it."""
        return self.status in FINAL


class ForestDisputeEvidence(db.Model):
    """A piece of field evidence a dispute rests on."""

    __tablename__ = "forest_dispute_evidence"

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("forest_dispute.id", ondelete="CASCADE"), primary_key=True
    )
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("field_evidence.id", ondelete="CASCADE"), primary_key=True
    )


# --- immutability ----------------------------------------------------------------------------


class ImmutableRecord(RuntimeError):
    """An assessment row, or a decided dispute, was about to be changed or deleted."""


@event.listens_for(ForestAssessment, "before_update")
def _assessment_update(mapper, connection, target) -> None:
    raise ImmutableRecord(f"forest_assessment {target.id} is append-only")


@event.listens_for(ForestAssessment, "before_delete")
def _assessment_delete(mapper, connection, target) -> None:
    raise ImmutableRecord(f"forest_assessment {target.id} is append-only")


def _was_decided(target: ForestDispute) -> bool:
    history = inspect(target).attrs.status.history
    before = (history.deleted or history.unchanged or [target.status])[0]
    return before in FINAL


@event.listens_for(ForestDispute, "before_update")
def _dispute_update(mapper, connection, target) -> None:
    if _was_decided(target):
        raise ImmutableRecord(f"forest_dispute {target.id} is decided")


@event.listens_for(ForestDispute, "before_delete")
def _dispute_delete(mapper, connection, target) -> None:
    if _was_decided(target):
        raise ImmutableRecord(f"forest_dispute {target.id} is decided")


# The same triggers as migration 20261207_c6d1e8f2a4b7 (create_all builds the test databases).
SQLITE_TRIGGERS = (
    "CREATE TRIGGER forest_assessment_no_update BEFORE UPDATE ON forest_assessment "
    "BEGIN SELECT RAISE(ABORT, 'forest_assessment is append-only'); END",
    "CREATE TRIGGER forest_dispute_decided_no_update BEFORE UPDATE ON forest_dispute "
    "WHEN OLD.status IN ('upheld', 'rejected', 'superseded') "
    "BEGIN SELECT RAISE(ABORT, 'a decided forest_dispute is final'); END",
)
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION minka_refuse_update() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' rows cannot be updated'; END; "
    "$$ LANGUAGE plpgsql"
)
POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER forest_assessment_no_update BEFORE UPDATE ON forest_assessment "
    "FOR EACH ROW EXECUTE FUNCTION minka_refuse_update()",
    "CREATE TRIGGER forest_dispute_decided_no_update BEFORE UPDATE ON forest_dispute "
    "FOR EACH ROW WHEN (OLD.status IN ('upheld', 'rejected', 'superseded')) "
    "EXECUTE FUNCTION minka_refuse_update()",
)


def _triggers(table, sqlite: str, postgresql: str) -> None:
    event.listen(table, "after_create", DDL(sqlite).execute_if(dialect="sqlite"))
    event.listen(table, "after_create", DDL(POSTGRESQL_FUNCTION).execute_if(dialect="postgresql"))
    event.listen(table, "after_create", DDL(postgresql).execute_if(dialect="postgresql"))


_triggers(ForestAssessment.__table__, SQLITE_TRIGGERS[0], POSTGRESQL_TRIGGERS[0])
_triggers(ForestDispute.__table__, SQLITE_TRIGGERS[1], POSTGRESQL_TRIGGERS[1])
