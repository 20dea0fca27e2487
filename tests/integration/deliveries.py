"""A collection centre with staff, a buyer's commitment delivered there and pledges to it, for
the tests of deliveries, lots and the buyer's traceability (pledges written directly: pledging
has its own tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
    Farm,
    Organization,
    Pledge,
    Producer,
    PurchaseCommitment,
    User,
)
from marketplace.models.base import local_today
from marketplace.traceability import deliveries


@dataclass
class Centre:
    coop: Organization
    center: CollectionCenter
    staff: User
    commitment: PurchaseCommitment
    buyer: User


def centre(make_org, make_user, make_center, make_commitment, **commitment) -> Centre:
    """A cooperative's centre with one technician, and a buyer's commitment delivered there."""
    coop = make_org("cooperative")
    center = make_center(coop)
    staff = make_user("technician", organization=coop)
    buyer_org = make_org("buyer")
    buyer = make_user("buyer", organization=buyer_org)
    commitment.setdefault("collection_center_id", center.id)
    made = make_commitment(buyer_org, created_by=buyer, **commitment)
    return Centre(coop, center, staff, made, buyer)


def pledge(commitment: PurchaseCommitment, farm: Farm, kg: int = 1_000) -> Pledge:
    """An active pledge of `kg` from `farm` to `commitment`."""
    row = Pledge(
        commitment_id=commitment.id,
        farm_id=farm.id,
        producer_id=farm.producer_id,
        pledged_by_id=commitment.created_by_id,
        kg=kg,
        status="active",
    )
    db.session.add(row)
    commitment.pledged_kg += kg
    db.session.commit()
    return row


def producer_with_pledge(make_producer, make_farm, world: Centre, kg: int = 1_000, **farm):
    """A producer, one farm and a pledge of `kg` to the world's commitment."""
    producer: Producer = make_producer()
    made = make_farm(producer, **farm)
    return producer, made, pledge(world.commitment, made, kg)


def deliver(world: Centre, pledge_row: Pledge, kg: int, days_ago: int = 1, **extra):
    """Record a delivery through the service, as the centre's staff."""
    data = deliveries.DeliveryData(
        pledge_id=pledge_row.id,
        kg=kg,
        delivered_on=local_today() - timedelta(days=days_ago),
        **extra,
    )
    return deliveries.record_delivery(world.staff, world.center, data)
