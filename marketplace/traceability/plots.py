"""A farm's outline ("parcela"): saving a drawn or uploaded polygon, and whether the farm is
ready for a due-diligence export. Who may see or draw it: traceability.permissions.

Readiness is one decision shared by the plot page, the producer's page, the buyer's map and
the export: a captured outline is exported as captured (Polygon or MultiPolygon, any size)
once it passes the EU's rules at six decimals; without one, a plot of at most 4 ha goes as a
Point with its Area and a bigger one is pending. Holes are refused at upload (not split: the
technician knows which part is not the farm); near-duplicate vertices are dropped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import geometry, risk
from marketplace.forest.geometry import GeometryError
from marketplace.i18n import number
from marketplace.models import Farm, User
from marketplace.models.traceability import RiskStatus

POLYGON_REQUIRED_ABOVE_HA = 4.0
AREA_TOLERANCE = 0.20  # warn when the outline's area differs from the declared ha by more

MESSAGES = {
    "not_geojson": _l("Minka no puede leer ese contorno: vuelva a dibujarlo o suba otro archivo."),
    "not_kml": _l("Minka no puede leer ese archivo: vuelva a guardarlo desde su GPS."),
    "xml_entities": _l("El archivo trae contenido que Minka no acepta: vuelva a guardarlo."),
    "not_polygon": _l("El archivo trae puntos o líneas, no el contorno cerrado de la finca."),
    "one_feature": _l("El archivo debe traer un solo contorno."),
    "too_few_points": _l("Cada borde necesita al menos tres puntos distintos."),
    "holes": _l(
        "El contorno tiene huecos (un borde dentro de otro). El sistema de la Unión Europea no "
        "los acepta: dibuje solo el borde exterior, o cada parte de la finca por separado."
    ),
    "bad_coordinates": _l("Hay coordenadas que no son números (longitud, latitud)."),
    "not_closed": _l("El borde no está cerrado: el último punto debe repetir el primero."),
    "too_many_points": _l("El contorno tiene demasiados puntos (máximo 20 000)."),
    "too_large": _l("El archivo pesa más de 2 MB."),
    "unknown_format": _l("Ese tipo de archivo no sirve: suba el contorno que guardó su GPS."),
    "other_crs": _l(
        "El archivo usa otras coordenadas: en su GPS o aplicación, guárdelo con latitud y "
        "longitud en grados."
    ),
    "out_of_range": _l(
        "Hay puntos fuera del mapa: las coordenadas deben ser latitud y longitud en grados."
    ),
    "empty": _l("El contorno no encierra ninguna superficie."),
    "invalid": _l("El contorno se cruza consigo mismo o no es válido (cerca de %(detail)s)."),
    "outside_country": _l("El contorno está fuera del país de la finca."),
    "far_from_district": _l("El contorno está lejos del distrito de la finca."),
    "unknown_district": _l("El distrito de la finca no es válido: corríjalo primero."),
    "missing": _l("Dibuje el contorno en el mapa o suba el archivo de su GPS."),
}
OUTLINE_CHANGED = _l(
    "Otra persona guardó un contorno de esta finca después de que usted abrió la página. "
    "Mire el contorno que está guardado ahora y, si el suyo es el correcto, guárdelo otra vez."
)


def geometry_message(error: GeometryError) -> str:
    """The Spanish message for a refused outline (for an invalid one, where: "lat, lon")."""
    detail = error.detail
    where = re.search(r"\[(-?[\d.e+-]+) (-?[\d.e+-]+)\]", detail)  # shapely: "Reason[x y]"
    if where:
        detail = f"{float(where[2]):.6f}, {float(where[1]):.6f}"
    return str(MESSAGES.get(error.code, MESSAGES["invalid"])) % {"detail": detail}


class Pending(StrEnum):
    """Why a plot cannot enter a geolocation file yet."""

    NEEDS_OUTLINE = "needs_outline"
    OUTLINE_HOLES = "outline_holes"
    OUTLINE_INVALID = "outline_invalid"


@dataclass(frozen=True)
class Readiness:
    """A plot's export geometry (six decimals) and area, or why it is pending."""

    geometry: dict | None
    area_ha: float
    pending: Pending | None = None

    @property
    def ready(self) -> bool:
        return self.pending is None


PENDING_MESSAGES = {
    Pending.NEEDS_OUTLINE: _l(
        "La parcela mide %(area)s ha y no tiene contorno: el técnico de la cooperativa debe "
        "dibujarlo o subirlo."
    ),
    Pending.OUTLINE_HOLES: _l(
        "El contorno guardado tiene huecos, que el sistema de la UE no acepta: el técnico de "
        "la cooperativa debe volver a dibujarlo sin huecos."
    ),
    Pending.OUTLINE_INVALID: _l(
        "El contorno guardado no es válido con 6 decimales (se cruza consigo mismo o le "
        "faltan puntos): el técnico de la cooperativa debe volver a dibujarlo."
    ),
}


def pending_message_of(ready: Readiness) -> str:
    """Why a plot is pending and who must do what, in the reader's language."""
    return str(PENDING_MESSAGES[ready.pending]) % {"area": number(ready.area_ha, 1)}


