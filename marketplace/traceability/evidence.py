"""Field evidence on a farm: a technician's photo, note and date, and where it was taken.

The position comes from the photo's own GPS tags when it has them (EXIF, see exif.py), else
from the phone's position the form sent (the browser's geolocation, with its accuracy in
metres); either way the evidence records which. Evidence taken more than FAR_M from the plot
is flagged on the plot page. Verifying a plot that needed it is a dispute decided by two
reviewers (disputes.py), no longer a single click."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import shapely
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import audit, uploads
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.forest import geometry
from marketplace.models import Farm, FieldEvidence, User
from marketplace.models.base import local_today
from marketplace.models.traceability import PositionSource
from marketplace.traceability import exif

MAX_PHOTO_BYTES = 5 * 1024 * 1024
EARLIEST_VISIT = date(2000, 1, 1)  # before phones took photos in the field: a typo
EVIDENCE_DIR = Path("uploads") / "evidence"  # under the instance folder, never under static/
FAR_M = 500  # evidence taken farther than this from the plot is flagged
MAX_ACCURACY_M = 10_000  # a fix coarser than this places nothing


@dataclass(frozen=True)
class Position:
    """Where the phone was when the evidence was recorded (the form's hidden fields)."""

    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None


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


def _problems(
    note: str, observed_on: date | None, photo: bytes, position: Position, today: date
) -> dict[str, str]:
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
    problems.update(_position_problems(position))
    return problems


def _position_problems(position: Position) -> dict[str, str]:
    lat, lon, accuracy = position.lat, position.lon, position.accuracy_m
    if (lat is None) != (lon is None):
        return {"lat": str(_l("La posición está incompleta: falta la latitud o la longitud."))}
    if lat is not None and not (-90 <= lat <= 90 and math.isfinite(lat)):
        return {"lat": str(_l("La latitud debe estar entre -90 y 90 grados."))}
    if lon is not None and not (-180 <= lon <= 180 and math.isfinite(lon)):
        return {"lon": str(_l("La longitud debe estar entre -180 y 180 grados."))}
    if accuracy is not None and not (0 <= accuracy <= MAX_ACCURACY_M):
        return {"accuracy_m": str(_l("La precisión debe estar entre 0 y 10 000 metros."))}
    return {}


def _where(tags: exif.PhotoTags, position: Position) -> dict:
    """The position to store: the photo's GPS first, else the form's, else none."""
    if tags.lat is not None and not _position_problems(Position(tags.lat, tags.lon)):
        accuracy = tags.accuracy_m
        if accuracy is not None and not 0 <= accuracy <= MAX_ACCURACY_M:
            accuracy = None
        return {
            "lat": tags.lat,
            "lon": tags.lon,
            "accuracy_m": accuracy,
            "position_source": PositionSource.PHOTO,
        }
    if position.lat is not None:
        return {
            "lat": position.lat,
            "lon": position.lon,
            "accuracy_m": position.accuracy_m,
            "position_source": PositionSource.DEVICE,
        }
    return {}


def record_evidence(
    actor: User,
    farm: Farm,
    *,
    note: str,
    observed_on: date | None,
    photo: bytes,
    instance_path: Path,
    position: Position | None = None,
    today: date | None = None,
) -> FieldEvidence:
    """Store a technician's evidence (photo under instance/uploads/evidence/ with a random
    name) with where it was taken; audit-logged. Raises InvalidInput and stores nothing on
    bad input. Without a visit date, the photo's own date stands in."""
    position = position or Position()
    tags = exif.read(photo) if photo and len(photo) <= MAX_PHOTO_BYTES else exif.PhotoTags()
    taken_on = tags.taken_on
    problems = _problems(note, observed_on or taken_on, photo, position, today or local_today())
    if problems:
        raise InvalidInput(problems)
    where = _where(tags, position)
    relative = None
    if photo:
        relative = uploads.store(instance_path, EVIDENCE_DIR, photo, photo_suffix(photo))
    item = FieldEvidence(
        farm_id=farm.id,
        photo_path=str(relative) if relative else None,
        note=note.strip(),
        observed_on=observed_on or taken_on,
        photo_taken_on=taken_on,
        recorded_by_id=actor.id,
        **where,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        actor,
        "farm.evidence_recorded",
        farm,
        evidence_id=item.id,
        photo=bool(photo),
        position=where.get("position_source"),
    )
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()  # before the store forgets the file (it may share the database)
        uploads.remove(instance_path, relative)
        raise
    return item


def distance_m(item: FieldEvidence, farm: Farm) -> float | None:
    """How far from the plot (its outline, else the circle of its point) the evidence was
    taken, in metres: 0 inside it; None when either has no position."""
    if item.lat is None or item.lon is None:
        return None
    plot = geometry.plot_of(farm.lat, farm.lon, farm.polygon_geojson, farm.total_ha)
    if plot is None:
        return None
    # metres in a local flat projection around the evidence: exact enough within kilometres
    scale_x = geometry.M_PER_DEGREE_LAT * math.cos(math.radians(item.lat))
    scale_y = geometry.M_PER_DEGREE_LAT
    local = shapely.transform(plot, lambda xy: (xy - [item.lon, item.lat]) * [scale_x, scale_y])
    return float(shapely.distance(local, shapely.Point(0, 0)))


def is_far(item: FieldEvidence, farm: Farm) -> bool:
    """Taken more than FAR_M from the plot."""
    distance = distance_m(item, farm)
    return distance is not None and distance > FAR_M


def photo_file(item: FieldEvidence, instance_path: Path) -> bytes | None:
    """The stored photo, if it exists and lies in the evidence folder."""
    return uploads.read(instance_path, EVIDENCE_DIR, item.photo_path)
