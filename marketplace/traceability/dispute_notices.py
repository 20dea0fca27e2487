"""Who is told about a plot's dispute: the reviewers when it waits on them (every admin but
the actor, and every buyer organization holding an active pledge from the farm), the
producer's cooperative and the producer when it is decided. Rows only; the caller commits."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import Notification, Pledge, PurchaseCommitment, Role, User
from marketplace.models.commitments import PledgeStatus
from marketplace.models.disputes import DisputeOutcome, ForestDispute
from marketplace.models.producers import Farm


def reviewers(farm: Farm, dispute: ForestDispute, kind: str, skip: User) -> None:
    """Every admin but the actor, and every buyer organization holding an active pledge
    from the farm (its due-diligence users review it)."""
    params = {"farm": farm.name, "dispute": dispute.id}
    link = path_for("traceability.plot", farm_id=farm.id) + "#revision"
    admins = db.session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True), User.id != skip.id)
    ).all()
    for user_id in admins:
        db.session.add(Notification(user_id=user_id, kind=kind, params=params, link=link))
    buyers = db.session.scalars(
        select(PurchaseCommitment.organization_id)
        .join(Pledge, Pledge.commitment_id == PurchaseCommitment.id)
        .where(Pledge.farm_id == farm.id, Pledge.status == PledgeStatus.ACTIVE)
        .distinct()
    ).all()
    for org_id in buyers:
        db.session.add(Notification(organization_id=org_id, kind=kind, params=params, link=link))


def decided(farm: Farm, dispute: ForestDispute, outcome: str) -> None:
    """The producer's cooperative (and the producer, when they have an account) learn the
    decision."""
    kind = "dispute.upheld" if outcome == DisputeOutcome.UPHELD else "dispute.rejected"
    params = {"farm": farm.name, "dispute": dispute.id}
    link = path_for("traceability.plot", farm_id=farm.id) + "#revision"
    producer = farm.producer
    targets = [{"organization_id": producer.cooperative_id}] if producer.cooperative_id else []
    if producer.user_id:
        targets.append({"user_id": producer.user_id})
    for target in targets:
        db.session.add(Notification(kind=kind, params=params, link=link, **target))