def plot_id(farm: Farm) -> str:
    """The plot's ProductionPlace: a stable id unique across Minka, then the farm's name."""
    return f"{farm.country}-FARM-{farm.id:06d} {farm.name}"


def readiness(farm: Farm) -> Readiness:
    """The plot as the EU file would carry it: its captured outline, else a point up to 4 ha."""
    if farm.polygon_geojson:
        area = farm.polygon_area_ha if farm.polygon_area_ha is not None else farm.total_ha
        try:
            shape = geometry.stored_outline(farm.polygon_geojson)
        except GeometryError as error:
            reason = Pending.OUTLINE_HOLES if error.code == "holes" else Pending.OUTLINE_INVALID
            return Readiness(None, area, reason)
        return Readiness(geometry.to_geojson(shape), area)
    if farm.total_ha > POLYGON_REQUIRED_ABOVE_HA:
        return Readiness(None, farm.total_ha, Pending.NEEDS_OUTLINE)
    point = {"type": "Point", "coordinates": [round(farm.lon, 6), round(farm.lat, 6)]}
    return Readiness(point, farm.total_ha)


def export_ready(farm: Farm) -> bool:
    """Whether the plot enters a due-diligence file today (see readiness)."""
    return readiness(farm).ready


def area_differs(farm: Farm) -> bool:
    """True when the outline's area is more than 20 % off the declared total hectares."""
    if farm.polygon_area_ha is None or farm.total_ha <= 0:
        return False
    return abs(farm.polygon_area_ha - farm.total_ha) > AREA_TOLERANCE * farm.total_ha


@dataclass(frozen=True)
class OutlineInput:
    """What the plot form sent: a drawn/pasted GeoJSON text, or an uploaded file. A walked
    outline (corners averaged from the phone's GPS) carries its corners' mean accuracy."""

    text: str = ""
    drawn: bool = False
    filename: str = ""
    data: bytes = b""
    walked: bool = False
    accuracy_m: float | None = None
    # outline_version of the outline the form was opened on; None: not said (no check)
    based_on: str | None = None


def _parse(outline: OutlineInput):
    if outline.filename and outline.data:
        return geometry.parse_upload(outline.filename, outline.data)
    if outline.text.strip():
        if len(outline.text.encode()) > geometry.MAX_UPLOAD_BYTES:
            raise GeometryError("too_large")
        source = "walked" if outline.walked else "drawn" if outline.drawn else "geojson"
        return geometry.parse_geojson(outline.text), source
    raise GeometryError("missing")


def outline_version(farm: Farm) -> str:
    """A short fingerprint of the farm's stored outline ("" without one): what a form was
    opened on, so a save made from an older page (a phone's queue) does not overwrite an
    outline saved since."""
    if not farm.polygon_geojson:
        return ""
    text = json.dumps(farm.polygon_geojson, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_outline(actor: User, farm: Farm, outline: OutlineInput) -> Farm:
    """Validate and store a farm's outline with its geodesic area; audit-logged.

    A new outline voids the previous risk assessment (the risk part assesses it again).
    Raises DomainError (field "outline") and saves nothing when the outline is refused, or
    when another outline was saved since the form was opened."""
    if outline.based_on is not None and outline.based_on != outline_version(farm):
        raise DomainError(OUTLINE_CHANGED, "outline")
    try:
        shape, source = _parse(outline)
        shape = geometry.check_plot(shape, farm.country, farm.district_code)
    except GeometryError as error:
        raise DomainError(geometry_message(error), "outline") from None
    previous_area = farm.polygon_area_ha
    farm.polygon_geojson = geometry.to_geojson(shape)
    farm.polygon_area_ha = round(geometry.geodesic_area_ha(shape), 4)
    farm.polygon_source = source
    walked = source == "walked" and outline.accuracy_m is not None
    farm.polygon_accuracy_m = round(outline.accuracy_m, 1) if walked else None
    _reset_risk(farm)
    audit.record(
        actor,
        "farm.polygon_saved",
        farm,
        source=source,
        accuracy_m=farm.polygon_accuracy_m,
        area_ha=farm.polygon_area_ha,
        previous_area_ha=previous_area,
        declared_ha=farm.total_ha,
    )
    db.session.commit()
    return farm


def remove_outline(actor: User, farm: Farm) -> None:
    """Delete a farm's outline (audit-logged)."""
    previous_area = farm.polygon_area_ha
    farm.polygon_geojson = None
    farm.polygon_area_ha = None
    farm.polygon_source = None
    farm.polygon_accuracy_m = None
    _reset_risk(farm)
    audit.record(actor, "farm.polygon_removed", farm, previous_area_ha=previous_area)
    db.session.commit()


def _reset_risk(farm: Farm) -> None:
    """A new outline is a new plot: a past verification no longer holds; assess it again."""
    farm.risk_status = RiskStatus.UNASSESSED
    farm.risk_loss_ha = None
    farm.risk_loss_share = None
    farm.risk_assessed_at = None
    farm.risk_verified_at = None
    farm.risk_verified_by_id = None
    risk.assess(farm)
