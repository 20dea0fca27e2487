"""Disputes of a plot's deforestation risk, decided by four eyes.

For a plot *at risk* or *needing verification*, the producer or a technician of their
cooperative opens a dispute against the plot's current assessment: a ground (DisputeGround),
a written claim and at least one piece of the plot's field evidence. A first reviewer (an
admin, or a buyer's due-diligence user holding an active pledge from the farm) proposes an
outcome with a written reason; a SECOND, different reviewer confirms it or sends it back.
Nobody reviews a dispute they opened, and nobody confirms their own proposal: the rule is
in each conditional UPDATE (never read-then-write), so two reviewers racing decide once.
A plot overlapping another producer's is not disputed: one of the outlines is wrong and
must be corrected (forest/overlaps.py).

Confirming appends a new forest_assessment row (the old ones are never touched): an upheld
claim makes an at-risk plot *free* and a plot needing verification *verified*; a rejected
one keeps the status. Its reason is "dispute_upheld" / "dispute_rejected" with the dispute,
its ground, who proposed and who confirmed, when, and the disputed reason. How long an
outcome holds through later reassessments: forest/outcomes.py. Every step is audit-logged
(dispute.opened, dispute.proposed, dispute.returned, dispute.confirmed).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import audit
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.forest import overlaps, reviews
from marketplace.forest.risk import CLEARING_BY_STATUS
from marketplace.models import (
    FieldEvidence,
    ForestAssessment,
    Pledge,
    PurchaseCommitment,
    Role,
    User,
)
from marketplace.models.base import utcnow
from marketplace.models.commitments import PledgeStatus
from marketplace.models.disputes import (
    ACTIVE,
    DisputeGround,
    DisputeOutcome,
    DisputeStatus,
    ForestDispute,
    ForestDisputeEvidence,
)
from marketplace.models.producers import Farm
from marketplace.models.traceability import RiskStatus
from marketplace.traceability import dispute_notices as notices

DISPUTABLE = (RiskStatus.AT_RISK, RiskStatus.NEEDS_VERIFICATION)
UPHELD_STATUS = {
    RiskStatus.AT_RISK.value: RiskStatus.FREE,
    RiskStatus.NEEDS_VERIFICATION.value: RiskStatus.VERIFIED,
}
MAX_TEXT = 2000

REFUSALS = {
    "not_disputable": _l(
        "Solo se puede disputar una parcela en riesgo o que requiere verificación."
    ),
    "active": _l("Esta parcela ya tiene una disputa en curso."),
    "own_dispute": _l("Quien abrió la disputa no puede revisarla."),
    "own_proposal": _l("Otra persona debe confirmar o devolver esta propuesta (cuatro ojos)."),
    "not_open": _l("Esta disputa ya no espera una primera revisión."),
    "not_proposed": _l("Esta disputa ya no espera confirmación."),
    "plot_overlap": _l(
        "La parcela se superpone con la de otro productor: corrijan el contorno que esté mal; "
        "la evidencia de campo no resuelve una superposición."
    ),
    "changed": _l(
        "La evaluación de la parcela cambió desde que se abrió la disputa: ya no se puede decidir."
    ),
}


def _refuse(code: str) -> DomainError:
    return DomainError(str(REFUSALS[code]))


# --- reading ---------------------------------------------------------------------------------


def disputes_of(farm: Farm) -> list[ForestDispute]:
    """The farm's disputes, newest first, with their people and evidence loaded."""
    query = (
        select(ForestDispute)
        .where(ForestDispute.farm_id == farm.id)
        .order_by(ForestDispute.id.desc())
        .options(
            selectinload(ForestDispute.opened_by),
            selectinload(ForestDispute.proposed_by),
            selectinload(ForestDispute.confirmed_by),
            selectinload(ForestDispute.returned_by),
            selectinload(ForestDispute.evidence),
        )
    )
    return list(db.session.scalars(query))


def history_of(farm: Farm) -> list[ForestAssessment]:
    """Every assessment of the farm, newest first (read-only)."""
    query = (
        select(ForestAssessment)
        .where(ForestAssessment.farm_id == farm.id)
        .order_by(ForestAssessment.id.desc())
        .options(selectinload(ForestAssessment.layer_set))
    )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class QueueItem:
    """A dispute waiting on a reviewer, and whether this reviewer may take the next step."""

    dispute: ForestDispute
    farm: Farm
    may_act: bool


