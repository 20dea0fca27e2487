"""Purchase commitments (compromisos de compra): the buyers' business actions, each atomic
and audit-logged; and the one place other features import this feature's services from.

A buyer's commitment promises to buy a volume; producers pledge volume from a farm to it
(their *compromiso de venta*, in ``commitments.pledges``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update

from marketplace import audit, gazetteer
from marketplace.commitments.offers import open_commitments_for, producer_pledge_summary
from marketplace.commitments.permissions import can_manage, is_buyer_member
from marketplace.commitments.pledges import pledge_volume, withdraw_pledge
from marketplace.commitments.queries import (
    CommitmentFilters,
    buyer_summary,
    search_commitments,
)
from marketplace.commitments.validation import commitment_problems, frozen_terms_problems
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.links import path_for
from marketplace.models import (
    CommitmentRegion,
    CommitmentStatus,
    Farm,
    Organization,
    Pledge,
    PledgeStatus,
    Producer,
    PurchaseCommitment,
    User,
)
from marketplace.models.base import local_today, utcnow
from marketplace.notifications.services import notify_producer, notify_user

__all__ = [
    "CommitmentData",
    "CommitmentFilters",
    "buyer_summary",
    "close_commitment",
    "create_commitment",
    "open_commitments_for",
    "pledge_volume",
    "producer_pledge_summary",
    "search_commitments",
    "update_commitment",
    "withdraw_pledge",
]

PC = PurchaseCommitment
OPEN, CLOSED, FULFILLED = CommitmentStatus.OPEN, CommitmentStatus.CLOSED, CommitmentStatus.FULFILLED

NOT_PUBLISHABLE = _l(
    "Su organización todavía no está verificada o está suspendida: no puede publicar "
    "compromisos de compra. Un administrador de Minka debe verificarla primero."
)


@dataclass
class CommitmentData:
    """A commitment's terms as the buyer's form collects them (money in minor units)."""

    product: str
    value_chain: str
    country: str
    volume_kg: int
    min_kg_per_producer: int
    max_kg_per_producer: int
    price_type: str
    currency: str
    delivery_start: date
    delivery_end: date
    price_minor_per_kg: int | None = None
    premium_minor_per_kg: int | None = None
    reference_price: str = ""
    max_humidity_pct: float | None = None
    min_fermentation_pct: float | None = None
    quality_notes: str = ""
    deforestation_free: bool = True
    cutoff_date: date | None = date(2020, 12, 31)
    collection_center_id: int | None = None
    regions: list[str] = field(default_factory=list)


def _buyer_org(actor: User) -> Organization:
    if not is_buyer_member(actor):
        raise DomainError(_l("Solo los compradores de una organización publican compromisos."))
    return actor.organization


def _values(data: CommitmentData) -> dict:
    """The columns a commitment's terms set, normalised (the unused price kind cleared)."""
    fixed = data.price_type == "fixed"
    return {
        "product": data.product.strip(),
        "value_chain": data.value_chain,
        "country": data.country,
        "volume_kg": data.volume_kg,
        "min_kg_per_producer": data.min_kg_per_producer,
        "max_kg_per_producer": data.max_kg_per_producer,
        "price_type": data.price_type,
        "price_minor_per_kg": data.price_minor_per_kg if fixed else None,
        "premium_minor_per_kg": None if fixed else data.premium_minor_per_kg,
        "reference_price": "" if fixed else data.reference_price.strip(),
        "currency": data.currency,
        "max_humidity_pct": data.max_humidity_pct,
        "min_fermentation_pct": data.min_fermentation_pct,
        "quality_notes": data.quality_notes.strip(),
        "deforestation_free": data.deforestation_free,
        "cutoff_date": data.cutoff_date if data.deforestation_free else None,
        "delivery_start": data.delivery_start,
        "delivery_end": data.delivery_end,
        "collection_center_id": data.collection_center_id,
    }


def _regions(data: CommitmentData) -> list[str]:
    known = set(gazetteer.regions(data.country)) if data.country in gazetteer.COUNTRIES else set()
    return sorted({region for region in data.regions if region in known})


def create_commitment(
    actor: User, data: CommitmentData, today: date | None = None
) -> PurchaseCommitment:
    """Publish a buyer organization's commitment (only when the organization may publish)."""
    org = _buyer_org(actor)
    if not org.can_publish:
        raise DomainError(NOT_PUBLISHABLE)
    problems = commitment_problems(data, today or local_today())
    if problems:
        raise InvalidInput(problems)
    commitment = PC(
        organization_id=org.id, created_by_id=actor.id, pledged_kg=0, status=OPEN, **_values(data)
    )
    commitment.regions = [
        CommitmentRegion(country=data.country, region=region) for region in _regions(data)
    ]
    db.session.add(commitment)
    db.session.flush()
    audit.record(
        actor,
        "commitment.created",
        commitment,
        product=commitment.product,
        volume_kg=commitment.volume_kg,
    )
    _tell_producers_nearby(commitment, org)
    db.session.commit()
    return commitment


