"""Deliveries (entregas) at a collection centre (centro de acopio) against pledges, with the
check-off: a share of the delivery's value repays the producer's loan on the spot.

Two guards make it safe under concurrent requests, on PostgreSQL and SQLite alike:
- the pledge row is "touched" by a conditional UPDATE (still active) before its delivered
  total is summed, so concurrent deliveries on one pledge queue and each sees the others;
- the loan row is touched the same way (still disbursed) before what is owed is summed.

Value: a fixed-price commitment pays kg x its price per kg. A premium commitment only names
its reference price in words (e.g. "bolsa de Nueva York"), so Minka cannot compute the full
price: the delivery's value is the premium only (kg x premium per kg) and the check-off is
taken from that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from marketplace import audit
from marketplace.credit.checkoff import apply_checkoff
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.forest import risk
from marketplace.i18n import number
from marketplace.links import path_for
from marketplace.models import (
    CollectionCenter,
    Farm,
    Pledge,
    PledgeStatus,
    PriceType,
    Producer,
    ProductState,
    PurchaseCommitment,
    User,
)
from marketplace.models.base import local_today
from marketplace.models.traceability import Delivery
from marketplace.notifications.messages import money_param
from marketplace.notifications.services import notify_producer
from marketplace.producers.services import producer_matches
from marketplace.traceability import custody

MAX_KG = 1_000_000
OLDEST_DAYS = 180  # a delivery noted on paper may be typed in later, but not a season later
# the harvest period: by default the 90 days up to the delivery (a campaign's picking,
# fermenting and drying); never after the delivery, never more than ~18 months before it
HARVEST_DEFAULT_DAYS = 90
HARVEST_OLDEST_DAYS = 548


@dataclass
class DeliveryData:
    """What staff type at the centre."""

    pledge_id: int | None
    kg: int | None
    delivered_on: date | None
    humidity_pct: float | None = None
    fermentation_pct: float | None = None
    quality_note: str = ""
    harvest_start: date | None = None  # None: the default window before the delivery
    harvest_end: date | None = None
    product_state: str | None = None  # None: the value chain's usual state


def default_harvest(delivered_on: date) -> tuple[date, date]:
    """The harvest window assumed when staff do not type one: the 90 days up to delivery."""
    return delivered_on - timedelta(days=HARVEST_DEFAULT_DAYS), delivered_on


def _harvest_problems(data: DeliveryData) -> dict[str, str]:
    start, end = data.harvest_start, data.harvest_end
    if data.delivered_on is None:
        return {}
    problems: dict[str, str] = {}
    earliest = data.delivered_on - timedelta(days=HARVEST_OLDEST_DAYS)
    for name, day in (("harvest_start", start), ("harvest_end", end)):
        if day is None:
            continue
        if day > data.delivered_on:
            problems[name] = _l("La cosecha no puede ser posterior a la fecha de entrega.")
        elif day < earliest:
            problems[name] = _l(
                "La cosecha no puede ser de más de 18 meses antes de la entrega; revise el año."
            )
    if start and end and start > end and not problems:
        problems["harvest_end"] = _l("El fin de la cosecha no puede ser antes de su inicio.")
    return problems


def _refuse(message, field: str | None = None) -> NoReturn:
    db.session.rollback()
    raise DomainError(message, field)


def serves(center: CollectionCenter, commitment: PurchaseCommitment) -> bool:
    """Whether `commitment` is delivered at `center` (one without a centre: any in its country)."""
    if commitment.collection_center_id is None:
        return commitment.country == center.country
    return commitment.collection_center_id == center.id


def accepts(center: CollectionCenter, commitment: PurchaseCommitment, producer: Producer) -> bool:
    """Whether `center` takes a delivery of `producer` for `commitment`: at the commitment's
    own centre (see serves), or at any centre of the cooperative the producer belongs to in
    the commitment's country: a member brings the harvest to her cooperative's centre, which
    then sends the commitment's lots on (lots stay per commitment and centre)."""
    if serves(center, commitment):
        return True
    return (
        producer.cooperative_id is not None
        and producer.cooperative_id == center.organization_id
        and commitment.country == center.country
    )


