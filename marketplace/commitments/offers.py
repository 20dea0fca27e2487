"""What producers see: open commitments matching their farms, and their own pledges."""

from __future__ import annotations

from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace import gazetteer
from marketplace.centers.services import centers_near
from marketplace.commitments.queries import ACTIVE, AWAITING_VERIFICATION, PER_PAGE
from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
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


#: Farther than this from her farm, a commitment is listed after the nearer ones, "lejos".
FAR_KM = 150
#: The open commitments a producer's farms match are few; at most this many are sorted.
MAX_OFFERS = 500


class OfferPage(Pagination):
    """A page of commitments already sorted in Python (by distance): items and total known."""

    def __init__(self, rows: list, page: int, per_page: int) -> None:
        self._rows = rows
        super().__init__(page, per_page, error_out=False)

    def _query_items(self) -> list:
        return self._rows[(self.page - 1) * self.per_page : self.page * self.per_page]

    def _query_count(self) -> int:
        return len(self._rows)


def _centres_of(coop_id: int | None) -> list[CollectionCenter]:
    if coop_id is None:
        return []
    return list(
        db.session.scalars(
            select(CollectionCenter).where(
                CollectionCenter.organization_id == coop_id, CollectionCenter.active.is_(True)
            )
        )
    )


def delivery_km(producer: Producer, commitments: list[PurchaseCommitment]) -> dict[int, float]:
    """Commitment id -> great-circle km from the producer's nearest matching farm to the
    nearest centre that takes her delivery: the commitment's own centre (or, for one without,
    the nearest active centre of its country) and her cooperative's centres in its country
    (traceability.deliveries.accepts). Commitments with no centre to reach are left out."""
    own = _centres_of(producer.cooperative_id)
    nearest_in: dict[tuple[str, int], CollectionCenter | None] = {}
    found: dict[int, float] = {}
    for commitment in commitments:
        farms = matching_farms(producer, commitment) or list(producer.farms)
        best = None
        for farm in farms:
            centres = [c for c in own if c.country == commitment.country]
            if commitment.collection_center is not None:
                centres.append(commitment.collection_center)
            else:
                key = (commitment.country, farm.id)
                if key not in nearest_in:
                    near = centers_near(commitment.country, farm.lat, farm.lon, limit=1)
                    nearest_in[key] = near[0][0] if near else None
                if nearest_in[key] is not None:
                    centres.append(nearest_in[key])
            for centre in centres:
                km = gazetteer.haversine_km(farm.lat, farm.lon, centre.lat, centre.lon)
                best = km if best is None else min(best, km)
        if best is not None:
            found[commitment.id] = best
    return found


def _by_distance(producer: Producer, today: date) -> tuple[list, dict[int, float]]:
    query = _with_details(_open_offers(producer, today)).limit(MAX_OFFERS)
    commitments = list(db.session.scalars(query).unique())
    km = delivery_km(producer, commitments)
    # nearest first; those with no centre to reach last; ties: soonest delivery (the query's)
    order = {c.id: i for i, c in enumerate(commitments)}
    commitments.sort(key=lambda c: (c.id not in km, km.get(c.id, 0.0), order[c.id]))
    return commitments, km


def matching_page(
    producer: Producer, page: int = 1, today: date | None = None, per_page: int = PER_PAGE
) -> Pagination:
    """A page of the open commitments a producer can pledge to, nearest to her farms first
    (delivery_km; those farther than FAR_KM come after the nearer ones by that order)."""
    commitments, _km = _by_distance(producer, today or local_today())
    return OfferPage(commitments, page, per_page)


def open_commitments_for(
    producer: Producer, limit: int = 5, today: date | None = None
) -> list[PurchaseCommitment]:
    """The first `limit` open commitments matching the producer's farms, nearest first."""
    return _by_distance(producer, today or local_today())[0][:limit]


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
            func.coalesce(func.sum(case((AWAITING_VERIFICATION, 1), else_=0)), 0),
        )
        .join(Farm, Farm.id == Pledge.farm_id)
        .join(PurchaseCommitment, PurchaseCommitment.id == Pledge.commitment_id)
        .where(Pledge.producer_id == producer.id, Pledge.status == ACTIVE)
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