def review_queue(user: User) -> list[QueueItem]:
    """Disputes waiting for a first or second review that `user` may see: all for an admin,
    those of farms pledged to the buyer's organization for a buyer; oldest first."""
    query = (
        select(ForestDispute, Farm)
        .join(Farm, Farm.id == ForestDispute.farm_id)
        .where(ForestDispute.status.in_(ACTIVE))
        .order_by(ForestDispute.opened_at, ForestDispute.id)
        .options(selectinload(ForestDispute.proposed_by), selectinload(ForestDispute.opened_by))
    )
    if user.role != Role.ADMIN:
        pledged = (
            select(Pledge.farm_id)
            .join(PurchaseCommitment, Pledge.commitment_id == PurchaseCommitment.id)
            .where(
                Pledge.status == PledgeStatus.ACTIVE,
                PurchaseCommitment.organization_id == user.organization_id,
            )
        )
        query = query.where(Farm.id.in_(pledged))
    return [QueueItem(d, f, may_act(user, d)) for d, f in db.session.execute(query).all()]


def may_act(user: User, dispute: ForestDispute) -> bool:
    """The four-eyes rule for the next step (the role and farm checks are the views')."""
    if dispute.opened_by_id == user.id:
        return False
    if dispute.status == DisputeStatus.PROPOSED:
        return dispute.proposed_by_id != user.id
    return dispute.status == DisputeStatus.OPEN


# --- the steps -------------------------------------------------------------------------------