def _tell_producers_nearby(commitment: PurchaseCommitment, buyer: Organization) -> None:
    """Tell the producers with a farm of the commitment's value chain in one of its regions
    that a buyer is buying near them (once each, naming the region of her first such farm)."""
    regions = [region.region for region in commitment.regions]
    if not regions:
        return
    rows = db.session.execute(
        select(Producer, Farm.region)
        .join(Farm, Farm.producer_id == Producer.id)
        .where(
            Farm.country == commitment.country,
            Farm.region.in_(regions),
            Farm.value_chain == commitment.value_chain,
            Producer.erased_at.is_(None),
        )
        .order_by(Producer.id, Farm.id)
    ).all()
    told: set[int] = set()
    for producer, region in rows:
        if producer.id in told:
            continue
        told.add(producer.id)
        notify_producer(
            producer,
            "commitment.nearby",
            link=path_for("commitments.offer", commitment_id=commitment.id),
            buyer=buyer.name,
            product=commitment.product,
            region=region,
            date=commitment.delivery_end.isoformat(),
        )


def update_commitment(
    actor: User, commitment: PurchaseCommitment, data: CommitmentData, today: date | None = None
) -> PurchaseCommitment:
    """Change an open commitment; the volume never drops below what is already pledged."""
    if not can_manage(actor, commitment):
        raise DomainError(_l("No encontramos ese compromiso."))
    if not commitment.organization.can_publish:
        raise DomainError(NOT_PUBLISHABLE)
    if commitment.status != OPEN:
        raise DomainError(_l("Solo se pueden modificar compromisos abiertos."))
    problems = commitment_problems(data, today or local_today())
    problems = frozen_terms_problems(commitment, data, _regions(data)) | problems
    if problems:
        raise InvalidInput(problems)
    values = _values(data)
    volume = values.pop("volume_kg")
    # Atomic against concurrent pledges: the new volume must still hold what is pledged.
    result = db.session.execute(
        update(PC)
        .where(PC.id == commitment.id, PC.status == OPEN, PC.pledged_kg <= volume)
        .values(
            volume_kg=volume,
            status=case((PC.pledged_kg >= volume, FULFILLED), else_=OPEN),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(
            _l(
                "Ya hay %(kg)s kg comprometidos: el volumen total no puede ser menor.",
                kg=number(commitment.pledged_kg, 0),
            ),
            "volume_kg",
        )
    changed = sorted(k for k, v in values.items() if getattr(commitment, k) != v)
    if volume != commitment.volume_kg:
        changed.append("volume_kg")
    for name, value in values.items():
        setattr(commitment, name, value)
    wanted = set(_regions(data))
    current = {region.region for region in commitment.regions}
    if wanted != current:
        changed.append("regions")
        commitment.regions = [r for r in commitment.regions if r.region in wanted] + [
            CommitmentRegion(country=data.country, region=region)
            for region in sorted(wanted - current)
        ]
    db.session.flush()
    audit.record(actor, "commitment.updated", commitment, fields=sorted(changed))
    db.session.commit()
    db.session.refresh(commitment)
    return commitment


def close_commitment(actor: User, commitment: PurchaseCommitment) -> PurchaseCommitment:
    """Stop taking pledges; active pledges stand, and their producers are told."""
    if not can_manage(actor, commitment):
        raise DomainError(_l("No encontramos ese compromiso."))
    result = db.session.execute(
        update(PC)
        .where(PC.id == commitment.id, PC.status != CLOSED)
        .values(status=CLOSED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(_l("Este compromiso ya está cerrado."))
    producers_with_login = db.session.scalars(
        select(Producer.user_id)
        .join(Pledge, Pledge.producer_id == Producer.id)
        .where(
            Pledge.commitment_id == commitment.id,
            Pledge.status == PledgeStatus.ACTIVE,
            Producer.user_id.is_not(None),
        )
        .distinct()
    ).all()
    for user_id in sorted(producers_with_login):
        notify_user(
            user_id,
            "commitment.closed",
            link=path_for("commitments.my_pledges"),
            product=commitment.product,
        )
    db.session.refresh(commitment)
    audit.record(
        actor,
        "commitment.closed",
        commitment,
        pledged_kg=number(commitment.pledged_kg, 0),
        volume_kg=commitment.volume_kg,
        notified=len(producers_with_login),
    )
    db.session.commit()
    return commitment
