"""What each role sees first after signing in."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Farm, Organization, Producer, Role, User
from marketplace.producers.services import consent_states, producer_of


def _producer_dashboard(user: User) -> dict:
    producer = producer_of(user)
    if producer is None:
        return {"kind": "producer", "producer": None}
    return {
        "kind": "producer",
        "producer": producer,
        "farms": producer.farms,
        "consents": consent_states(producer),
    }


def _technician_dashboard(user: User) -> dict:
    count = db.session.scalar(
        select(func.count(Producer.id)).where(Producer.cooperative_id == user.organization_id)
    )
    farms = db.session.scalar(
        select(func.count(Farm.id))
        .join(Producer)
        .where(Producer.cooperative_id == user.organization_id)
    )
    return {"kind": "technician", "producers": count, "farms": farms}


def _admin_dashboard(user: User) -> dict:
    pending = db.session.scalar(
        select(func.count(Organization.id)).where(Organization.verified_at.is_(None))
    )
    users = db.session.scalar(select(func.count(User.id)))
    return {"kind": "admin", "pending_organizations": pending, "users": users}


def dashboard_for(user: User) -> dict:
    """The figures and next steps on a user's home page."""
    if user.role == Role.PRODUCER:
        return _producer_dashboard(user)
    if user.role == Role.TECHNICIAN:
        return _technician_dashboard(user)
    if user.role == Role.ADMIN:
        return _admin_dashboard(user)
    return {"kind": "organization", "organization": user.organization}
