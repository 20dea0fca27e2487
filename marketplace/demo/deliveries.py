"""The deliveries part of the demo world: harvest delivered against the demo buyer's
commitments at their collection centres, with check-offs for producers who owe on a loan,
and one open lot per commitment, so the buyer's traceability page and the export have rows.

Rows are written inside build_world's transaction (the services commit, so they are not
called); the arithmetic is the services' own (deliveries.delivery_value, checkoff_amount).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import numpy as np
from sqlalchemy import select

from marketplace.credit.checkoff import apply_checkoff
from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
    Farm,
    Pledge,
    PledgeStatus,
    PurchaseCommitment,
    Role,
    User,
)
from marketplace.models.base import local_today
from marketplace.models.traceability import Delivery, Lot
from marketplace.traceability import custody
from marketplace.traceability import deliveries as rules
from marketplace.traceability.lots import unknown_origin, worst_status

BUYER_EMAIL = "comprador@minka.demo"
COMMITMENTS = 3
PLEDGES_PER_COMMITMENT = 8


def _recorder(center: CollectionCenter) -> User | None:
    """A technician of the cooperative that runs the centre, or else an admin."""
    staff = db.session.scalar(
        select(User)
        .where(User.organization_id == center.organization_id, User.role == Role.TECHNICIAN)
        .order_by(User.id)
    )
    return staff or db.session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))


def _commitments() -> list[PurchaseCommitment]:
    buyer = db.session.scalar(select(User).where(User.email == BUYER_EMAIL))
    if buyer is None:
        return []
    return list(
        db.session.scalars(
            select(PurchaseCommitment)
            .where(
                PurchaseCommitment.organization_id == buyer.organization_id,
                PurchaseCommitment.collection_center_id.is_not(None),
                PurchaseCommitment.value_chain.in_(("cacao", "cafe")),
            )
            .order_by(PurchaseCommitment.id)
            .limit(COMMITMENTS)
        )
    )


def _deliver(rng, commitment, center, recorder, today) -> list[Delivery]:
    pledges = db.session.scalars(
        select(Pledge)
        .where(Pledge.commitment_id == commitment.id, Pledge.status == PledgeStatus.ACTIVE)
        .order_by(Pledge.id)
        .limit(PLEDGES_PER_COMMITMENT)
    )
    made = []
    for pledge in pledges:
        farm = db.session.get(Farm, pledge.farm_id)
        delivered_on = today - timedelta(days=int(rng.integers(5, 40)))
        # picked over a few weeks, then about a week fermenting and one or two drying
        harvest_end = delivered_on - timedelta(days=int(rng.integers(8, 21)))
        harvest_start = harvest_end - timedelta(days=int(rng.integers(14, 60)))
        data = rules.DeliveryData(
            pledge_id=pledge.id,
            kg=max(1, int(pledge.kg * rng.uniform(0.3, 0.7))),
            delivered_on=delivered_on,
            humidity_pct=round(float(rng.uniform(6.5, 8.0)), 1),
            fermentation_pct=round(float(rng.uniform(70, 90)), 0),
            harvest_start=harvest_start,
            harvest_end=harvest_end,
        )
        delivery = rules.new_delivery(pledge, commitment, farm, center, data, recorder)
        if delivery.risk_assessed_at is not None:
            # the demo assesses its farms today but dates deliveries weeks back: show the
            # plot as assessed on the delivery day, as a real centre's snapshot would be
            delivery.risk_assessed_at = datetime.combine(delivered_on, time(8), tzinfo=UTC)
        apply_checkoff(recorder, delivery)
        made.append(delivery)
    return made


def build(seed: int, say: Callable[[str], None]) -> dict[str, int]:
    """Deliveries and one open lot for a few of the demo buyer's commitments."""
    rng = np.random.default_rng(seed)
    today = local_today()
    counts = {"delivery": 0, "lot": 0}
    for commitment in _commitments():
        center = db.session.get(CollectionCenter, commitment.collection_center_id)
        recorder = _recorder(center)
        if recorder is None:
            continue
        made = _deliver(rng, commitment, center, recorder, today)
        counts["delivery"] += len(made)
        if commitment.deforestation_free:
            # the rule the centre's staff meet too: no delivery of unknown origin in such a lot
            made = [d for d in made if not unknown_origin(d)]
        if not made:
            continue
        lot = Lot(
            code=f"tmp-demo-lot-{commitment.id}",
            commitment_id=commitment.id,
            collection_center_id=center.id,
            weight_kg=int(sum(d.kg for d in made) * 0.97),  # a little moisture lost
            status="open",
            risk_status=worst_status(d.risk_status for d in made),
            output_state=custody.default_state(commitment.value_chain),
            created_by_id=recorder.id,
        )
        db.session.add(lot)
        db.session.flush()
        lot.code = f"LOT-{center.country}-{lot.id:06d}"
        for delivery in made:
            delivery.lot_id = lot.id
        counts["lot"] += 1
    say(f"  deliveries: {counts['delivery']} in {counts['lot']} lots")
    return counts
