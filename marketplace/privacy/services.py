"""Data-protection requests: filing them, objections that take effect at once, and the
admin's answers. Each function is one transaction and leaves an audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import (
    Consent,
    DataRequest,
    Objection,
    ObjectionUse,
    Producer,
    RequestChannel,
    RequestKind,
    RequestStatus,
    User,
)
from marketplace.models.base import local_date, local_today, utcnow
from marketplace.privacy import deadlines
from marketplace.privacy.permissions import can_file, is_self
from marketplace.producers.objections import SCOPE_OBJECTIONS

MAX_DETAIL = 2000
#: The consent scope each objection switches off.
OBJECTION_SCOPES = {use: scope for scope, use in SCOPE_OBJECTIONS.items()}


def channel_of(actor: User, producer: Producer) -> RequestChannel:
    """Online when she files herself; in person when her technician files with her."""
    return RequestChannel.ONLINE if is_self(actor, producer) else RequestChannel.IN_PERSON


def _check_producer(producer: Producer) -> None:
    if producer.erased_at is not None:
        raise DomainError(_l("Los datos de esta persona ya fueron suprimidos."))


def _new_request(
    actor: User, producer: Producer, kind: RequestKind, detail: str = "", use: str | None = None
) -> DataRequest:
    today = local_today()
    request = DataRequest(
        producer_id=producer.id,
        kind=kind,
        filed_by_id=actor.id,
        channel=channel_of(actor, producer),
        use=use,
        detail=detail.strip()[:MAX_DETAIL],
        country=producer.country,
        due_on=deadlines.due_on(producer.country, kind, today),
        status=RequestStatus.OPEN,
    )
    db.session.add(request)
    db.session.flush()
    return request


def _done(request: DataRequest, actor: User, note: str = "") -> None:
    request.status = RequestStatus.DONE
    request.resolved_at = utcnow()
    request.resolved_by_id = actor.id
    request.resolution_note = note


def record_access(actor: User, producer: Producer, form: str) -> DataRequest | None:
    """Record that a copy of her data was handed out (answered at once); one record a day per
    person and form, however often the page is reloaded. An admin's look is audit-logged
    only: it is no request of hers."""
    if not can_file(actor, producer):
        audit.record(actor, "privacy.data_exported", producer, producer=producer.id, kind=form)
        db.session.commit()
        return None
    today = local_today()
    recent = db.session.scalars(
        select(DataRequest).where(
            DataRequest.producer_id == producer.id,
            DataRequest.kind == RequestKind.ACCESS,
            DataRequest.filed_by_id == actor.id,
            DataRequest.detail == form,
        )
    ).all()
    for request in recent:
        if local_date(request.created_at) == today:
            return request
    request = _new_request(actor, producer, RequestKind.ACCESS, form)
    _done(request, actor)
    audit.record(actor, "privacy.data_exported", request, producer=producer.id, kind=form)
    db.session.commit()
    return request


def file_request(actor: User, producer: Producer, kind: RequestKind, detail: str) -> DataRequest:
    """File a rectification or deletion request for the admin to answer."""
    _check_producer(producer)
    if kind not in (RequestKind.RECTIFICATION, RequestKind.DELETION):
        raise DomainError(_l("Ese tipo de solicitud no existe."))
    if kind == RequestKind.RECTIFICATION and not detail.strip():
        raise DomainError(_l("Escriba qué dato está mal y cuál es el correcto."), "detail")
    pending = select(DataRequest.id).where(
        DataRequest.producer_id == producer.id,
        DataRequest.kind == kind,
        DataRequest.status == RequestStatus.OPEN,
    )
    if kind == RequestKind.DELETION and db.session.scalar(pending) is not None:
        raise DomainError(_l("Ya hay una solicitud de supresión en trámite."))
    request = _new_request(actor, producer, kind, detail)
    audit.record(
        actor,
        "privacy.request_filed",
        request,
        producer=producer.id,
        kind=str(kind),
        on_behalf=request.channel == RequestChannel.IN_PERSON,
    )
    db.session.commit()
    return request


def _revoke_scope(actor: User, producer: Producer, scope: str) -> None:
    consent = db.session.scalar(
        select(Consent).where(Consent.producer_id == producer.id, Consent.scope == scope)
    )
    if consent is None or not consent.granted:
        return
    consent.granted, consent.changed_at, consent.changed_by_id = False, utcnow(), actor.id
    audit.record(actor, "consent.revoked", consent, producer=producer.id, scope=scope)


def set_objection(actor: User, producer: Producer, use: str, objects: bool) -> Objection:
    """Object to a use of her data, or withdraw the objection; in force at once. Objecting to
    showing her data also revokes the matching consent."""
    _check_producer(producer)
    if use not in ObjectionUse.codes():
        raise DomainError(_l("Ese uso de los datos no existe."), "use")
    row = db.session.scalar(
        select(Objection).where(Objection.producer_id == producer.id, Objection.use == use)
    )
    if row is None:
        row = Objection(producer_id=producer.id, use=use)
        db.session.add(row)
    row.active, row.changed_at, row.changed_by_id = objects, utcnow(), actor.id
    scope = OBJECTION_SCOPES.get(ObjectionUse(use))
    if objects and scope is not None:
        _revoke_scope(actor, producer, scope)
    db.session.flush()
    if objects:
        request = _new_request(actor, producer, RequestKind.OBJECTION, use=use)
        _done(request, actor)
    audit.record(
        actor,
        "privacy.objection_made" if objects else "privacy.objection_withdrawn",
        row,
        producer=producer.id,
        use=use,
        on_behalf=not is_self(actor, producer),
    )
    db.session.commit()
    return row


def requests_of(producer: Producer) -> list[DataRequest]:
    """All her requests, newest first."""
    return list(
        db.session.scalars(
            select(DataRequest)
            .where(DataRequest.producer_id == producer.id)
            .order_by(DataRequest.created_at.desc(), DataRequest.id.desc())
        )
    )


# --- the admin's side ----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRequest:
    """An open request as the admin's list shows it."""

    request: DataRequest
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def open_requests(today: date | None = None) -> list[OpenRequest]:
    """Every open request, the nearest deadline first, with business days left."""
    today = today or local_today()
    rows = db.session.scalars(
        select(DataRequest)
        .options(joinedload(DataRequest.producer))
        .where(DataRequest.status == RequestStatus.OPEN)
        .order_by(DataRequest.due_on, DataRequest.id)
    )
    return [OpenRequest(row, deadlines.business_days_left(row.due_on, today)) for row in rows]


