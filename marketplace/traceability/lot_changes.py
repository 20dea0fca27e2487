"""Splitting one lot into two and merging two lots into one, mass balance carried across.

A split moves whole deliveries (with their origins) to a new lot of the same commitment,
centre, state and status; the output weight is shared in proportion to the deliveries'
converted kg (rounded down for the new lot, the rest stays), so both halves keep their
mass balance and together weigh what the lot did. A merge moves every delivery, the weight
and the review flags of one open lot into another open lot of the same commitment, centre
and output state; the emptied lot stays as *fusionado*, pointing at the lot it went into.

Both take the row locks of the lots involved first (a no-op conditional UPDATE, lowest id
first so two merges cannot deadlock), then write with compare-and-set on the weights; both
are audit-logged on each lot.
"""

from __future__ import annotations

import uuid
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import CollectionCenter, ShipmentLot, User
from marketplace.models.traceability import Delivery, Lot, LotReview, LotStatus
from marketplace.traceability import custody
from marketplace.traceability.lots import check_can_mix, drop_stale_reviews, worst_status

SPLITTABLE = (LotStatus.OPEN.value, LotStatus.CLOSED.value)


def _refuse(message, field: str | None = None) -> NoReturn:
    db.session.rollback()
    raise DomainError(message, field)


def _lock(lot: Lot, statuses: tuple[str, ...]) -> None:
    """Take the lot's row lock while its status is one of `statuses`, and reload it."""
    result = db.session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.status.in_(statuses))
        .values(status=Lot.status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(_l("El lote cambió mientras tanto; vuelva a cargar la página."))
    db.session.refresh(lot)


def _converted(deliveries: list[Delivery], state: str | None, table: dict[str, int]) -> int:
    return sum(d.kg * custody.factor(d.product_state, state, table) for d in deliveries)


def _refresh_risk(lot: Lot) -> None:
    statuses = db.session.scalars(select(Delivery.risk_status).where(Delivery.lot_id == lot.id))
    lot.risk_status = worst_status(statuses)


def shared_weight(weight: int, moved: int, total: int) -> int:
    """The new lot's share of `weight` when `moved` of `total` converted kg move to it,
    rounded down, then nudged so neither half exceeds its converted input."""
    share = weight * moved // total if total else 0
    if (weight - share) * custody.SCALE > total - moved:
        share += 1
    return share


def split_lot(actor: User, lot: Lot, delivery_ids: list[int]) -> Lot:
    """Move these deliveries of `lot` (open or closed) to a new lot; return the new lot."""
    _lock(lot, SPLITTABLE)
    if db.session.get(ShipmentLot, lot.id) is not None:
        _refuse(_l("El lote ya está en un embarque: sáquelo del embarque antes de dividirlo."))
    wanted = set(delivery_ids)
    inside = list(db.session.scalars(select(Delivery).where(Delivery.lot_id == lot.id)))
    moving = [d for d in inside if d.id in wanted]
    if not moving or len(moving) != len(wanted):
        _refuse(_l("Marque entregas de este lote para pasarlas al nuevo lote."), "delivery_ids")
    if len(moving) == len(inside):
        _refuse(_l("Deje al menos una entrega en el lote original."), "delivery_ids")
    table = custody.factors()
    total = _converted(inside, lot.output_state, table)
    moved_in = _converted(moving, lot.output_state, table)
    share = shared_weight(lot.weight_kg, moved_in, total)
    if share * custody.SCALE > moved_in or (lot.weight_kg - share) * custody.SCALE > (
        total - moved_in
    ):
        _refuse(_l("El peso de salida no se puede repartir sin romper el balance de masa."))
    before = lot.weight_kg
    new = Lot(
        code=f"tmp-{uuid.uuid4().hex[:24]}",
        commitment_id=lot.commitment_id,
        collection_center_id=lot.collection_center_id,
        weight_kg=share,
        status=lot.status,
        risk_status=lot.risk_status,
        output_state=lot.output_state,
        split_from_id=lot.id,
        created_by_id=actor.id,
    )
    db.session.add(new)
    db.session.flush()
    country = db.session.get(CollectionCenter, lot.collection_center_id).country
    new.code = f"LOT-{country}-{new.id:06d}"
    moved = db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(wanted), Delivery.lot_id == lot.id)
        .values(lot_id=new.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    kept = db.session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.weight_kg == before)
        .values(weight_kg=before - share)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != len(wanted) or kept != 1:
        _refuse(_l("El lote cambió mientras tanto; vuelva a cargar la página."))
    _copy_reviews(lot, new, {d.farm_id for d in moving})
    drop_stale_reviews(lot)
    db.session.refresh(lot)
    db.session.expire(lot, ["deliveries"])
    _refresh_risk(lot)
    _refresh_risk(new)
    ids = sorted(wanted)
    audit.record(actor, "lot.split", lot, new_lot=new.id, deliveries=ids, weight_kg=lot.weight_kg)
    audit.record(actor, "lot.split_from", new, lot=lot.id, deliveries=ids, weight_kg=share)
    db.session.commit()
    return new


