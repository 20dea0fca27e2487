"""Demo data-protection requests, so the admin's list and the producers' "Sus datos y sus
derechos" have something to show: the demo producer's open correction, a deletion her
technician filed in person for a neighbour, a Colombian producer's objection (in force) and a
Mexican producer's correction already answered. Dated from the demo anchor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from marketplace.demo.organizations import ADMIN_EMAIL
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    Consent,
    ConsentScope,
    DataRequest,
    Objection,
    ObjectionUse,
    Producer,
    RequestChannel,
    RequestKind,
    RequestStatus,
    User,
)
from marketplace.privacy import deadlines

PRODUCER_EMAIL = "productora@minka.demo"
TECHNICIAN_EMAIL = "tecnico@minka.demo"


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _request(
    producer: Producer,
    kind: RequestKind,
    filed_by: User,
    at: datetime,
    **values,
) -> DataRequest:
    own = producer.user_id == filed_by.id
    request = DataRequest(
        producer_id=producer.id,
        kind=kind,
        filed_by_id=filed_by.id,
        channel=RequestChannel.ONLINE if own else RequestChannel.IN_PERSON,
        country=producer.country,
        created_at=at,
        due_on=deadlines.due_on(producer.country, kind, at.date()),
        status=values.pop("status", RequestStatus.OPEN),
        **values,
    )
    db.session.add(request)
    db.session.flush()
    db.session.add(
        AuditLog(
            at=at,
            actor_id=filed_by.id,
            action="privacy.request_filed",
            entity_type="data_request",
            entity_id=request.id,
            detail={"producer": producer.id, "kind": str(kind), "on_behalf": not own},
        )
    )
    return request


def _first(query) -> Producer | None:
    return db.session.scalar(query.order_by(Producer.id).limit(1))


def build(anchor: datetime, say: Callable[[str], None]) -> dict[str, int]:
    """A handful of requests in several states; none when the world has no such people."""
    admin, producer_user, technician = (
        _user(ADMIN_EMAIL),
        _user(PRODUCER_EMAIL),
        _user(TECHNICIAN_EMAIL),
    )
    made = 0
    mine = _first(select(Producer).where(Producer.user_id == producer_user.id))
    if mine is not None:
        _request(
            mine,
            RequestKind.RECTIFICATION,
            producer_user,
            anchor - timedelta(days=3),
            detail="En mi entrega de agosto anotaron 120 kg y fueron 210 kg.",
        )
        made += 1
    neighbour = _first(
        select(Producer).where(
            Producer.cooperative_id == technician.organization_id,
            Producer.user_id.is_(None),
        )
    )
    if neighbour is not None:
        _request(
            neighbour,
            RequestKind.DELETION,
            technician,
            anchor - timedelta(days=6),
            detail="Dejó el cacao y se muda a Lima.",
        )
        made += 1
    shared_with_buyers = select(Consent.producer_id).where(
        Consent.scope == ConsentScope.BUYERS, Consent.granted.is_(True)
    )
    objector = _first(
        select(Producer).where(
            Producer.country == "CO",
            Producer.id.not_in(shared_with_buyers),
            (Producer.user_id.is_not(None)) | (Producer.registered_by_id.is_not(None)),
        )
    )
    if objector is not None:
        at = anchor - timedelta(days=20)
        objector_user = db.session.get(User, objector.user_id or objector.registered_by_id)
        _request(
            objector,
            RequestKind.OBJECTION,
            objector_user,
            at,
            use=ObjectionUse.SHARE_BUYERS,
            status=RequestStatus.DONE,
            resolved_at=at,
            resolved_by_id=objector_user.id,
        )
        db.session.add(
            Objection(
                producer_id=objector.id,
                use=ObjectionUse.SHARE_BUYERS,
                changed_at=at,
                changed_by_id=objector_user.id,
            )
        )
        made += 1
    corrected = _first(select(Producer).where(Producer.country == "MX"))
    if corrected is not None and admin is not None:
        filed_by = db.session.get(User, corrected.user_id or corrected.registered_by_id)
        if filed_by is not None:
            at = anchor - timedelta(days=30)
            _request(
                corrected,
                RequestKind.RECTIFICATION,
                filed_by,
                at,
                detail="El pedido de fertilizante salió a nombre de mi hermano.",
                status=RequestStatus.DONE,
                resolved_at=at + timedelta(days=4),
                resolved_by_id=admin.id,
                resolution_note="Corregido: el pedido queda a su nombre.",
            )
            made += 1
    say(f"  {made} data-protection requests")
    return {"data_request": made}