def takes_commitment(center: CollectionCenter, commitment: PurchaseCommitment) -> bool:
    """Whether lots of `commitment` may be built at `center`: it serves the commitment, or a
    member of the centre's cooperative pledged to it, or deliveries of it were made there."""
    if serves(center, commitment):
        return True
    if commitment.country != center.country:
        return False
    member = (
        select(Pledge.id)
        .join(Producer, Producer.id == Pledge.producer_id)
        .where(
            Pledge.commitment_id == commitment.id,
            Pledge.status == PledgeStatus.ACTIVE,
            Producer.cooperative_id == center.organization_id,
        )
        .limit(1)
    )
    delivered = (
        select(Delivery.id)
        .where(
            Delivery.commitment_id == commitment.id,
            Delivery.collection_center_id == center.id,
        )
        .limit(1)
    )
    return db.session.scalar(member) is not None or db.session.scalar(delivered) is not None


PLEDGES_SHOWN = 100  # choices in the delivery form (a phone's select); beyond, a search


def _kilos_left():
    delivered = (
        select(func.coalesce(func.sum(Delivery.kg), 0))
        .where(Delivery.pledge_id == Pledge.id)
        .scalar_subquery()
    )
    return Pledge.kg > delivered


def _deliverable(center: CollectionCenter):
    """Active pledges that may be delivered at `center` (see accepts): to commitments
    delivered there, and those of the members of the centre's cooperative."""
    return (
        select(Pledge)
        .join(PurchaseCommitment, PurchaseCommitment.id == Pledge.commitment_id)
        .join(Producer, Producer.id == Pledge.producer_id)
        .where(Pledge.status == PledgeStatus.ACTIVE)
        .where(
            (PurchaseCommitment.collection_center_id == center.id)
            | (
                PurchaseCommitment.collection_center_id.is_(None)
                & (PurchaseCommitment.country == center.country)
            )
            | (
                (Producer.cooperative_id == center.organization_id)
                & (PurchaseCommitment.country == center.country)
            )
        )
    )


@dataclass
class OpenPledges:
    """The pledges the delivery form offers (at most PLEDGES_SHOWN) and how many match."""

    shown: list[Pledge]
    total: int


def open_pledges(center: CollectionCenter, search: str = "") -> OpenPledges:
    """Pledges that may be delivered at `center`, for the delivery form, optionally of the
    producers whose name or document matches `search`; with what the form's labels name
    (the producer, the farm, the commitment's product), and how many match in all, counted
    by the same statement. Only those with kilos left."""
    query = _deliverable(center).where(_kilos_left())
    if search.strip():
        query = query.where(producer_matches(search))
    rows = db.session.execute(
        query.add_columns(func.count().over().label("matching"))
        .order_by(PurchaseCommitment.product, Pledge.id)
        .limit(PLEDGES_SHOWN)
        .options(
            contains_eager(Pledge.commitment).load_only(PurchaseCommitment.product),
            contains_eager(Pledge.producer).load_only(Producer.first_name, Producer.last_name),
            selectinload(Pledge.farm).load_only(Farm.name),  # not its outline
        )
    ).all()
    return OpenPledges([row.Pledge for row in rows], rows[0].matching if rows else 0)


def lot_commitments(center: CollectionCenter) -> list[PurchaseCommitment]:
    """The commitments with active pledges delivered at `center`, even those whose kilos
    all came in already: those a lot is opened for."""
    ids = _deliverable(center).with_only_columns(Pledge.commitment_id).distinct()
    return list(
        db.session.scalars(
            select(PurchaseCommitment)
            .where(PurchaseCommitment.id.in_(ids))
            .options(joinedload(PurchaseCommitment.organization))
            .order_by(PurchaseCommitment.product, PurchaseCommitment.id)
        )
    )


