"""A plot's tenure documents: upload (by the producer, her technician or an admin), review by
an admin (accept, or reject with a reason) and the plot's legality state they give.

A decision is one conditional UPDATE on the document's status (pending -> accepted or
rejected) checked by its rowcount, never read-then-write: two reviewers at once decide once.
Files are stored like field evidence, under instance/uploads/tenure/ with random names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import selectinload

from marketplace import audit, uploads
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.links import path_for
from marketplace.models import Farm, Producer, User
from marketplace.models.base import local_today, utcnow
from marketplace.models.tenure import (
    Legality,
    TenureDocStatus,
    TenureDocument,
    TenureRejection,
)
from marketplace.notifications.services import notify_user
from marketplace.traceability import tenure_rules
from marketplace.traceability.permissions import (
    can_review_tenure_document,
    can_upload_tenure_document,
)
from marketplace.traceability.tenure_rules import RULES, Upload

TENURE_DIR = Path("uploads") / "tenure"  # under the instance folder, never under static/
MAX_NOTE = 1000
QUEUE_SHOWN = 50  # the oldest pending documents on the admin's page


def documents_of(farm: Farm) -> list[TenureDocument]:
    """The plot's documents, newest first."""
    query = (
        select(TenureDocument)
        .where(TenureDocument.farm_id == farm.id)
        .order_by(TenureDocument.created_at.desc(), TenureDocument.id.desc())
        .options(selectinload(TenureDocument.uploaded_by), selectinload(TenureDocument.reviewed_by))
    )
    return list(db.session.scalars(query))


def legality(tenure: str, documents: Iterable[TenureDocument]) -> Legality:
    """The plot's state from its documents: documented when one proving the declared tenure
    was accepted; else in review while one waits; else rejected when the latest decision
    refused one; else without document (an accepted paper for another tenure proves nothing
    about the one declared now)."""
    rows = sorted(documents, key=lambda d: (d.created_at, d.id), reverse=True)
    if any(d.status == TenureDocStatus.ACCEPTED and d.tenure == tenure for d in rows):
        return Legality.DOCUMENTED
    if any(d.status == TenureDocStatus.PENDING for d in rows):
        return Legality.IN_REVIEW
    decided = [d for d in rows if d.status == TenureDocStatus.REJECTED and d.tenure == tenure]
    return Legality.REJECTED if decided else Legality.NONE


def legality_of(farm: Farm) -> Legality:
    """One plot's legality state."""
    return legality(farm.tenure, documents_of(farm))


def legality_by_farm(farms: Iterable[Farm]) -> dict[int, Legality]:
    """Legality per farm id, in one query."""
    farms = list(farms)
    docs: dict[int, list[TenureDocument]] = {f.id: [] for f in farms}
    if farms:
        query = select(TenureDocument).where(TenureDocument.farm_id.in_(docs))
        for doc in db.session.scalars(query):
            docs[doc.farm_id].append(doc)
    return {f.id: legality(f.tenure, docs[f.id]) for f in farms}


def holder_matches(doc: TenureDocument, producer: Producer) -> bool:
    """Whether the document's holder is the plot's producer (shown to the reviewer)."""
    return tenure_rules.holder_matches(doc.holder_name, producer.first_name, producer.last_name)


def upload_document(
    actor: User, farm: Farm, upload: Upload, *, instance_path: Path, today=None
) -> TenureDocument:
    """Store a document for the plot, pending review; audit-logged. Raises InvalidInput and
    stores nothing on bad input; DomainError if the actor may not upload for this plot."""
    if not can_upload_tenure_document(actor, farm):
        raise DomainError(str(_l("No puede subir documentos de esta parcela.")))
    found = tenure_rules.problems(upload, farm.country, farm.tenure, today or local_today())
    suffix = uploads.suffix_of(upload.data, uploads.DOCUMENT_KINDS)
    if len(upload.data) > tenure_rules.MAX_FILE_BYTES:
        found["file"] = str(_l("El archivo pesa más de 5 MB."))
    elif not upload.data:
        found["file"] = str(_l("Adjunte el documento: PDF o foto JPEG o PNG."))
    elif suffix is None:
        found["file"] = str(_l("El documento debe ser un PDF o una foto JPEG o PNG."))
    if found:
        raise InvalidInput(found)
    kind = tenure_rules.TenureDocKind(upload.kind)
    relative = uploads.store(instance_path, TENURE_DIR, upload.data, suffix)
    doc = TenureDocument(
        farm_id=farm.id,
        kind=kind,
        tenure=RULES[kind].tenure,
        number=tenure_rules.normalise_number(kind, upload.number),
        authority=upload.authority.strip()[:120],
        issued_on=upload.issued_on,
        holder_name=" ".join(upload.holder_name.split())[:160],
        file_path=str(relative),
        uploaded_by_id=actor.id,
    )
    try:
        db.session.add(doc)
        db.session.flush()
        audit.record(actor, "farm.tenure_document_uploaded", farm, document_id=doc.id, kind=kind)
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.remove(instance_path, relative)
        raise
    return doc


