"""Carrying out a deletion request: remove what Minka does not need, anonymise what the law
or a contract makes it keep, and say which is which, item by item.

Kept, anonymised: loans and their repayments (the lender's records and credit law), deliveries
and the plots they came from (EU deforestation due diligence: a lot's geolocation must stay
traceable), orders (tax records), pledges (contracts with buyers), data requests (proof the
request was answered) and the audit log (rows stay; personal values in them are replaced).
Removed: plots nothing points to, field evidence and its photos, tenure documents and their
files (the holder's name and papers; only Minka's review of them), credit assessments,
notifications (in the app, and the text messages sent or queued to her phone with the one-time
codes), phone, e-mail, national id, name; consents (to sharing and to messages) are revoked
and the account closed.

One transaction; a second attempt (a double click, two admins) changes nothing and returns the
first receipt: the request moves from open to done by one conditional UPDATE.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update

from marketplace import audit, uploads
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import (
    Assessment,
    Consent,
    DataRequest,
    Delivery,
    FieldEvidence,
    ForestAssessment,
    ForestDispute,
    ForestDisputeEvidence,
    Gender,
    Loan,
    LotReview,
    Notification,
    OneTimeCode,
    Order,
    OutboundMessage,
    Pledge,
    Producer,
    RequestKind,
    RequestStatus,
    TenureDocument,
    User,
)
from marketplace.models.base import utcnow
from marketplace.privacy.export import audit_entries

ANONYMISED = "[anonimizado]"
#: Keys of audit details that may hold a personal value (a name, a number, a free text).
PERSONAL_DETAIL_KEYS = frozenset(
    {"name", "first_name", "last_name", "phone", "email", "login", "national_id", "note"}
)

# Receipt item codes; their labels and reasons live in privacy.labels.
REMOVED = (
    "farms",
    "field_evidence",
    "tenure_documents",
    "credit_assessments",
    "notifications",
    "contact",
    "identity",
    "consents",
    "account",
)
KEPT = (
    "farms_traceability",
    "farms_contracts",
    "deliveries",
    "loans",
    "orders",
    "pledges",
    "data_requests",
    "audit_log",
)


def _count(query) -> int:
    return len(db.session.scalars(query).all())


def _farm_in_use(farm_id: int, table) -> bool:
    return db.session.scalar(select(exists().where(table.farm_id == farm_id)))


def _evidence(farm_ids: list[int], counts: dict[str, int]) -> list[Path]:
    """Drop all field evidence of her plots; returns the photos to delete after the commit."""
    if not farm_ids:
        return []
    evidence = db.session.scalars(
        select(FieldEvidence).where(FieldEvidence.farm_id.in_(farm_ids))
    ).all()
    counts["field_evidence"] = len(evidence)
    photos = [Path(item.photo_path) for item in evidence if item.photo_path]
    db.session.execute(
        delete(ForestDisputeEvidence).where(
            ForestDisputeEvidence.evidence_id.in_([item.id for item in evidence])
        )
    )
    db.session.execute(delete(FieldEvidence).where(FieldEvidence.farm_id.in_(farm_ids)))
    return photos


def _tenure_documents(farm_ids: list[int], counts: dict[str, int]) -> list[Path]:
    """Drop her plots' tenure documents; returns their files to delete after the commit (not
    a file another document still uses: the demo's shared samples)."""
    if not farm_ids:
        return []
    paths = db.session.scalars(
        select(TenureDocument.file_path).where(TenureDocument.farm_id.in_(farm_ids))
    ).all()
    counts["tenure_documents"] = len(paths)
    db.session.execute(delete(TenureDocument).where(TenureDocument.farm_id.in_(farm_ids)))
    shared = db.session.scalars(
        select(TenureDocument.file_path).where(TenureDocument.file_path.in_(set(paths)))
    ).all()
    return [Path(path) for path in sorted(set(paths) - set(shared))]


def _farms(producer: Producer, counts: dict[str, int]) -> None:
    """Remove plots nothing points to; keep delivered ones (traceability) with their geometry,
    and plots under an order or a pledge with their place blurred to about a kilometre."""
    for farm in list(producer.farms):
        delivered = _farm_in_use(farm.id, Delivery) or _farm_in_use(farm.id, LotReview)
        contracted = _farm_in_use(farm.id, Pledge) or _farm_in_use(farm.id, Order)
        if delivered:
            farm.name = f"Parcela {farm.id}"
            counts["farms_traceability"] += 1
        elif contracted:
            farm.name = f"Parcela {farm.id}"
            farm.polygon_geojson = None
            farm.lat, farm.lon = round(farm.lat, 2), round(farm.lon, 2)
            counts["farms_contracts"] += 1
        else:
            # its disputes and deforestation assessments go with it (SQLite does not cascade)
            db.session.execute(delete(ForestDispute).where(ForestDispute.farm_id == farm.id))
            db.session.execute(delete(ForestAssessment).where(ForestAssessment.farm_id == farm.id))
            producer.farms.remove(farm)
            counts["farms"] += 1


