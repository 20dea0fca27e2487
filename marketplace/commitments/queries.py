"""Reading commitments and pledges: shared figures, the buyers' pages, and the API's search.

Everything here only reads; what producers see is in ``commitments.offers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.extensions import db
from marketplace.models import (
    Clearing,
    CommitmentRegion,
    CommitmentStatus,
    ConsentScope,
    Farm,
    Organization,
    Pledge,
    PledgeStatus,
    PurchaseCommitment,
)
from marketplace.models.base import local_today
from marketplace.producers.services import with_live_consent

PER_PAGE = 25
ACTIVE = PledgeStatus.ACTIVE


#: A pledge's "deforestación por verificar", in SQL (joined to its farm and commitment): it
#: follows the farm as it stands now (a verification or a dispute may have settled it since
#: the pledge, whose own flag keeps the day it was made); Pledge.awaits_verification in Python.
AWAITING_VERIFICATION = and_(
    PurchaseCommitment.deforestation_free, Farm.cleared_after_cutoff == Clearing.UNKNOWN
)


def fill_pct(commitment: PurchaseCommitment) -> int:
    """Share of the volume already pledged, in whole percent (0-100)."""
    if commitment.volume_kg <= 0:
        return 0
    return min(100, commitment.pledged_kg * 100 // commitment.volume_kg)


def expected_kg(farm: Farm) -> int | None:
    """A farm's expected production (productive ha x yield), None while its yield is unknown."""
    if farm.yield_kg_ha is None:
        return None
    return int(farm.productive_ha * farm.yield_kg_ha)


def committed_kg(farm_ids: list[int], today: date) -> dict[int, int]:
    """Kg each farm already pledged to commitments of its value chain still to be delivered."""
    if not farm_ids:
        return {}
    rows = db.session.execute(
        select(Pledge.farm_id, func.sum(Pledge.kg))
        .join(PurchaseCommitment, PurchaseCommitment.id == Pledge.commitment_id)
        .join(Farm, Farm.id == Pledge.farm_id)
        .where(
            Pledge.farm_id.in_(farm_ids),
            Pledge.status == ACTIVE,
            PurchaseCommitment.value_chain == Farm.value_chain,
            PurchaseCommitment.delivery_end >= today,
        )
        .group_by(Pledge.farm_id)
    )
    return {farm_id: int(total) for farm_id, total in rows}


def available_kg(farms: list[Farm], today: date) -> dict[int, int | None]:
    """What each farm may still pledge (None: yield unknown), in one query."""
    used = committed_kg([farm.id for farm in farms], today)
    result: dict[int, int | None] = {}
    for farm in farms:
        expected = expected_kg(farm)
        result[farm.id] = None if expected is None else max(expected - used.get(farm.id, 0), 0)
    return result


def producer_pledged_kg(producer_id: int, commitment_id: int) -> int:
    """Kg of a producer's active pledges to one commitment."""
    total = db.session.scalar(
        select(func.sum(Pledge.kg)).where(
            Pledge.producer_id == producer_id,
            Pledge.commitment_id == commitment_id,
            Pledge.status == ACTIVE,
        )
    )
    return int(total or 0)


# -- Buyers ------------------------------------------------------------------------------------


