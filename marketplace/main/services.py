"""What each role sees first after signing in: its work, gathered from each feature."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace import shared
from marketplace.catalog.services import CatalogFilters, search_listings, supplier_summary
from marketplace.commitments.services import (
    buyer_summary,
    open_commitments_for,
    producer_pledge_summary,
)
from marketplace.credit import runs
from marketplace.credit.offers import summary_line as credit_summary
from marketplace.credit.portfolio import cached_portfolio
from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
    Farm,
    Order,
    Organization,
    OrgKind,
    Pledge,
    PledgeStatus,
    Producer,
    Role,
    User,
)
from marketplace.models.base import utcnow
from marketplace.orders.services import producer_order_summary, supplier_order_summary
from marketplace.permissions import serving_cooperative_id
from marketplace.producers.services import consent_states, producer_of
from marketplace.traceability.disputes import review_queue

RECENT_DAYS = 30


def _offers_near(producer: Producer, limit: int = 3) -> list:
    """The newest published listings serving the region of the producer's first farm."""
    if not producer.farms:
        return []
    farm = producer.farms[0]
    filters = CatalogFilters(country=farm.country, region=farm.region)
    return list(search_listings(filters, page=1, per_page=limit).items)


def _producer_dashboard(user: User) -> dict:
    producer = producer_of(user)
    if producer is None:
        return {"kind": Role.PRODUCER, "producer": None}
    return {
        "kind": Role.PRODUCER,
        "producer": producer,
        "farms": producer.farms,
        "consents": consent_states(producer),
        "offers": _offers_near(producer),
        "orders": producer_order_summary(producer, limit=3),
        "pledges": producer_pledge_summary(producer),
        "commitments": open_commitments_for(producer, limit=3),
        "credit": credit_summary(producer),
    }


def _members_counts(cooperative_id: int, since) -> dict:
    """How many members and farms the cooperative has, and what they did lately."""
    member = Producer.cooperative_id == cooperative_id
    producers = db.session.scalar(select(func.count(Producer.id)).where(member))
    farms = db.session.scalar(select(func.count()).select_from(Farm).join(Producer).where(member))
    orders = db.session.scalar(
        select(func.count(Order.id)).join(Producer).where(member, Order.created_at >= since)
    )
    pledges, kg = db.session.execute(
        select(func.count(Pledge.id), func.coalesce(func.sum(Pledge.kg), 0))
        .join(Producer, Pledge.producer_id == Producer.id)
        .where(member, Pledge.status == PledgeStatus.ACTIVE)
    ).one()
    return {
        "producers": producers,
        "farms": farms,
        "orders_recent": orders,
        "active_pledges": pledges,
        "pledged_kg": int(kg),
    }


def _members_lately(cooperative_id: int) -> dict:
    """The members' newest orders and where their pledges are delivered (deliveries.accepts)."""
    recent_orders = db.session.scalars(
        select(Order)
        .join(Producer)
        .where(Producer.cooperative_id == cooperative_id)
        .options(joinedload(Order.producer))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(5)
    ).all()
    centres = db.session.scalars(
        select(CollectionCenter)
        .where(
            CollectionCenter.organization_id == cooperative_id, CollectionCenter.active.is_(True)
        )
        .order_by(CollectionCenter.name)
    ).all()
    return {"centres": list(centres), "recent_orders": list(recent_orders)}


def _technician_dashboard(user: User) -> dict:
    coop = serving_cooperative_id(user)
    if coop is None:  # pending, rejected or suspended: no producer's data, only why
        return {"kind": Role.TECHNICIAN, "unverified": user.organization}
    since = utcnow() - timedelta(days=RECENT_DAYS)
    seconds = current_app.config["MINKA_COUNTS_CACHE_SECONDS"]
    counts = shared.cached(
        f"cooperative-counts:{coop}", seconds, lambda: _members_counts(coop, since)
    )
    return {
        "kind": Role.TECHNICIAN,
        "days": RECENT_DAYS,
        **counts,
        **_members_lately(coop),
    }


def _admin_dashboard(user: User) -> dict:
    pending = db.session.scalar(
        select(func.count(Organization.id)).where(
            Organization.verified_at.is_(None),
            Organization.rejected_at.is_(None),
            Organization.suspended_at.is_(None),
        )
    )
    users = db.session.scalar(select(func.count(User.id)))
    return {
        "kind": Role.ADMIN,
        "pending_organizations": pending,
        "users": users,
        "matching_running": runs.running_run(),
        "matching_latest": runs.latest_run(),
        "disputes": _disputes(user),
    }


def _disputes(user: User) -> dict:
    """Plot disputes waiting for a review this user may see, and those they may act on."""
    queue = review_queue(user)
    return {"waiting": len(queue), "mine": sum(item.may_act for item in queue)}


def _organization_dashboard(user: User) -> dict:
    org = user.organization
    board: dict = {"kind": "organization", "organization": org}
    if org is None:
        return board
    if org.kind in (OrgKind.SUPPLIER, OrgKind.TA_PROVIDER):
        board["listings"] = supplier_summary(org.id)
        board["orders"] = supplier_order_summary(org.id)
    if user.role == Role.BUYER:
        board["buying"] = buyer_summary(org.id)
        board["disputes"] = _disputes(user)
    if user.role == Role.LENDER:
        board["portfolio"] = cached_portfolio(org.id, detail=False)
    return board


def dashboard_for(user: User) -> dict:
    """The figures and next steps on a user's home page."""
    if user.role == Role.PRODUCER:
        return _producer_dashboard(user)
    if user.role == Role.TECHNICIAN:
        return _technician_dashboard(user)
    if user.role == Role.ADMIN:
        return _admin_dashboard(user)
    return _organization_dashboard(user)
