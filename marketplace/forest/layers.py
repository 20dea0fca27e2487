"""Forest-change layers: vector polygons into ForestArea rows, rasters registered by window.

A vector layer is a GeoJSON FeatureCollection of (Multi)Polygons in WGS84, each with a
`loss_year` (int) or `forest: true` property. A raster layer is a GeoTIFF in EPSG:4326 whose
content is declared on import (RasterContent: loss_year, tree_cover_2000, forest_2020,
commodity, alerts) and checked (rasters.py); the file is kept under the instance folder by
its sha256 and only its description goes into the database: plots read their own window.

A legal layer (protected areas, indigenous territories: LegalKind, declared) is a GeoJSON of
named (Multi)Polygons; the property holding each area's name is named on import
(`name_field`), and so, when the source has them, those of its category, IUCN category and
designation (`fields`). Each area goes into legal_area with its bounding box (legality.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import shapely
from flask import current_app
from flask_babel import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, select

from marketplace import audit, uploads
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import rasters, risk
from marketplace.forest.geometry import names_other_crs
from marketplace.models.accounts import User
from marketplace.models.traceability import (
    ForestArea,
    ForestLayer,
    LayerKind,
    LegalArea,
    LegalKind,
    RasterContent,
)

RASTER_SUFFIXES = (".tif", ".tiff")
KINDS = (LayerKind.VECTOR, *RasterContent, *LegalKind)
FIELD_LENGTHS = {"name": 200, "category": 120, "iucn_category": 20, "designation": 200}


@dataclass(frozen=True)
class LegalFields:
    """The properties of a legal layer's features that hold each area's name (required) and,
    when the source has them, its category, IUCN category and designation."""

    name: str
    category: str = ""
    iucn_category: str = ""
    designation: str = ""


@dataclass(frozen=True)
class Area:
    """One polygon to store: loss in `loss_year`, or forest cover when it is None."""

    loss_year: int | None
    geometry: BaseGeometry


def import_layer(
    path: str | Path,
    name: str | None = None,
    kind: str | None = None,
    actor: User | None = None,
    version: str = "",
    fields: LegalFields | None = None,
) -> ForestLayer:
    """Read a layer file, store it (audit-logged) and re-assess every farm."""
    layer = load_layer(path, name, kind, actor, version, fields)
    db.session.commit()
    risk.assess_all()
    return layer


def load_layer(
    path: str | Path,
    name: str | None = None,
    kind: str | None = None,
    actor: User | None = None,
    version: str = "",
    fields: LegalFields | None = None,
) -> ForestLayer:
    """Read a layer file and add it to the session (audit-logged; no commit). A GeoTIFF
    needs its content declared as `kind`; a GeoJSON is `vector`, or a legal layer
    (`protected_area`, `indigenous_territory`) with the `fields` its names are read from."""
    path = Path(path)
    raster_file = path.suffix.lower() in RASTER_SUFFIXES
    if kind is None and raster_file:
        raise DomainError(_declare(), "kind")
    kind = kind or LayerKind.VECTOR
    if kind not in KINDS:
        raise DomainError(_declare(), "kind")
    if kind in LegalKind.codes():
        if raster_file:
            raise DomainError(
                _("Una capa legal es un GeoJSON de polígonos, no un GeoTIFF."), "kind"
            )
        if fields is None or not fields.name.strip():
            raise DomainError(_name_field_needed(), "name_field")
    elif fields is not None:
        raise DomainError(_("Solo las capas legales leen campos de nombre."), "name_field")
    if not path.is_file():
        raise DomainError(_("No se encuentra el archivo %(path)s.", path=str(path)), "path")
    if kind in LegalKind.codes():
        return _load_legal(path, name, kind, actor, version, fields)
    if kind == LayerKind.VECTOR:
        return _load_vector(path, name, actor, version)
    return _load_raster(path, name, kind, actor, version)


def _declare() -> str:
    return _(
        "Declare qué contiene la capa: «vector» (GeoJSON de pérdida o bosque), %(legal)s "
        "(GeoJSON con el nombre de cada área) o, para un GeoTIFF, %(kinds)s. El tipo nunca se "
        "adivina.",
        legal=", ".join(f"«{k}»" for k in LegalKind),
        kinds=", ".join(f"«{k}»" for k in RasterContent),
    )


def _name_field_needed() -> str:
    return _(
        "Indique qué propiedad de cada elemento tiene el nombre del área (por ejemplo "
        "--name-field NOMBRE)."
    )


def _load_legal(
    path: Path, name: str | None, kind: str, actor: User | None, version: str,
    fields: LegalFields,
) -> ForestLayer:  # fmt: skip
    rows = read_legal(path, fields)
    layer = ForestLayer(
        name=(name or path.stem)[:120],
        kind=LayerKind.LEGAL,
        content=kind,
        source=path.name[:300],
        version=version[:40],
        imported_by_id=actor.id if actor else None,
    )
    db.session.add(layer)
    db.session.flush()
    db.session.execute(
        LegalArea.__table__.insert(), [{**row, "layer_id": layer.id} for row in rows]
    )
    audit.record(
        actor, "forest.imported", layer, kind=kind, areas=len(rows), source=path.name,
        name_field=fields.name,
    )  # fmt: skip
    return layer


def _load_vector(path: Path, name: str | None, actor: User | None, version: str) -> ForestLayer:
    areas = list(read_vector(path))
    if not areas:
        raise DomainError(_("La capa no tiene ningún polígono de pérdida ni de bosque."), "path")
    layer = ForestLayer(
        name=(name or path.stem)[:120],
        kind=LayerKind.VECTOR,
        source=path.name[:300],
        version=version[:40],
        imported_by_id=actor.id if actor else None,
    )
    db.session.add(layer)
    db.session.flush()
    db.session.execute(ForestArea.__table__.insert(), [_area_row(layer.id, area) for area in areas])
    audit.record(actor, "forest.imported", layer, kind="vector", areas=len(areas), source=path.name)
    return layer


def _load_raster(
    path: Path, name: str | None, content: str, actor: User | None, version: str
) -> ForestLayer:
    info = rasters.inspect(path, content)
    relative, sha = rasters.store(path, Path(current_app.config["MINKA_INSTANCE_PATH"]))
    min_lon, min_lat, max_lon, max_lat = info.bounds
    layer = ForestLayer(
        name=(name or path.stem)[:120],
        kind=LayerKind.RASTER,
        content=content,
        source=path.name[:300],
        version=version[:40],
        path=relative,
        sha256=sha,
        crs=info.crs,
        width=info.width,
        height=info.height,
        pixel_deg=info.pixel_deg,
        nodata=info.nodata,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
        imported_by_id=actor.id if actor else None,
    )
    db.session.add(layer)
    db.session.flush()
    audit.record(
        actor, "forest.imported", layer, kind=content, sha256=sha, source=path.name,
        size=f"{info.width}x{info.height}",
    )  # fmt: skip
    return layer


def remove_layer(layer_id: int, actor: User | None = None) -> ForestLayer:
    """Delete a layer and its areas (audit-logged), then re-assess every farm."""
    layer = db.session.get(ForestLayer, layer_id)
    if layer is None:
        raise DomainError(_("No existe la capa %(id)s.", id=layer_id), "id")
    audit.record(actor, "forest.removed", layer, name=layer.name)
    db.session.execute(delete(ForestArea).where(ForestArea.layer_id == layer.id))
    db.session.execute(delete(LegalArea).where(LegalArea.layer_id == layer.id))
    db.session.delete(layer)
    db.session.commit()
    risk.assess_all()
    return layer


def share_rasters() -> tuple[int, list[str]]:
    """Copy this host's raster files into the file store (rasters imported before the hosts
    shared one), each checked against its sha256: (files copied, layers whose file this host
    does not have or has changed)."""
    instance = Path(current_app.config["MINKA_INSTANCE_PATH"])
    store = uploads.file_store(instance)
    copied, missing = 0, []
    for layer in db.session.scalars(
        select(ForestLayer).where(ForestLayer.path.is_not(None)).order_by(ForestLayer.id)
    ):
        path = instance / layer.path
        if not path.is_file() or rasters.sha256_of(path) != layer.sha256:
            missing.append(f"{layer.id} {layer.name}")
            continue
        store.put_file(layer.path, path)
        copied += 1
    db.session.commit()
    return copied, missing


def layer_summaries() -> list[tuple[ForestLayer, int, int | None, int | None]]:
    """Each layer with its number of areas and its first and last loss year."""
    legal = dict(
        db.session.execute(
            select(LegalArea.layer_id, func.count(LegalArea.id)).group_by(LegalArea.layer_id)
        ).all()
    )
    counts = (
        select(
            ForestArea.layer_id,
            func.count(ForestArea.id),
            func.min(ForestArea.loss_year),
            func.max(ForestArea.loss_year),
        )
        .group_by(ForestArea.layer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ForestLayer, counts.c[1], counts.c[2], counts.c[3])
        .outerjoin(counts, counts.c.layer_id == ForestLayer.id)
        .order_by(ForestLayer.id)
    )
    return [(layer, n or legal.get(layer.id, 0), first, last) for layer, n, first, last in rows]


def _area_row(layer_id: int, area: Area) -> dict:
    min_lon, min_lat, max_lon, max_lat = area.geometry.bounds
    return {
        "layer_id": layer_id,
        "loss_year": area.loss_year,
        "geometry": mapping(area.geometry),
        "min_lat": min_lat,
        "max_lat": max_lat,
        "min_lon": min_lon,
        "max_lon": max_lon,
    }


def _wrong_crs() -> DomainError:
    return DomainError(_("La capa debe estar en WGS84 (EPSG:4326)."), "path")


# --- vector -------------------------------------------------------------------------------


def read_vector(path: Path) -> Iterator[Area]:
    """The areas of a GeoJSON FeatureCollection; a clear DomainError on the first bad feature."""
    for number, feature in enumerate(_features(path), start=1):
        yield _vector_area(number, feature)


def _features(path: Path) -> list:
    """The features of a GeoJSON FeatureCollection in WGS84, or a clear DomainError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise DomainError(_("El archivo no es un GeoJSON válido."), "path") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DomainError(_("El GeoJSON debe ser una FeatureCollection."), "path")
    if names_other_crs(data):
        raise _wrong_crs()
    return data.get("features") or []