def _close(actor: User, request: DataRequest, status: RequestStatus, note: str) -> None:
    """Move an open request to `status` by one conditional UPDATE (two admins at once: one
    wins, the other is told)."""
    result = db.session.execute(
        update(DataRequest)
        .where(DataRequest.id == request.id, DataRequest.status == RequestStatus.OPEN)
        .values(status=status, resolved_at=utcnow(), resolved_by_id=actor.id, resolution_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise DomainError(_l("Esta solicitud ya fue respondida."))


def mark_done(actor: User, request: DataRequest, note: str) -> DataRequest:
    """The admin made the correction asked for; the note says what changed."""
    if request.kind == RequestKind.DELETION:
        raise DomainError(_l("Una supresión se atiende ejecutándola."))
    if not note.strip():
        raise DomainError(_l("Escriba qué se corrigió."), "note")
    _close(actor, request, RequestStatus.DONE, note.strip()[:MAX_DETAIL])
    audit.record(actor, "privacy.request_done", request, producer=request.producer_id)
    db.session.commit()
    db.session.refresh(request)
    return request


def reject(actor: User, request: DataRequest, reason: str) -> DataRequest:
    """Refuse a request, with the reason she will read."""
    if not reason.strip():
        raise DomainError(_l("Escriba el motivo: la persona lo leerá."), "note")
    _close(actor, request, RequestStatus.REJECTED, reason.strip()[:MAX_DETAIL])
    audit.record(actor, "privacy.request_rejected", request, producer=request.producer_id)
    db.session.commit()
    db.session.refresh(request)
    return request