def _copy_reviews(source: Lot, target: Lot, farm_ids: set[int]) -> None:
    for review in list(source.reviews):
        if review.farm_id in farm_ids:
            db.session.add(
                LotReview(
                    lot_id=target.id,
                    farm_id=review.farm_id,
                    risk_status=review.risk_status,
                    assessed_at=review.assessed_at,
                )
            )


def mergeable_lots(lot: Lot) -> list[Lot]:
    """Other open lots of the same commitment, centre and output state."""
    query = (
        select(Lot)
        .where(
            Lot.id != lot.id,
            Lot.commitment_id == lot.commitment_id,
            Lot.collection_center_id == lot.collection_center_id,
            Lot.status == LotStatus.OPEN,
        )
        .order_by(Lot.id)
    )
    return [other for other in db.session.scalars(query) if other.output_state == lot.output_state]


def merge_lots(actor: User, target: Lot, other_id: int | None) -> Lot:
    """Move every delivery, the weight and the flags of lot `other_id` into `target`."""
    other = db.session.get(Lot, other_id) if other_id else None
    if (
        other is None
        or other.id == target.id
        or other.commitment_id != target.commitment_id
        or other.collection_center_id != target.collection_center_id
    ):
        _refuse(_l("Elija otro lote abierto del mismo compromiso y centro."), "other_lot_id")
    for lot in sorted((target, other), key=lambda row: row.id):
        _lock(lot, (LotStatus.OPEN.value,))
    if other.output_state != target.output_state:
        _refuse(_l("Los dos lotes deben salir en el mismo estado del producto."), "other_lot_id")
    incoming = list(db.session.scalars(select(Delivery).where(Delivery.lot_id == other.id)))
    check_can_mix(target, incoming)
    weights = (target.weight_kg, other.weight_kg)
    db.session.execute(
        update(Delivery)
        .where(Delivery.lot_id == other.id)
        .values(lot_id=target.id)
        .execution_options(synchronize_session=False)
    )
    grown = db.session.execute(
        update(Lot)
        .where(Lot.id == target.id, Lot.weight_kg == weights[0])
        .values(weight_kg=weights[0] + weights[1])
        .execution_options(synchronize_session=False)
    ).rowcount
    emptied = db.session.execute(
        update(Lot)
        .where(Lot.id == other.id, Lot.weight_kg == weights[1], Lot.status == LotStatus.OPEN)
        .values(weight_kg=0, status=LotStatus.MERGED, merged_into_id=target.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if grown != 1 or emptied != 1:
        _refuse(_l("El lote cambió mientras tanto; vuelva a cargar la página."))
    _move_reviews(other, target)
    db.session.refresh(target)
    db.session.refresh(other)
    db.session.expire(target, ["deliveries", "reviews"])
    _refresh_risk(target)
    moved = sorted(d.id for d in incoming)
    audit.record(
        actor, "lot.merged", target, merged=other.id, deliveries=moved, weight_kg=target.weight_kg
    )
    audit.record(
        actor, "lot.merged_into", other, lot=target.id, deliveries=moved, weight_kg=weights[1]
    )
    db.session.commit()
    return target


def _move_reviews(source: Lot, target: Lot) -> None:
    held = set(
        db.session.execute(
            select(LotReview.farm_id, LotReview.risk_status).where(LotReview.lot_id == target.id)
        ).all()
    )
    for review in db.session.scalars(select(LotReview).where(LotReview.lot_id == source.id)):
        if (review.farm_id, review.risk_status) not in held:
            db.session.add(
                LotReview(
                    lot_id=target.id,
                    farm_id=review.farm_id,
                    risk_status=review.risk_status,
                    assessed_at=review.assessed_at,
                )
            )
    db.session.execute(delete(LotReview).where(LotReview.lot_id == source.id))
