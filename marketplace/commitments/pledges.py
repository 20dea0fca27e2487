"""Producers' pledges (compromisos de venta): pledging volume from a farm, withdrawing it.

``pledged_kg`` on the commitment always equals the sum of its active pledges: it changes only
through conditional UPDATEs inside the transaction that writes the pledge, so the sum never
exceeds the volume, also under concurrent pledges on PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update

from marketplace import audit
from marketplace.commitments import queries
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.links import path_for
from marketplace.models import (
    Clearing,
    CommitmentStatus,
    Farm,
    Pledge,
    PledgeStatus,
    Producer,
    PurchaseCommitment,
    User,
)
from marketplace.models.base import local_today, utcnow
from marketplace.notifications.services import notify_organization
from marketplace.producers.permissions import can_view

PC = PurchaseCommitment
OPEN, CLOSED, FULFILLED = CommitmentStatus.OPEN, CommitmentStatus.CLOSED, CommitmentStatus.FULFILLED
MAX_PLEDGE_KG = 10_000_000


def _refuse(message, field: str | None = None) -> NoReturn:
    db.session.rollback()
    raise DomainError(message, field)


def _no_volume_left(commitment: PurchaseCommitment) -> NoReturn:
    """The "remaining volume" refusal: nothing, or less than asked, is left to pledge."""
    if commitment.status == FULFILLED or commitment.remaining_kg == 0:
        _refuse(_l("Este compromiso ya se completó: no queda volumen por comprometer."), "kg")
    _refuse(
        _l(
            "Solo quedan %(kg)s kg por comprometer en este compromiso.",
            kg=number(commitment.remaining_kg, 0),
        ),
        "kg",
    )


def _check_commitment(commitment: PurchaseCommitment | None, today: date) -> PurchaseCommitment:
    if commitment is None:
        _refuse(_l("No encontramos ese compromiso."))
    if commitment.status == CLOSED:
        _refuse(_l("El comprador cerró este compromiso: ya no recibe más volumen."))
    if commitment.status == FULFILLED:
        _no_volume_left(commitment)
    if commitment.delivery_end < today:
        _refuse(_l("El plazo de entrega de este compromiso ya terminó."))
    if commitment.organization.suspended:
        _refuse(_l("Este comprador está suspendido y no recibe compromisos por ahora."))
    return commitment


def _check_farm(farm: Farm | None, producer: Producer, commitment: PurchaseCommitment) -> Farm:
    if farm is None or farm.producer_id != producer.id:
        _refuse(_l("Elija una de sus fincas."), "farm_id")
    places = {(region.country, region.region) for region in commitment.regions}
    if farm.value_chain != commitment.value_chain or (farm.country, farm.region) not in places:
        _refuse(
            _l("Esta finca no produce lo que pide el compromiso o no está en sus regiones."),
            "farm_id",
        )
    if commitment.deforestation_free and farm.cleared_after_cutoff == Clearing.YES:
        _refuse(
            _l(
                "En la finca se taló bosque después de la fecha de corte: no puede comprometer "
                "volumen libre de deforestación."
            ),
            "farm_id",
        )
    return farm


def _check_volume(
    farm: Farm, producer: Producer, commitment: PurchaseCommitment, kg: int, today: date
) -> None:
    mine = queries.producer_pledged_kg(producer.id, commitment.id)
    if mine + kg < commitment.min_kg_per_producer:
        _refuse(
            _l(
                "El mínimo por productor es %(min)s kg (ya comprometió %(mine)s kg).",
                min=number(commitment.min_kg_per_producer, 0),
                mine=number(mine, 0),
            ),
            "kg",
        )
    _check_maximum(commitment, mine + kg, mine)
    expected = queries.expected_kg(farm)
    if expected is None:
        _refuse(
            _l(
                "Registre el rendimiento (kg/ha) de la finca en sus datos para calcular cuánto "
                "puede comprometer."
            ),
            "farm_id",
        )
    free = expected - queries.committed_kg([farm.id], today).get(farm.id, 0)
    if kg > free:
        _refuse(
            _l(
                "La finca puede comprometer hasta %(free)s kg más: produce unos %(expected)s kg "
                "y el resto ya está comprometido.",
                free=number(max(free, 0), 0),
                expected=number(expected, 0),
            ),
            "kg",
        )


def _check_maximum(commitment: PurchaseCommitment, total: int, mine: int) -> None:
    if total > commitment.max_kg_per_producer:
        _refuse(
            _l(
                "El máximo por productor es %(max)s kg (ya comprometió %(mine)s kg).",
                max=number(commitment.max_kg_per_producer, 0),
                mine=number(mine, 0),
            ),
            "kg",
        )


def pledge_volume(
    actor: User,
    producer: Producer,
    commitment_id: int,
    farm_id: int,
    kg: int,
    today: date | None = None,
) -> Pledge:
    """Pledge `kg` from one of the producer's farms to an open commitment, atomically."""
    today = today or local_today()
    if not can_view(actor, producer):
        _refuse(_l("No encontramos a ese productor."))
    if not isinstance(kg, int) or not 0 < kg <= MAX_PLEDGE_KG:
        _refuse(_l("Escriba los kilos como un número entero mayor que 0."), "kg")
    # Lock the farm row first: its expected production is shared by every commitment.
    farm = db.session.scalar(
        select(Farm)
        .where(Farm.id == farm_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    commitment = _check_commitment(db.session.get(PC, commitment_id), today)
    farm = _check_farm(farm, producer, commitment)
    _check_volume(farm, producer, commitment, kg, today)
    # One conditional UPDATE: never beyond the volume. On PostgreSQL it also locks the row,
    # so concurrent pledges to this commitment queue here until this transaction ends.
    result = db.session.execute(
        update(PC)
        .where(PC.id == commitment.id, PC.status == OPEN, PC.pledged_kg + kg <= PC.volume_kg)
        .values(
            pledged_kg=PC.pledged_kg + kg,
            status=case((PC.pledged_kg + kg >= PC.volume_kg, FULFILLED), else_=OPEN),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()  # and reload: another pledge or the buyer got there first
        _no_volume_left(_check_commitment(db.session.get(PC, commitment_id), today))
    pledge = Pledge(
        commitment_id=commitment.id,
        farm_id=farm.id,
        producer_id=producer.id,
        pledged_by_id=actor.id,
        kg=kg,
        status=PledgeStatus.ACTIVE,
        pending_verification=(
            commitment.deforestation_free and farm.cleared_after_cutoff == Clearing.UNKNOWN
        ),
    )
    db.session.add(pledge)
    db.session.flush()
    # Re-read after the row lock: concurrent pledges of the same producer are visible now.
    total = queries.producer_pledged_kg(producer.id, commitment.id)
    _check_maximum(commitment, total, total - kg)
    audit.record(
        actor,
        "pledge.created",
        pledge,
        commitment=commitment.id,
        farm=farm.id,
        producer=producer.id,
        kg=kg,
        pending_verification=pledge.pending_verification,
        on_behalf=actor.id != producer.user_id,
    )
    notify_organization(
        commitment.organization_id,
        "pledge.created",
        link=path_for("commitments.buyer_detail", commitment_id=commitment.id),
        kg=kg,
        product=commitment.product,
    )
    db.session.commit()
    db.session.refresh(commitment)
    return pledge


def withdraw_pledge(actor: User, pledge_id: int, today: date | None = None) -> Pledge:
    """Withdraw an active pledge before the delivery window opens; the volume is freed."""
    today = today or local_today()
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or not can_view(actor, pledge.producer):
        _refuse(_l("No encontramos ese compromiso de venta."))
    commitment = pledge.commitment
    if pledge.status != PledgeStatus.ACTIVE:
        _refuse(_l("Este compromiso de venta ya fue retirado."))
    if commitment.delivery_start <= today:
        _refuse(_l("La entrega ya empezó: este compromiso de venta ya no se puede retirar."))
    result = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge.id, Pledge.status == PledgeStatus.ACTIVE)
        .values(status=PledgeStatus.WITHDRAWN, withdrawn_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(_l("Este compromiso de venta ya fue retirado."))
    db.session.execute(
        update(PC)
        .where(PC.id == commitment.id)
        .values(
            pledged_kg=PC.pledged_kg - pledge.kg,
            status=case((PC.status == FULFILLED, OPEN), else_=PC.status),
        )
        .execution_options(synchronize_session=False)
    )
    audit.record(
        actor,
        "pledge.withdrawn",
        pledge,
        commitment=commitment.id,
        producer=pledge.producer_id,
        kg=pledge.kg,
        on_behalf=actor.id != pledge.producer.user_id,
    )
    notify_organization(
        commitment.organization_id,
        "pledge.withdrawn",
        link=path_for("commitments.buyer_detail", commitment_id=commitment.id),
        kg=pledge.kg,
        product=commitment.product,
    )
    db.session.commit()
    db.session.refresh(pledge)
    db.session.refresh(commitment)
    return pledge
