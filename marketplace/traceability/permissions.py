"""Who may see and work on a farm's plot, a collection centre's deliveries and its lots, and
trace a commitment back to its plots."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.centers import permissions as center_permissions
from marketplace.commitments import permissions as commitment_permissions
from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
    Farm,
    Pledge,
    PurchaseCommitment,
    Role,
    Shipment,
    User,
)
from marketplace.models.commitments import PledgeStatus
from marketplace.models.traceability import Lot
from marketplace.permissions import serving_cooperative_id
from marketplace.producers import permissions as producer_permissions

# --- a farm's plot ---------------------------------------------------------------------------


def buyer_has_pledge(user: User, farm: Farm) -> bool:
    """True when the user's buyer organization holds an active pledge from this farm."""
    if user.role != Role.BUYER or user.organization_id is None:
        return False
    query = (
        select(Pledge.id)
        .join(PurchaseCommitment, Pledge.commitment_id == PurchaseCommitment.id)
        .where(
            Pledge.farm_id == farm.id,
            Pledge.status == PledgeStatus.ACTIVE,
            PurchaseCommitment.organization_id == user.organization_id,
        )
        .limit(1)
    )
    return db.session.scalar(query) is not None


def can_view_plot(user: User, farm: Farm) -> bool:
    """The producer, their cooperative's technicians, admins, and buyers with an active
    pledge from the farm."""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.BUYER:
        return buyer_has_pledge(user, farm)
    return producer_permissions.can_view(user, farm.producer)


def can_edit_plot(user: User, farm: Farm) -> bool:
    """Only the producer and their cooperative's technicians draw the outline."""
    return producer_permissions.can_edit(user, farm.producer)


def can_record_evidence(user: User, farm: Farm) -> bool:
    """A technician of the producer's (verified) cooperative."""
    coop_id = serving_cooperative_id(user)
    return coop_id is not None and farm.producer.cooperative_id == coop_id


def can_verify_plot(user: User, farm: Farm) -> bool:
    """Who reviews the plot's disputes (either of the four eyes): an admin, or a buyer whose
    organization holds an active pledge from the farm (its due-diligence users)."""
    return user.role == Role.ADMIN or buyer_has_pledge(user, farm)


def can_open_dispute(user: User, farm: Farm) -> bool:
    """The producer and their cooperative's technicians dispute the plot's assessment."""
    return user.role in (Role.PRODUCER, Role.TECHNICIAN) and can_edit_plot(user, farm)


def can_see_tenure_documents(user: User, farm: Farm) -> bool:
    """The producer, her cooperative's technicians and admins open a plot's tenure documents
    (buyers see only whether the plot is documented: the papers carry personal data)."""
    return user.role == Role.ADMIN or producer_permissions.can_view(user, farm.producer)


def can_upload_tenure_document(user: User, farm: Farm) -> bool:
    """The producer herself, her cooperative's technicians, or an admin (never for an erased
    producer)."""
    if farm.producer.erased_at is not None:
        return False
    return user.role == Role.ADMIN or producer_permissions.can_edit(user, farm.producer)


def can_review_tenure_document(user: User) -> bool:
    """Minka's admins decide on tenure documents: a buyer or lender is an interested party."""
    return user.role == Role.ADMIN


# --- deliveries and lots ---------------------------------------------------------------------


def can_manage_deliveries(user: User, center: CollectionCenter) -> bool:
    """The centre's managers record its deliveries and build its lots."""
    return center_permissions.can_manage(user, center)


def can_manage_lot(user: User, lot: Lot) -> bool:
    """Whoever manages the deliveries of the centre where the lot was built."""
    return can_manage_deliveries(user, db.session.get(CollectionCenter, lot.collection_center_id))


def can_trace(user: User, commitment: PurchaseCommitment) -> bool:
    """The buyer organization that posted the commitment traces it and downloads its export."""
    return commitment_permissions.can_manage(user, commitment)


def can_trace_lot(user: User, lot: Lot) -> bool:
    """Whoever may trace the commitment the lot was built for."""
    return can_trace(user, db.session.get(PurchaseCommitment, lot.commitment_id))


# --- shipments -------------------------------------------------------------------------------


def can_manage_shipment(user: User, shipment: Shipment) -> bool:
    """Members of the buyer organization that owns the shipment, and nobody else."""
    return (
        commitment_permissions.is_buyer_member(user)
        and shipment.organization_id == user.organization_id
    )