def delivered_kg(pledge_id: int) -> int:
    """What has been delivered against a pledge so far."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(Delivery.kg), 0)).where(Delivery.pledge_id == pledge_id)
    )
    return int(total)


def delivered_by_pledge(pledge_ids: list[int]) -> dict[int, int]:
    """pledge id -> kg delivered so far, in one query."""
    if not pledge_ids:
        return {}
    rows = db.session.execute(
        select(Delivery.pledge_id, func.sum(Delivery.kg))
        .where(Delivery.pledge_id.in_(pledge_ids))
        .group_by(Delivery.pledge_id)
    )
    return {pledge_id: int(kg) for pledge_id, kg in rows}


def _problems(data: DeliveryData, today: date) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.pledge_id is None:
        problems["pledge_id"] = _l("Elija el compromiso de venta del productor.")
    if data.kg is None or not 0 < data.kg <= MAX_KG:
        problems["kg"] = _l("Escriba los kilos como un número entero mayor que 0.")
    if data.delivered_on is None:
        problems["delivered_on"] = _l("Este dato es obligatorio.")
    elif data.delivered_on > today:
        problems["delivered_on"] = _l("La fecha no puede ser futura.")
    elif data.delivered_on < today - timedelta(days=OLDEST_DAYS):
        problems["delivered_on"] = _l(
            "La fecha tiene más de %(days)s días; revise el año.", days=OLDEST_DAYS
        )
    for name, value in (
        ("humidity_pct", data.humidity_pct),
        ("fermentation_pct", data.fermentation_pct),
    ):
        if value is not None and not 0 <= value <= 100:
            problems[name] = _l("Un porcentaje entre 0 y 100.")
    if len(data.quality_note or "") > 500:
        problems["quality_note"] = _l("Como máximo 500 caracteres.")
    if data.product_state and data.product_state not in ProductState.codes():
        problems["product_state"] = _l("Elija el estado del producto de la lista.")
    problems.update(_harvest_problems(data))
    return problems


def _lock_active_pledge(pledge_id: int) -> Pledge:
    """Take the pledge's row lock (a no-op UPDATE only if still active) and return it."""
    result = db.session.execute(
        update(Pledge)
        .where(Pledge.id == pledge_id, Pledge.status == PledgeStatus.ACTIVE)
        .values(status=Pledge.status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(_l("Ese compromiso de venta ya no está activo."), "pledge_id")
    return db.session.get(Pledge, pledge_id, populate_existing=True)


def delivery_value(commitment: PurchaseCommitment, kg: int) -> int:
    """The buyer's payment for `kg` in minor units (premium commitments: the premium only)."""
    if commitment.price_type == PriceType.FIXED:
        return kg * (commitment.price_minor_per_kg or 0)
    return kg * (commitment.premium_minor_per_kg or 0)


def new_delivery(
    pledge: Pledge,
    commitment: PurchaseCommitment,
    farm: Farm,
    center: CollectionCenter,
    data: DeliveryData,
    recorder: User,
) -> Delivery:
    """Add a delivery with its value, its harvest period, the farm's risk now frozen as its
    snapshot (status, layers, assessment date) and its code (ENT-PE-000123); no checks and
    no check-off (record_delivery does both; the demo world uses this too)."""
    default_start, default_end = default_harvest(data.delivered_on)
    delivery = Delivery(
        code=f"tmp-{uuid.uuid4().hex[:24]}",
        pledge_id=pledge.id,
        commitment_id=commitment.id,
        producer_id=pledge.producer_id,
        farm_id=farm.id,
        collection_center_id=center.id,
        kg=data.kg,
        delivered_on=data.delivered_on,
        humidity_pct=data.humidity_pct,
        fermentation_pct=data.fermentation_pct,
        quality_note=(data.quality_note or "").strip(),
        value_minor=delivery_value(commitment, data.kg),
        deduction_minor=0,
        currency=commitment.currency,
        harvest_start=data.harvest_start or min(default_start, data.harvest_end or default_end),
        harvest_end=data.harvest_end or default_end,
        product_state=data.product_state or custody.default_state(commitment.value_chain),
        risk_status=farm.risk_status,
        risk_assessed_at=farm.risk_assessed_at,
        risk_layers=risk.layers_reaching(farm),
        recorded_by_id=recorder.id,
    )
    db.session.add(delivery)
    db.session.flush()
    delivery.code = f"ENT-{center.country}-{delivery.id:06d}"
    return delivery


def record_delivery(
    actor: User, center: CollectionCenter, data: DeliveryData, today: date | None = None
) -> Delivery:
    """Record a delivery at `center` against an active pledge, with its check-off, atomically."""
    today = today or local_today()
    problems = _problems(data, today)
    if problems:
        raise InvalidInput(problems)
    pledge = _lock_active_pledge(data.pledge_id)
    commitment = db.session.get(PurchaseCommitment, pledge.commitment_id)
    if not accepts(center, commitment, db.session.get(Producer, pledge.producer_id)):
        _refuse(_l("Ese compromiso no se entrega en este centro de acopio."), "pledge_id")
    states = custody.states_of(commitment.value_chain)
    if data.product_state and data.product_state not in states:
        _refuse(_l("Ese estado del producto no corresponde a este compromiso."), "product_state")
    already = delivered_kg(pledge.id)  # after the lock: concurrent deliveries are counted
    if already + data.kg > pledge.kg:
        _refuse(
            _l(
                "La entrega supera lo comprometido: el compromiso es de %(pledged)s kg, ya se "
                "entregaron %(done)s kg y quedan %(left)s kg.",
                pledged=number(pledge.kg, 0),
                done=number(already, 0),
                left=number(max(pledge.kg - already, 0), 0),
            ),
            "kg",
        )
    farm = db.session.get(Farm, pledge.farm_id)
    delivery = new_delivery(pledge, commitment, farm, center, data, actor)
    apply_checkoff(actor, delivery)
    audit.record(
        actor,
        "delivery.recorded",
        delivery,
        pledge=pledge.id,
        kg=delivery.kg,
        value_minor=delivery.value_minor,
        deduction_minor=delivery.deduction_minor,
        risk_status=delivery.risk_status,
        risk_layers=[layer["id"] for layer in delivery.risk_layers or []],
        harvest=[delivery.harvest_start.isoformat(), delivery.harvest_end.isoformat()],
        product_state=delivery.product_state,
    )
    _notify_producer(pledge.producer_id, delivery)
    db.session.commit()
    return delivery


def _notify_producer(producer_id: int, delivery: Delivery) -> None:
    producer = db.session.get(Producer, producer_id)
    if producer is None:
        return
    notify_producer(
        producer,
        "delivery.checkoff_producer" if delivery.deduction_minor else "delivery.recorded",
        link=path_for("traceability.my_deliveries"),
        code=delivery.code,
        kg=delivery.kg,
        deducted=money_param(delivery.deduction_minor, delivery.currency),
    )


def center_deliveries(center: CollectionCenter, limit: int = 50) -> list[Delivery]:
    """The centre's latest deliveries, newest first."""
    query = (
        select(Delivery)
        .where(Delivery.collection_center_id == center.id)
        .order_by(Delivery.delivered_on.desc(), Delivery.id.desc())
        .limit(limit)
        .options(selectinload(Delivery.lot))
    )
    return list(db.session.scalars(query))


def producer_deliveries(producer: Producer, page: int = 1):
    """A page of a producer's deliveries, newest first."""
    query = (
        select(Delivery)
        .where(Delivery.producer_id == producer.id)
        .order_by(Delivery.delivered_on.desc(), Delivery.id.desc())
    )
    return db.paginate(query, page=page, per_page=25, error_out=False)
