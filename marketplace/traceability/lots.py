"""Lots (lotes): deliveries aggregated at a collection centre for one buyer's commitment.

Mass balance: a lot's output weight is never more than the kg of the deliveries in it
converted to the lot's output state (custody: 1,000 kg of cacao en baba make about 380 kg of
dry beans); the check and the write are one conditional UPDATE. A lot inherits the worst
risk status its deliveries recorded when delivered (their frozen snapshot); with an at-risk
delivery it cannot be closed for a deforestation-free commitment, and a delivery of unknown
origin (its plot unassessed when delivered) never enters such a lot.
Splitting and merging lots: lot_changes.
"""

from __future__ import annotations

import uuid
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.models import CollectionCenter, PurchaseCommitment, User
from marketplace.models.traceability import (
    Delivery,
    Lot,
    LotReview,
    LotStatus,
    ProductState,
    RiskStatus,
)
from marketplace.traceability import custody
from marketplace.traceability.deliveries import takes_commitment

OPEN, CLOSED = LotStatus.OPEN.value, LotStatus.CLOSED.value
RISK_ORDER = [status.value for status in RiskStatus]  # worst first
FREE_STATUSES = (RiskStatus.FREE, RiskStatus.VERIFIED)


def _refuse(message, field: str | None = None) -> NoReturn:
    db.session.rollback()
    raise DomainError(message, field)


def worst_status(statuses) -> str:
    """The worst of these risk statuses (unassessed when there are none)."""
    ranks = [RISK_ORDER.index(s) for s in statuses if s in RISK_ORDER]
    return RISK_ORDER[min(ranks)] if ranks else RiskStatus.UNASSESSED


def is_deforestation_free(statuses) -> bool:
    """Whether every one of these statuses is free or verified (and there is at least one)."""
    statuses = list(statuses)
    return bool(statuses) and all(s in FREE_STATUSES for s in statuses)


def create_lot(
    actor: User,
    center: CollectionCenter,
    commitment_id: int | None,
    output_state: str | None = None,
) -> Lot:
    """Open a new lot at `center` for a commitment delivered there, weighed in
    `output_state` (the value chain's usual state when None)."""
    commitment = db.session.get(PurchaseCommitment, commitment_id) if commitment_id else None
    if commitment is None or not takes_commitment(center, commitment):
        _refuse(_l("Elija un compromiso que se entregue en este centro."), "commitment_id")
    if output_state and output_state not in custody.states_of(commitment.value_chain):
        _refuse(_l("Ese estado del producto no corresponde a este compromiso."), "output_state")
    lot = Lot(
        code=f"tmp-{uuid.uuid4().hex[:24]}",
        commitment_id=commitment.id,
        collection_center_id=center.id,
        weight_kg=0,
        status=OPEN,
        risk_status=RiskStatus.UNASSESSED,
        output_state=output_state or custody.default_state(commitment.value_chain),
        created_by_id=actor.id,
    )
    db.session.add(lot)
    db.session.flush()
    lot.code = f"LOT-{center.country}-{lot.id:06d}"
    audit.record(
        actor,
        "lot.created",
        lot,
        commitment=commitment.id,
        center=center.id,
        output_state=lot.output_state,
    )
    db.session.commit()
    return lot


def lot_kg(lot_id: int) -> int:
    """The kg of the deliveries in a lot (what entered it)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Delivery.kg), 0)).where(Delivery.lot_id == lot_id)
    )
    return int(total)


def capacity_kg(lot: Lot) -> int:
    """The most the lot may weigh: its deliveries converted to its output state, whole kg."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(custody.converted_kg_expression(lot.output_state)), 0)).where(
            Delivery.lot_id == lot.id
        )
    )
    return int(total) // custody.SCALE


def _converted_total(lot: Lot):
    """SQL: the lot's deliveries converted to its output state, in thousandths of a kg."""
    return (
        select(func.coalesce(func.sum(custody.converted_kg_expression(lot.output_state)), 0))
        .where(Delivery.lot_id == lot.id)
        .scalar_subquery()
    )