def document_file(doc: TenureDocument, instance_path: Path) -> bytes | None:
    """The stored file, if it exists and lies in the tenure folder."""
    return uploads.read(instance_path, TENURE_DIR, doc.file_path)


@dataclass(frozen=True)
class Decision:
    """A reviewer's answer: accept, or reject with a reason (and a note for "other")."""

    accept: bool
    reason: str | None = None
    note: str = ""


def _decision_problems(decision: Decision) -> dict[str, str]:
    if decision.accept:
        return {}
    found = {}
    if decision.reason not in TenureRejection.codes():
        found["reason"] = str(_l("Elija el motivo del rechazo."))
    elif decision.reason == TenureRejection.OTHER and not decision.note.strip():
        found["note"] = str(_l("Explique el motivo: el productor lo leerá."))
    if len(decision.note) > MAX_NOTE:
        found["note"] = str(_l("Máximo 1000 caracteres."))
    return found


def review_document(actor: User, doc: TenureDocument, decision: Decision) -> TenureDocument:
    """Accept or reject a pending document; audit-logged; the producer and whoever uploaded
    it are told. Raises DomainError if someone else decided first."""
    if not can_review_tenure_document(actor):
        raise DomainError(str(_l("Solo Minka revisa los documentos de tenencia.")))
    found = _decision_problems(decision)
    if found:
        raise InvalidInput(found)
    status = TenureDocStatus.ACCEPTED if decision.accept else TenureDocStatus.REJECTED
    reason = None if decision.accept else decision.reason
    changed = db.session.execute(
        update(TenureDocument)
        .where(TenureDocument.id == doc.id, TenureDocument.status == TenureDocStatus.PENDING)
        .values(
            status=status,
            reviewed_by_id=actor.id,
            reviewed_at=utcnow(),
            rejection_reason=reason,
            review_note=decision.note.strip(),
        )
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise DomainError(str(_l("Otra persona ya revisó este documento.")))
    db.session.refresh(doc)
    farm = db.session.get(Farm, doc.farm_id)
    action = "farm.tenure_document_accepted" if decision.accept else "farm.tenure_document_rejected"
    holder_ok = holder_matches(doc, farm.producer)
    audit.record(actor, action, farm, document_id=doc.id, reason=reason, holder_matches=holder_ok)
    _notify(doc, farm, actor)
    db.session.commit()
    return doc


def _notify(doc: TenureDocument, farm: Farm, reviewer: User) -> None:
    """The producer (if she has an account) and the uploader (unless the reviewer uploaded)."""
    if doc.status == TenureDocStatus.ACCEPTED:
        kind, params = "tenure.document_accepted", {"farm": farm.name}
    else:
        kind = "tenure.document_rejected"
        params = {"farm": farm.name, "rejection": doc.rejection_reason, "note": doc.review_note}
    link = path_for("traceability.plot", farm_id=farm.id) + "#tenencia"
    recipients = {farm.producer.user_id, doc.uploaded_by_id} - {None, reviewer.id}
    for user_id in sorted(recipients):
        notify_user(user_id, kind, link, **params)


@dataclass(frozen=True)
class QueueRow:
    """One pending document in the admin's queue, with its plot and the name check."""

    document: TenureDocument
    farm: Farm
    holder_ok: bool


def review_queue() -> list[QueueRow]:
    """The QUEUE_SHOWN oldest pending documents, with their plots (an admin's list)."""
    query = (
        select(TenureDocument, Farm)
        .join(Farm, Farm.id == TenureDocument.farm_id)
        .where(_pending())
        .order_by(TenureDocument.created_at, TenureDocument.id)
        .options(selectinload(Farm.producer))
        .limit(QUEUE_SHOWN)
    )
    return [
        QueueRow(doc, farm, holder_matches(doc, farm.producer))
        for doc, farm in db.session.execute(query)
    ]


def pending_count() -> int:
    """How many documents wait for an admin's review."""
    query = select(func.count(TenureDocument.id)).where(_pending())
    return db.session.scalar(query) or 0


def _pending():
    """Pending documents, the status written into the statement: SQLite can read the
    partial index of pending documents only for a literal, not a bound value (with the index
    on status it had sorted all 54,055 pending documents of the million-producer world:
    100 ms; 864 ms p95 under load)."""
    return TenureDocument.status == literal(TenureDocStatus.PENDING.value, literal_execute=True)
