"""What producers see: open commitments matching their farms, and their own pledges."""

from __future__ import annotations

from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.commitments.queries import ACTIVE, PER_PAGE
from marketplace.extensions import db
from marketplace.models import (
    CommitmentRegion,
    CommitmentStatus,
    Farm,
    Organization,
    Pledge,
    Producer,
    PurchaseCommitment,
)
from marketplace.models.base import local_today


def _matches_any_farm(farms: list[Farm]):
    """SQL condition: the commitment buys the value chain of one of `farms` in its region."""
    places = {(farm.value_chain, farm.country, farm.region) for farm in farms}
    if not places:
        return false()
    return exists().where(
        CommitmentRegion.commitment_id == PurchaseCommitment.id,
        or_(
            *(
                and_(
                    PurchaseCommitment.value_chain == chain,
                    CommitmentRegion.country == country,
                    CommitmentRegion.region == region,
                )
                for chain, country, region in sorted(places)
            )
        ),
    )


def _open_offers(producer: Producer, today: date):
    """Open commitments of active buyers matching the producer's farms, window not ended."""
    return (
        select(PurchaseCommitment)
        .join(Organization, Organization.id == PurchaseCommitment.organization_id)
        .where(
            PurchaseCommitment.status == CommitmentStatus.OPEN,
            PurchaseCommitment.delivery_end >= today,
            Organization.suspended_at.is_(None),
            _matches_any_farm(producer.farms),
        )
    )


def _with_details(query):
    return query.options(
        joinedload(PurchaseCommitment.organization),
        joinedload(PurchaseCommitment.collection_center),
        selectinload(PurchaseCommitment.regions),
    ).order_by(PurchaseCommitment.delivery_start, PurchaseCommitment.id)


def matching_page(
    producer: Producer, page: int = 1, today: date | None = None, per_page: int = PER_PAGE
) -> Pagination:
    """A page of the open commitments a producer can pledge to, soonest delivery first."""
    query = _with_details(_open_offers(producer, today or local_today()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def open_commitments_for(
    producer: Producer, limit: int = 5, today: date | None = None
) -> list[PurchaseCommitment]:
    """The first `limit` open commitments matching the producer's farms (dashboard)."""
    query = _with_details(_open_offers(producer, today or local_today()))
    return list(db.session.scalars(query.limit(limit)).unique())


def is_offered_to(producer: Producer, commitment: PurchaseCommitment, today: date) -> bool:
    """True when the commitment is open to this producer's farms right now."""
    query = _open_offers(producer, today).where(PurchaseCommitment.id == commitment.id)
    return db.session.scalar(select(query.exists())) or False


def matching_farms(producer: Producer, commitment: PurchaseCommitment) -> list[Farm]:
    """The producer's farms of the commitment's value chain in one of its regions."""
    places = {(region.country, region.region) for region in commitment.regions}
    return [
        farm
        for farm in producer.farms
        if farm.value_chain == commitment.value_chain and (farm.country, farm.region) in places
    ]


def pledges_of(producer_id: int, commitment_id: int) -> list[Pledge]:
    """A producer's pledges (any status) to one commitment, newest first, with their farms."""
    return list(
        db.session.scalars(
            select(Pledge)
            .where(Pledge.producer_id == producer_id, Pledge.commitment_id == commitment_id)
            .options(joinedload(Pledge.farm))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        )
    )


def producer_pledges(producer_id: int, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """A page of a producer's pledges, active first, with commitment, buyer and farm."""
    query = (
        select(Pledge)
        .where(Pledge.producer_id == producer_id)
        .options(
            joinedload(Pledge.commitment).joinedload(PurchaseCommitment.organization),
            joinedload(Pledge.commitment).joinedload(PurchaseCommitment.collection_center),
            joinedload(Pledge.farm),
        )
        .order_by(
            case((Pledge.status == ACTIVE, 0), else_=1),
            Pledge.created_at.desc(),
            Pledge.id.desc(),
        )
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def producer_pledge_summary(producer: Producer, today: date | None = None) -> dict:
    """For the producer's dashboard: active pledges, their kg, and offers matching their farms."""
    today = today or local_today()
    count, kg, pending = db.session.execute(
        select(
            func.count(Pledge.id),
            func.coalesce(func.sum(Pledge.kg), 0),
            func.coalesce(func.sum(case((Pledge.pending_verification, 1), else_=0)), 0),
        ).where(Pledge.producer_id == producer.id, Pledge.status == ACTIVE)
    ).one()
    offers = db.session.scalar(
        select(func.count()).select_from(_open_offers(producer, today).subquery())
    )
    return {
        "active_pledges": count,
        "active_kg": int(kg),
        "pending_verification": int(pending),
        "matching_offers": offers or 0,
    }