def _bad(number: int, message: str) -> DomainError:
    return DomainError(_("Elemento %(n)d: %(problem)s", n=number, problem=message), "path")


def _vector_area(number: int, feature: object) -> Area:
    geometry = _polygon_of(number, feature)
    properties = feature.get("properties") or {}
    year = properties.get("loss_year")
    if isinstance(year, int) and not isinstance(year, bool) and 1980 <= year <= 2100:
        return Area(year, geometry)
    if year is None and properties.get("forest") is True:
        return Area(None, geometry)
    raise _bad(number, _("falta «loss_year» (un año) o «forest»: true."))


def _polygon_of(number: int, feature: object) -> BaseGeometry:
    """A feature's (Multi)Polygon, made valid; a clear DomainError if it is none."""

    def bad(message: str) -> DomainError:
        return _bad(number, message)

    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        raise bad(_("no tiene geometría."))
    if feature["geometry"].get("type") not in ("Polygon", "MultiPolygon"):
        raise bad(_("la geometría debe ser un polígono."))
    try:
        geometry = shape(feature["geometry"])
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError):
        raise bad(_("la geometría no se puede leer.")) from None
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if min_lon < -180 or max_lon > 180 or min_lat < -90 or max_lat > 90:
        raise _wrong_crs()
    geometry = _polygonal(shapely.make_valid(geometry))
    if geometry.is_empty:
        raise bad(_("el polígono está vacío."))
    return geometry