def addable_deliveries(lot: Lot, limit: int = 200) -> list[Delivery]:
    """Deliveries that may join the lot: same commitment and centre, in no lot yet."""
    query = (
        select(Delivery)
        .where(
            Delivery.commitment_id == lot.commitment_id,
            Delivery.collection_center_id == lot.collection_center_id,
            Delivery.lot_id.is_(None),
        )
        .order_by(Delivery.delivered_on, Delivery.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _refresh_risk(lot: Lot) -> None:
    statuses = db.session.scalars(select(Delivery.risk_status).where(Delivery.lot_id == lot.id))
    lot.risk_status = worst_status(statuses)


def drop_stale_reviews(lot: Lot) -> None:
    """Remove the lot's review flags on plots that no longer deliver into it (taking the
    flagged delivery out is how a centre answers a flag)."""
    present = select(Delivery.farm_id).where(Delivery.lot_id == lot.id)
    db.session.execute(
        delete(LotReview)
        .where(LotReview.lot_id == lot.id, LotReview.farm_id.not_in(present))
        .execution_options(synchronize_session=False)
    )
    db.session.expire(lot, ["reviews"])


def _check_open(lot: Lot) -> None:
    if lot.status != OPEN:
        _refuse(_l("El lote ya está cerrado."))


def _lock_open(lot: Lot) -> None:
    """Take the lot's row lock (a no-op UPDATE only while open) and reload it."""
    result = db.session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.status == OPEN)
        .values(status=Lot.status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(_l("El lote ya está cerrado."))
    db.session.refresh(lot)


def add_deliveries(actor: User, lot: Lot, delivery_ids: list[int]) -> int:
    """Put these deliveries in the open lot; return how many joined."""
    _check_open(lot)
    if not delivery_ids:
        _refuse(_l("Marque al menos una entrega."), "delivery_ids")
    _lock_open(lot)
    _check_can_join(lot, delivery_ids)
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id.in_(delivery_ids),
            Delivery.lot_id.is_(None),
            Delivery.commitment_id == lot.commitment_id,
            Delivery.collection_center_id == lot.collection_center_id,
        )
        .values(lot_id=lot.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(set(delivery_ids)):
        _refuse(
            _l(
                "Alguna entrega ya está en otro lote o no es de este compromiso y centro; "
                "vuelva a cargar la página."
            ),
            "delivery_ids",
        )
    db.session.expire(lot, ["deliveries"])
    _refresh_risk(lot)
    audit.record(
        actor,
        "lot.deliveries_added",
        lot,
        deliveries=sorted(set(delivery_ids)),
        risk=lot.risk_status,
    )
    db.session.commit()
    return result.rowcount


def unknown_origin(delivery: Delivery) -> bool:
    """A delivery whose plot was not assessed when it arrived: its origin is not known to be
    deforestation-free (no plot, or no forest layer reaching it)."""
    return delivery.farm_id is None or delivery.risk_status == RiskStatus.UNASSESSED


def check_can_mix(lot: Lot, deliveries: list[Delivery]) -> None:
    """Refuse deliveries that may not join `lot`: of unknown origin into a lot for a
    deforestation-free commitment, or in a state that cannot become the lot's output."""
    commitment = db.session.get(PurchaseCommitment, lot.commitment_id)
    table = custody.factors()
    for delivery in deliveries:
        if commitment.deforestation_free and unknown_origin(delivery):
            _refuse(
                _l(
                    "La entrega %(code)s no tiene origen conocido (su parcela estaba sin "
                    "evaluar al entregar) y este lote es para un compromiso libre de "
                    "deforestación: no se puede mezclar.",
                    code=delivery.code,
                ),
                "delivery_ids",
            )
        if custody.factor(delivery.product_state, lot.output_state, table) == 0:
            _refuse(
                _l(
                    "La entrega %(code)s ya está más procesada que la salida del lote "
                    "(%(state)s): no se puede convertir hacia atrás.",
                    code=delivery.code,
                    state=ProductState(lot.output_state).label,
                ),
                "delivery_ids",
            )


def _check_can_join(lot: Lot, delivery_ids: list[int]) -> None:
    # deliveries of another lot, commitment or centre fail the UPDATE's own guard below
    rows = db.session.scalars(
        select(Delivery).where(
            Delivery.id.in_(delivery_ids),
            Delivery.lot_id.is_(None),
            Delivery.commitment_id == lot.commitment_id,
            Delivery.collection_center_id == lot.collection_center_id,
        )
    )
    check_can_mix(lot, list(rows))


def remove_delivery(actor: User, lot: Lot, delivery_id: int) -> None:
    """Take a delivery out of the open lot, unless its weight would break mass balance."""
    _lock_open(lot)
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.lot_id == lot.id)
        .values(lot_id=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(_l("Esa entrega no está en este lote."))
    remaining = capacity_kg(lot)
    if lot.weight_kg > remaining:
        _refuse(
            _l(
                "Sin esa entrega el lote tendría %(kg)s kg, menos que su peso registrado "
                "(%(weight)s kg): corrija primero el peso.",
                kg=number(remaining, 0),
                weight=number(lot.weight_kg, 0),
            )
        )
    db.session.expire(lot, ["deliveries"])
    _refresh_risk(lot)
    drop_stale_reviews(lot)
    audit.record(actor, "lot.delivery_removed", lot, delivery=delivery_id, risk=lot.risk_status)
    db.session.commit()


def set_weight(actor: User, lot: Lot, weight_kg: int | None) -> Lot:
    """Set the lot's output weight; never more than what entered it (mass balance)."""
    _check_open(lot)
    if weight_kg is None or weight_kg <= 0:
        _refuse(_l("Escriba el peso como un número entero mayor que 0."), "weight_kg")
    # lock first, then check in a statement of its own: on PostgreSQL a waiting UPDATE
    # rechecks only its own row, and its subquery would still count deliveries that a
    # concurrent split or removal has moved out
    _lock_open(lot)
    result = db.session.execute(
        update(Lot)
        .where(
            Lot.id == lot.id,
            Lot.status == OPEN,
            _converted_total(lot) >= weight_kg * custody.SCALE,
        )
        .values(weight_kg=weight_kg)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(
            _l(
                "El peso del lote no puede superar lo que entró en él: sus entregas suman "
                "%(kg)s kg, que convertidos a %(state)s dan como máximo %(most)s kg "
                "(balance de masa).",
                kg=number(lot_kg(lot.id), 0),
                state=_state_label(lot.output_state),
                most=number(capacity_kg(lot), 0),
            ),
            "weight_kg",
        )
    audit.record(actor, "lot.weight_set", lot, weight_kg=weight_kg)
    db.session.commit()
    db.session.refresh(lot)
    return lot


def close_lot(actor: User, lot: Lot) -> Lot:
    """Close the lot for sale; refused without a weight, or at risk for a deforestation-free
    commitment."""
    _check_open(lot)
    _refresh_risk(lot)
    commitment = db.session.get(PurchaseCommitment, lot.commitment_id)
    if lot.weight_kg <= 0:
        _refuse(_l("Registre el peso del lote antes de cerrarlo."), "weight_kg")
    if commitment.deforestation_free and lot.risk_status == RiskStatus.AT_RISK:
        _refuse(
            _l(
                "El lote no puede venderse como libre de deforestación: tiene entregas de "
                "parcelas con deforestación posterior al corte. Saque esas entregas del lote "
                "antes de cerrarlo."
            )
        )
    result = db.session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.status == OPEN)
        .values(status=CLOSED, risk_status=lot.risk_status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(_l("El lote cambió mientras tanto; vuelva a cargar la página."))
    audit.record(
        actor,
        "lot.closed",
        lot,
        weight_kg=lot.weight_kg,
        risk=lot.risk_status,
        deforestation_free=is_deforestation_free(
            db.session.scalars(select(Delivery.risk_status).where(Delivery.lot_id == lot.id))
        ),
    )
    db.session.commit()
    db.session.refresh(lot)
    return lot


def _state_label(state: str | None) -> str:
    return ProductState(state).label if state in ProductState.codes() else "—"


def center_lots(center: CollectionCenter, limit: int = 50) -> list[Lot]:
    """The centre's lots, open first, newest first."""
    query = (
        select(Lot)
        .where(Lot.collection_center_id == center.id)
        .order_by(Lot.status.desc(), Lot.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
