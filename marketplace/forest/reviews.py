"""Flagging open lots when a plot that delivered into them is reassessed worse.

A delivery keeps the plot's risk as it was when the cacao or coffee arrived (its snapshot:
status, the layers that reached the plot, the date of the assessment); nothing here rewrites
it. When a later assessment moves the plot to *at risk* or *needs verification* - worse than
what a delivery recorded - every OPEN lot holding such a delivery gets a LotReview row
("revisar: la parcela X pasó a riesgo el <fecha>, después de la entrega"), shown on the lot
and trace pages, and the buyer's organization and the centre's cooperative are notified.
Closed lots have left the centre and are not flagged, except those in a shipment: the
shipment's page shows its lots' reviews, so the buyer sees the change before (or after)
filing its due diligence statement.

`flag_after_reassessment(farm)` is the one entry point; `risk.assess` (an outline saved or
removed, a farm's point moved) and `risk.assess_all` (a forest layer imported or removed,
`flask forest assess`) call it for every farm whose status changed, so callers need not.

This module sits in the forest layer (below traceability and notifications), so it writes
Notification rows itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select

from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import (
    CollectionCenter,
    Farm,
    Notification,
    PurchaseCommitment,
    ShipmentLot,
)
from marketplace.models.base import utcnow
from marketplace.models.traceability import Delivery, Lot, LotReview, LotStatus, RiskStatus

FLAGGED_STATUSES = (RiskStatus.AT_RISK, RiskStatus.NEEDS_VERIFICATION)
RISK_ORDER = [status.value for status in RiskStatus]  # worst first
KINDS = {
    RiskStatus.AT_RISK: "lot.review_at_risk",
    RiskStatus.NEEDS_VERIFICATION: "lot.review_needs_verification",
}


def _worse(new: str, snapshot: str) -> bool:
    if new not in RISK_ORDER or snapshot not in RISK_ORDER:
        return False
    return RISK_ORDER.index(new) < RISK_ORDER.index(snapshot)


def flag_after_reassessment(farm: Farm) -> list[LotReview]:
    """Flag the open lots (and lots in a shipment) holding deliveries of `farm` recorded when
    it looked better than it does now (the caller commits). Returns the new reviews."""
    return flag_farms([(farm.id, farm.risk_status, farm.risk_assessed_at or utcnow())])


def flag_farms(changes: Iterable[tuple[int, str, datetime]]) -> list[LotReview]:
    """`flag_after_reassessment` for many farms at once: (farm id, new status, when)."""
    latest = {fid: (status, when) for fid, status, when in changes if status in FLAGGED_STATUSES}
    if not latest:
        return []
    rows = db.session.execute(
        select(Delivery.farm_id, Delivery.risk_status, Lot)
        .join(Lot, Lot.id == Delivery.lot_id)
        .where(
            Delivery.farm_id.in_(latest),
            or_(Lot.status == LotStatus.OPEN, Lot.id.in_(select(ShipmentLot.lot_id))),
        )
    ).all()
    wanted: dict[tuple[int, int, str], Lot] = {}
    for farm_id, snapshot, lot in rows:
        status = latest[farm_id][0]
        if _worse(status, snapshot):
            wanted[(lot.id, farm_id, status)] = lot
    if not wanted:
        return []
    lot_ids = {key[0] for key in wanted}
    existing = set(
        db.session.execute(
            select(LotReview.lot_id, LotReview.farm_id, LotReview.risk_status).where(
                LotReview.lot_id.in_(lot_ids)
            )
        ).all()
    )
    made = []
    for key, lot in sorted(wanted.items(), key=lambda item: item[0]):
        if key in existing:
            continue
        lot_id, farm_id, status = key
        review = LotReview(
            lot_id=lot_id, farm_id=farm_id, risk_status=status, assessed_at=latest[farm_id][1]
        )
        db.session.add(review)
        made.append(review)
        _notify(lot, farm_id, status, latest[farm_id][1])
    db.session.flush()
    return made


def _notify(lot: Lot, farm_id: int, status: str, when: datetime) -> None:
    farm = db.session.get(Farm, farm_id)
    commitment = db.session.get(PurchaseCommitment, lot.commitment_id)
    center = db.session.get(CollectionCenter, lot.collection_center_id)
    params = {"lot": lot.code, "farm": farm.name, "date": when.date().isoformat()}
    kind = KINDS[RiskStatus(status)]
    for org_id, link in (
        (commitment.organization_id, path_for("traceability.lot_trace", lot_id=lot.id)),
        (center.organization_id, path_for("traceability.lot", lot_id=lot.id)),
    ):
        db.session.add(Notification(organization_id=org_id, kind=kind, params=params, link=link))
