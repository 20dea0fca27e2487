"""Field evidence on a farm (a technician's photo, note and date) and the verification of a
farm that needed it (risk needs_verification -> verified) by an admin or a buyer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from marketplace import audit, uploads
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.forest import overlaps, reviews
from marketplace.models import Farm, FieldEvidence, User
from marketplace.models.base import local_today, utcnow
from marketplace.models.traceability import RiskStatus

MAX_PHOTO_BYTES = 5 * 1024 * 1024
EARLIEST_VISIT = date(2000, 1, 1)  # before phones took photos in the field: a typo
EVIDENCE_DIR = Path("uploads") / "evidence"  # under the instance folder, never under static/


def photo_suffix(data: bytes) -> str | None:
    """ ".jpg" or ".png" from the file's first bytes (not its name); None for anything else."""
    return uploads.suffix_of(data, (uploads.JPEG, uploads.PNG))


def evidence_of(farm: Farm) -> list[FieldEvidence]:
    """The farm's evidence, newest observation first."""
    query = (
        select(FieldEvidence)
        .where(FieldEvidence.farm_id == farm.id)
        .order_by(FieldEvidence.observed_on.desc(), FieldEvidence.id.desc())
        .options(selectinload(FieldEvidence.recorded_by))
    )
    return list(db.session.scalars(query))


def _problems(note: str, observed_on: date | None, photo: bytes, today: date) -> dict[str, str]:
    problems = {}
    if observed_on is None:
        problems["observed_on"] = str(_l("Indique la fecha de la visita."))
    elif observed_on > today:
        problems["observed_on"] = str(_l("La fecha no puede ser futura."))
    elif observed_on < EARLIEST_VISIT:
        problems["observed_on"] = str(_l("Revise la fecha: es anterior al año 2000."))
    if photo and len(photo) > MAX_PHOTO_BYTES:
        problems["photo"] = str(_l("La foto pesa más de 5 MB."))
    elif photo and photo_suffix(photo) is None:
        problems["photo"] = str(_l("La foto debe ser JPEG o PNG."))
    if not photo and not note.strip():
        problems["note"] = str(_l("Escriba una nota o adjunte una foto."))
    return problems


def record_evidence(
    actor: User,
    farm: Farm,
    *,
    note: str,
    observed_on: date | None,
    photo: bytes,
    instance_path: Path,
    today: date | None = None,
) -> FieldEvidence:
    """Store a technician's evidence (photo under instance/uploads/evidence/ with a random
    name); audit-logged. Raises InvalidInput and stores nothing on bad input."""
    problems = _problems(note, observed_on, photo, today or local_today())
    if problems:
        raise InvalidInput(problems)
    relative = None
    if photo:
        relative = uploads.store(instance_path, EVIDENCE_DIR, photo, photo_suffix(photo))
    item = FieldEvidence(
        farm_id=farm.id,
        photo_path=str(relative) if relative else None,
        note=note.strip(),
        observed_on=observed_on,
        recorded_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "farm.evidence_recorded", farm, evidence_id=item.id, photo=bool(photo))
    try:
        db.session.commit()
    except Exception:
        uploads.remove(instance_path, relative)
        raise
    return item


def photo_file(item: FieldEvidence, instance_path: Path) -> Path | None:
    """The stored photo's path, if it exists and lies under the evidence folder."""
    return uploads.stored_file(instance_path, EVIDENCE_DIR, item.photo_path)


def verify_farm(actor: User, farm: Farm) -> Farm:
    """Accept the field evidence: needs_verification -> verified; audit-logged.

    The status test is part of the UPDATE so two verifiers at once record it only once."""
    count = len(evidence_of(farm))
    if count == 0:
        raise DomainError(str(_l("Primero un técnico debe registrar evidencia de campo.")))
    if overlaps.open_pairs([farm.id]):
        raise DomainError(
            str(
                _l(
                    "La parcela se superpone con la de otro productor: corrijan el contorno "
                    "que esté mal; la evidencia de campo no resuelve una superposición."
                )
            )
        )
    changed = db.session.execute(
        update(Farm)
        .where(Farm.id == farm.id, Farm.risk_status == RiskStatus.NEEDS_VERIFICATION)
        .values(
            risk_status=RiskStatus.VERIFIED, risk_verified_at=utcnow(), risk_verified_by_id=actor.id
        )
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise DomainError(str(_l("Esta finca no está pendiente de verificación.")))
    audit.record(actor, "farm.risk_verified", farm, evidence=count)
    db.session.refresh(farm)
    reviews.flag_after_reassessment(farm)  # an improvement flags nothing; kept for the rule
    db.session.commit()
    return farm