def buyer_commitments(org_id: int, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """A page of an organization's commitments: open first, then newest."""
    query = (
        select(PurchaseCommitment)
        .where(PurchaseCommitment.organization_id == org_id)
        .options(selectinload(PurchaseCommitment.regions))
        .order_by(
            case((PurchaseCommitment.status == CommitmentStatus.OPEN, 0), else_=1),
            PurchaseCommitment.created_at.desc(),
            PurchaseCommitment.id.desc(),
        )
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def buyer_summary(org_id: int, limit: int = 5) -> dict:
    """For the buyer's dashboard: counts by status, totals and the open commitments' fill."""
    by_status = dict(
        db.session.execute(
            select(PurchaseCommitment.status, func.count(PurchaseCommitment.id))
            .where(PurchaseCommitment.organization_id == org_id)
            .group_by(PurchaseCommitment.status)
        ).all()
    )
    open_query = (
        select(PurchaseCommitment)
        .where(
            PurchaseCommitment.organization_id == org_id,
            PurchaseCommitment.status == CommitmentStatus.OPEN,
        )
        .order_by(PurchaseCommitment.delivery_start, PurchaseCommitment.id)
    )
    totals = db.session.execute(
        select(
            func.coalesce(func.sum(PurchaseCommitment.volume_kg), 0),
            func.coalesce(func.sum(PurchaseCommitment.pledged_kg), 0),
        ).where(
            PurchaseCommitment.organization_id == org_id,
            PurchaseCommitment.status == CommitmentStatus.OPEN,
        )
    ).one()
    commitments = list(db.session.scalars(open_query.limit(limit)))
    return {
        "open": by_status.get(CommitmentStatus.OPEN, 0),
        "fulfilled": by_status.get(CommitmentStatus.FULFILLED, 0),
        "closed": by_status.get(CommitmentStatus.CLOSED, 0),
        "open_volume_kg": int(totals[0]),
        "open_pledged_kg": int(totals[1]),
        "commitments": [
            {"commitment": c, "fill_pct": fill_pct(c), "remaining_kg": c.remaining_kg}
            for c in commitments
        ],
    }


@dataclass(frozen=True)
class RegionTotal:
    """Active pledges of one region: kg, producers and farms."""

    region: str
    kg: int
    producers: int
    farms: int


@dataclass(frozen=True)
class FarmPledges:
    """A farm's active pledges to a commitment, as a buyer sees them.

    Names, phone, farm name and coordinates are filled only under the producer's live consent
    to share with buyers; otherwise the buyer sees the district and region only.
    """

    farm_id: int
    country: str
    district_code: str
    region: str
    kg: int
    pending_verification: bool
    shared: bool
    producer_name: str | None = None
    phone: str | None = None
    farm_name: str | None = None
    lat: float | None = None
    lon: float | None = None


def pledges_by_region(commitment_id: int) -> list[RegionTotal]:
    """Active pledges summed by the farms' region, largest first."""
    rows = db.session.execute(
        select(
            Farm.region,
            func.sum(Pledge.kg),
            func.count(func.distinct(Pledge.producer_id)),
            func.count(func.distinct(Pledge.farm_id)),
        )
        .join(Farm, Farm.id == Pledge.farm_id)
        .where(Pledge.commitment_id == commitment_id, Pledge.status == ACTIVE)
        .group_by(Farm.region)
        .order_by(func.sum(Pledge.kg).desc(), Farm.region)
    )
    return [RegionTotal(region, int(kg), producers, farms) for region, kg, producers, farms in rows]


def consenting_producers(producer_ids: set[int]) -> set[int]:
    """Which of these producers have a live consent to share their details with buyers."""
    return with_live_consent(producer_ids, ConsentScope.BUYERS)


def pledges_by_farm(
    commitment_id: int, page: int = 1, per_page: int = PER_PAGE
) -> tuple[Pagination, list[FarmPledges]]:
    """A page of the farms pledging to a commitment, with personal details only under consent.

    Four queries whatever the page size: count, farms with their producers, sums, consents.
    """
    pledged = select(Pledge.farm_id).where(
        Pledge.commitment_id == commitment_id, Pledge.status == ACTIVE
    )
    query = (
        select(Farm)
        .where(Farm.id.in_(pledged))
        .options(joinedload(Farm.producer))
        .order_by(Farm.region, Farm.district_code, Farm.id)
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    farms = list(pagination.items)
    sums = {
        farm_id: (int(kg), bool(pending))
        for farm_id, kg, pending in db.session.execute(
            select(
                Pledge.farm_id,
                func.sum(Pledge.kg),
                func.max(case((AWAITING_VERIFICATION, 1), else_=0)),
            )
            .join(Farm, Farm.id == Pledge.farm_id)
            .join(PurchaseCommitment, PurchaseCommitment.id == Pledge.commitment_id)
            .where(
                Pledge.commitment_id == commitment_id,
                Pledge.status == ACTIVE,
                Pledge.farm_id.in_([farm.id for farm in farms]),
            )
            .group_by(Pledge.farm_id)
        )
    }
    sharing = consenting_producers({farm.producer_id for farm in farms})
    rows = []
    for farm in farms:
        kg, pending = sums.get(farm.id, (0, False))
        common = {
            "farm_id": farm.id,
            "country": farm.country,
            "district_code": farm.district_code,
            "region": farm.region,
            "kg": kg,
            "pending_verification": pending,
        }
        if farm.producer_id in sharing:
            producer = farm.producer
            rows.append(
                FarmPledges(
                    **common,
                    shared=True,
                    producer_name=producer.full_name,
                    phone=producer.phone,
                    farm_name=farm.name,
                    lat=farm.lat,
                    lon=farm.lon,
                )
            )
        else:
            rows.append(FarmPledges(**common, shared=False))
    return pagination, rows


# -- Search (the API) --------------------------------------------------------------------------


@dataclass
class CommitmentFilters:
    """Filters of the public commitment search (the API's query string)."""

    value_chain: str | None = None
    country: str | None = None
    region: str | None = None
    deforestation_free: bool | None = None
    status: str = "open"


def search_commitments(
    filters: CommitmentFilters, page: int = 1, per_page: int = PER_PAGE
) -> Pagination:
    """A page of commitments of active buyers, newest first, organization and regions loaded.

    ``status="open"`` also leaves out commitments whose delivery window has ended (they take
    no pledges); an unknown status filters nothing.
    """
    query = (
        select(PurchaseCommitment)
        .join(Organization, Organization.id == PurchaseCommitment.organization_id)
        .where(Organization.suspended_at.is_(None))
        .options(
            joinedload(PurchaseCommitment.organization), selectinload(PurchaseCommitment.regions)
        )
        .order_by(PurchaseCommitment.created_at.desc(), PurchaseCommitment.id.desc())
    )
    if filters.status in set(CommitmentStatus):
        query = query.where(PurchaseCommitment.status == filters.status)
        if filters.status == CommitmentStatus.OPEN:
            query = query.where(PurchaseCommitment.delivery_end >= local_today())
    if filters.value_chain:
        query = query.where(PurchaseCommitment.value_chain == filters.value_chain)
    if filters.country:
        query = query.where(PurchaseCommitment.country == filters.country)
    if filters.deforestation_free is not None:
        query = query.where(PurchaseCommitment.deforestation_free.is_(filters.deforestation_free))
    if filters.region:
        place = [
            CommitmentRegion.commitment_id == PurchaseCommitment.id,
            CommitmentRegion.region == filters.region,
        ]
        if filters.country:
            place.append(CommitmentRegion.country == filters.country)
        query = query.where(exists().where(*place))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