def read_legal(path: Path, fields: LegalFields) -> list[dict]:
    """The legal_area rows (without layer_id) of a GeoJSON of named areas; a clear
    DomainError on the first bad feature or on a declared field no feature has."""
    features = _features(path)
    if not features:
        raise DomainError(_("La capa no tiene ningún polígono."), "path")
    rows, seen = [], set()
    declared = {key: value.strip() for key, value in asdict(fields).items() if value.strip()}
    for number, feature in enumerate(features, start=1):
        geometry = _polygon_of(number, feature)
        properties = feature.get("properties") or {}
        label = properties.get(declared["name"])
        if not isinstance(label, str | int) or isinstance(label, bool) or not str(label).strip():
            raise _bad(
                number,
                _("falta la propiedad «%(field)s» con el nombre del área.", field=declared["name"]),
            )
        row = {key: "" for key in FIELD_LENGTHS}
        for key, prop in declared.items():
            value = properties.get(prop)
            if value is not None and str(value).strip():
                row[key] = str(value).strip()[: FIELD_LENGTHS[key]]
                seen.add(key)
        min_lon, min_lat, max_lon, max_lat = geometry.bounds
        row.update(geometry=mapping(geometry), min_lat=min_lat, max_lat=max_lat,
                   min_lon=min_lon, max_lon=max_lon)  # fmt: skip
        rows.append(row)
    missing = [prop for key, prop in declared.items() if key not in seen]
    if missing:
        raise DomainError(
            _("Ningún elemento tiene la propiedad «%(field)s»: revise el nombre del campo.",
              field=missing[0]),
            "path",
        )  # fmt: skip
    return rows


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts (make_valid may add stray lines or points)."""
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()