def _person(producer: Producer, counts: dict[str, int]) -> None:
    """Replace who she is with a placeholder; the row stays for what points to it."""
    counts["contact"] = int(producer.phone is not None)
    counts["identity"] = 1
    producer.first_name = "Persona"
    producer.last_name = f"anonimizada {producer.id}"
    producer.national_id = f"ANON{producer.id}"[:18]
    producer.phone = None
    producer.sms_opt_in = producer.whatsapp_opt_in = False
    counts["notifications"] += db.session.execute(
        delete(OutboundMessage).where(OutboundMessage.producer_id == producer.id)
    ).rowcount
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.producer_id == producer.id))
    producer.birth_year = None
    producer.gender = Gender.UNDISCLOSED
    producer.erased_at = utcnow()


def _account(user: User | None, counts: dict[str, int]) -> None:
    """Close the account: no sign-in, every session ended, no contact left on it."""
    if user is None:
        return
    counts["account"] = 1
    counts["contact"] += int(bool(user.email or user.phone))
    counts["notifications"] += db.session.execute(
        delete(Notification).where(Notification.user_id == user.id)
    ).rowcount
    counts["notifications"] += db.session.execute(
        delete(OutboundMessage).where(OutboundMessage.user_id == user.id)
    ).rowcount
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id == user.id))
    user.name = "Cuenta eliminada"
    user.email = None
    user.phone = None
    user.active = False
    user.set_password(secrets.token_urlsafe(32))
    user.end_sessions()


def _scrub_audit(producer: Producer, farm_ids: list[int], consent_ids: list[int]) -> int:
    """Keep every audit row about her; replace the personal values in their details."""
    entries = db.session.scalars(audit_entries(producer, farm_ids, consent_ids)).all()
    for entry in entries:
        detail = dict(entry.detail or {})
        if PERSONAL_DETAIL_KEYS & detail.keys():
            entry.detail = {
                key: ANONYMISED if key in PERSONAL_DETAIL_KEYS else value
                for key, value in detail.items()
            }
    return len(entries)


def _keep_records(producer: Producer, counts: dict[str, int]) -> None:
    """Count what stays for the law or a contract; clear the free text on orders."""
    counts["loans"] = _count(select(Loan.id).where(Loan.producer_id == producer.id))
    counts["deliveries"] = _count(select(Delivery.id).where(Delivery.producer_id == producer.id))
    counts["pledges"] = _count(select(Pledge.id).where(Pledge.producer_id == producer.id))
    counts["orders"] = db.session.execute(
        update(Order).where(Order.producer_id == producer.id).values(note="")
    ).rowcount
    counts["data_requests"] = db.session.execute(
        update(DataRequest).where(DataRequest.producer_id == producer.id).values(detail="")
    ).rowcount


def _claim(actor: User, request: DataRequest) -> bool:
    """Move the request from open to done; False when someone already did."""
    result = db.session.execute(
        update(DataRequest)
        .where(DataRequest.id == request.id, DataRequest.status == RequestStatus.OPEN)
        .values(status=RequestStatus.DONE, resolved_at=utcnow(), resolved_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def carry_out(actor: User, request: DataRequest, instance_path: Path) -> dict:
    """Erase the producer of a deletion request; returns the receipt (the stored one when it
    was already carried out)."""
    if request.kind != RequestKind.DELETION:
        raise DomainError(_l("Esta solicitud no es de supresión."))
    if request.status == RequestStatus.REJECTED:
        raise DomainError(_l("Esta solicitud ya fue rechazada."))
    if not _claim(actor, request):
        db.session.rollback()
        db.session.refresh(request)
        return request.receipt or {}
    producer = request.producer
    counts = dict.fromkeys(REMOVED + KEPT, 0)
    farm_ids = [farm.id for farm in producer.farms]
    consents = db.session.scalars(select(Consent).where(Consent.producer_id == producer.id)).all()
    counts["audit_log"] = _scrub_audit(producer, farm_ids, [c.id for c in consents])
    photos = _evidence(farm_ids, counts) + _tenure_documents(farm_ids, counts)
    counts["credit_assessments"] = db.session.execute(
        delete(Assessment).where(Assessment.producer_id == producer.id)
    ).rowcount
    _farms(producer, counts)
    for consent in consents:
        counts["consents"] += int(consent.granted)
        consent.granted, consent.changed_at, consent.changed_by_id = False, utcnow(), actor.id
    _keep_records(producer, counts)
    _person(producer, counts)
    _account(producer.user, counts)
    receipt = {
        "removed": [{"item": code, "count": counts[code]} for code in REMOVED],
        "anonymised": [{"item": code, "count": counts[code]} for code in KEPT],
    }
    db.session.execute(
        update(DataRequest)
        .where(DataRequest.id == request.id)
        .values(receipt=receipt)
        .execution_options(synchronize_session=False)
    )
    audit.record(actor, "privacy.deletion_carried_out", request, producer=producer.id)
    db.session.commit()
    db.session.refresh(request)
    for photo in photos:
        uploads.remove(instance_path, photo)
    return receipt