def open_dispute(
    actor: User, farm: Farm, *, ground: str, claim: str, evidence_ids: list[int]
) -> ForestDispute:
    """Open a dispute against the farm's current assessment; audit-logged, reviewers told."""
    problems = {}
    if ground not in DisputeGround.codes():
        problems["ground"] = str(_l("Elija el motivo del reclamo."))
    if not claim.strip():
        problems["claim"] = str(_l("Explique el reclamo."))
    elif len(claim) > MAX_TEXT:
        problems["claim"] = str(_l("Máximo 2000 caracteres."))
    own = set(db.session.scalars(select(FieldEvidence.id).where(FieldEvidence.farm_id == farm.id)))
    chosen = sorted(set(evidence_ids))
    if not chosen:
        problems["evidence"] = str(_l("Elija al menos una evidencia de campo de la parcela."))
    elif not set(chosen) <= own:
        problems["evidence"] = str(_l("Elija evidencia de campo de esta parcela."))
    if problems:
        raise InvalidInput(problems)
    if farm.risk_status not in DISPUTABLE or farm.risk_assessment_id is None:
        raise _refuse("not_disputable")
    if overlaps.open_pairs([farm.id]):
        raise _refuse("plot_overlap")
    dispute = ForestDispute(
        farm_id=farm.id,
        assessment_id=farm.risk_assessment_id,
        disputed_status=farm.risk_status,
        ground=ground,
        claim=claim.strip(),
        status=DisputeStatus.OPEN,
        opened_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
            db.session.flush()
    except IntegrityError:  # the partial unique index: another dispute is under way
        raise _refuse("active") from None
    db.session.execute(
        insert(ForestDisputeEvidence),
        [{"dispute_id": dispute.id, "evidence_id": i} for i in chosen],
    )
    audit.record(actor, "dispute.opened", farm, dispute=dispute.id, ground=ground)
    notices.reviewers(farm, dispute, "dispute.awaiting_review", skip=actor)
    db.session.commit()
    return dispute


def propose(actor: User, dispute: ForestDispute, *, outcome: str, reason: str) -> ForestDispute:
    """The first review: an outcome and why; then a second reviewer must confirm it."""
    problems = {}
    if outcome not in DisputeOutcome.codes():
        problems["outcome"] = str(_l("Elija aceptar o rechazar el reclamo."))
    if not reason.strip():
        problems["reason"] = str(_l("Escriba por qué: queda en el historial de la parcela."))
    elif len(reason) > MAX_TEXT:
        problems["reason"] = str(_l("Máximo 2000 caracteres."))
    if problems:
        raise InvalidInput(problems)
    if dispute.opened_by_id == actor.id:
        raise _refuse("own_dispute")
    changed = db.session.execute(
        update(ForestDispute)
        .where(
            ForestDispute.id == dispute.id,
            ForestDispute.status == DisputeStatus.OPEN,
            ForestDispute.opened_by_id != actor.id,
        )
        .values(
            status=DisputeStatus.PROPOSED,
            proposed_outcome=outcome,
            proposal_reason=reason.strip(),
            proposed_by_id=actor.id,
            proposed_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise _refuse("not_open")
    farm = db.session.get(Farm, dispute.farm_id)
    audit.record(actor, "dispute.proposed", farm, dispute=dispute.id, outcome=outcome)
    notices.reviewers(farm, dispute, "dispute.awaiting_confirmation", skip=actor)
    db.session.commit()
    db.session.refresh(dispute)
    return dispute


def send_back(actor: User, dispute: ForestDispute, *, note: str) -> ForestDispute:
    """The second reviewer disagrees: the proposal is withdrawn and the dispute waits for a
    new first review, with the note saying why."""
    if not note.strip():
        raise InvalidInput({"note": str(_l("Escriba por qué devuelve la propuesta."))})
    if len(note) > MAX_TEXT:
        raise InvalidInput({"note": str(_l("Máximo 2000 caracteres."))})
    _four_eyes(actor, dispute)
    changed = db.session.execute(
        update(ForestDispute)
        .where(*_may_decide(actor, dispute))
        .values(
            status=DisputeStatus.OPEN,
            proposed_outcome=None,
            proposal_reason=None,
            proposed_by_id=None,
            proposed_at=None,
            returned_note=note.strip(),
            returned_by_id=actor.id,
            returned_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise _refuse("not_proposed")
    farm = db.session.get(Farm, dispute.farm_id)
    audit.record(actor, "dispute.returned", farm, dispute=dispute.id)
    db.session.commit()
    db.session.refresh(dispute)
    return dispute


def confirm(actor: User, dispute: ForestDispute) -> ForestDispute:
    """The second review agrees: the dispute is decided and a new assessment row records
    the outcome; the farm points at it."""
    _four_eyes(actor, dispute)
    basis = db.session.get(ForestAssessment, dispute.assessment_id)
    farm = db.session.get(Farm, dispute.farm_id)
    outcome = dispute.proposed_outcome
    if dispute.status != DisputeStatus.PROPOSED or basis is None:
        raise _refuse("not_proposed")
    now = utcnow()
    upheld = outcome == DisputeOutcome.UPHELD
    if upheld and overlaps.open_pairs([farm.id]):
        raise _refuse("plot_overlap")
    status = UPHELD_STATUS[dispute.disputed_status] if upheld else RiskStatus(basis.status)
    reason = {
        "code": "dispute_upheld" if upheld else "dispute_rejected",
        "dispute": dispute.id,
        "ground": dispute.ground,
        "proposed_by": dispute.proposed_by_id,
        "proposed_at": dispute.proposed_at.isoformat() if dispute.proposed_at else None,
        "confirmed_by": actor.id,
        "confirmed_at": now.isoformat(),
        "disputed": basis.reason,
        "cutoff": basis.reason.get("cutoff", basis.settings.get("cutoff_year")),
    }
    row_id = db.session.execute(
        insert(ForestAssessment).returning(ForestAssessment.id),
        [
            {
                "farm_id": farm.id,
                "status": status.value,
                "plot_ha": basis.plot_ha,
                "point": basis.point,
                "indicators": basis.indicators,
                "layer_set_id": basis.layer_set_id,
                "reason": reason,
                "settings": basis.settings,
                "assessed_at": now,
            }
        ],
    ).scalar_one()
    decided = db.session.execute(
        update(ForestDispute)
        .where(*_may_decide(actor, dispute))
        .values(
            status=outcome,
            confirmed_by_id=actor.id,
            confirmed_at=now,
            outcome_assessment_id=row_id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if decided != 1:
        db.session.rollback()
        raise _refuse("not_proposed")
    clearing = CLEARING_BY_STATUS.get(status)
    moved = db.session.execute(
        update(Farm)
        .where(Farm.id == farm.id, Farm.risk_assessment_id == dispute.assessment_id)
        .values(
            risk_status=status.value,
            risk_assessment_id=row_id,
            risk_assessed_at=now,
            cleared_after_cutoff=clearing.value if clearing else Farm.cleared_after_cutoff,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        # the plot was reassessed since the dispute was opened: it can never be decided
        db.session.rollback()
        superseded = db.session.execute(
            update(ForestDispute)
            .where(ForestDispute.id == dispute.id, ForestDispute.status.in_(ACTIVE))
            .values(status=DisputeStatus.SUPERSEDED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if superseded:
            audit.record(actor, "dispute.lapsed", farm, dispute=dispute.id, lapsed="dispute")
        db.session.commit()
        raise _refuse("changed")
    audit.record(
        actor,
        "dispute.confirmed",
        farm,
        dispute=dispute.id,
        outcome=outcome,
        proposed_by=dispute.proposed_by_id,
        before=basis.status,
        after=status.value,
        assessment=row_id,
    )
    db.session.refresh(farm)
    reviews.flag_after_reassessment(farm)  # a rejected outcome may still flag open lots
    notices.decided(farm, dispute, outcome)
    db.session.commit()
    db.session.refresh(dispute)
    return dispute


def _four_eyes(actor: User, dispute: ForestDispute) -> None:
    if dispute.opened_by_id == actor.id:
        raise _refuse("own_dispute")
    if dispute.proposed_by_id == actor.id:
        raise _refuse("own_proposal")


def _may_decide(actor: User, dispute: ForestDispute) -> tuple:
    """The second step's conditions, checked by the database inside the UPDATE."""
    return (
        ForestDispute.id == dispute.id,
        ForestDispute.status == DisputeStatus.PROPOSED,
        ForestDispute.proposed_by_id != actor.id,
        ForestDispute.opened_by_id != actor.id,
    )
