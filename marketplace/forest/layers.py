"""Forest-change layers: importing vector or raster tree-cover loss into ForestArea rows.

A vector layer is a GeoJSON FeatureCollection of (Multi)Polygons in WGS84, each with a
`loss_year` (int) or `forest: true` property. A raster layer is a GeoTIFF in EPSG:4326 whose
pixels hold the loss year like Hansen's Global Forest Change `lossyear` (1..24 = 2001..2024,
0 = no loss); it is read in windows and each year's pixels in a window become one polygon.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from flask_babel import gettext as _
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, func, select

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forest import risk
from marketplace.forest.geometry import names_other_crs
from marketplace.models.accounts import User
from marketplace.models.traceability import ForestArea, ForestLayer, LayerKind

RASTER_SUFFIXES = (".tif", ".tiff")
WINDOW_PX = 512  # raster read in square windows: bounded memory, compact polygons per window
HANSEN_BASE_YEAR = 2000  # lossyear pixel value v means loss in 2000 + v


@dataclass(frozen=True)
class Area:
    """One polygon to store: loss in `loss_year`, or forest cover when it is None."""

    loss_year: int | None
    geometry: BaseGeometry


def import_layer(
    path: str | Path, name: str | None = None, kind: str | None = None, actor: User | None = None
) -> ForestLayer:
    """Read a layer file, store it with its areas (audit-logged) and re-assess every farm."""
    layer = load_layer(path, name, kind, actor)
    db.session.commit()
    risk.assess_all()
    return layer


def load_layer(
    path: str | Path, name: str | None = None, kind: str | None = None, actor: User | None = None
) -> ForestLayer:
    """Read a layer file and add it with its areas to the session (audit-logged; no commit)."""
    path = Path(path)
    kind = kind or (LayerKind.RASTER if path.suffix.lower() in RASTER_SUFFIXES else "vector")
    if kind not in (LayerKind.VECTOR, LayerKind.RASTER):
        raise DomainError(_("El tipo de capa debe ser «vector» o «raster»."), "kind")
    if not path.is_file():
        raise DomainError(_("No se encuentra el archivo %(path)s.", path=str(path)), "path")
    areas = list(read_raster(path) if kind == LayerKind.RASTER else read_vector(path))
    if not areas:
        raise DomainError(_("La capa no tiene ningún polígono de pérdida ni de bosque."), "path")
    layer = ForestLayer(
        name=(name or path.stem)[:120],
        kind=kind,
        source=path.name[:300],
        imported_by_id=actor.id if actor else None,
    )
    db.session.add(layer)
    db.session.flush()
    db.session.execute(ForestArea.__table__.insert(), [_area_row(layer.id, area) for area in areas])
    audit.record(actor, "forest.imported", layer, kind=kind, areas=len(areas), source=layer.source)
    return layer


def remove_layer(layer_id: int, actor: User | None = None) -> ForestLayer:
    """Delete a layer and its areas (audit-logged), then re-assess every farm."""
    layer = db.session.get(ForestLayer, layer_id)
    if layer is None:
        raise DomainError(_("No existe la capa %(id)s.", id=layer_id), "id")
    audit.record(actor, "forest.removed", layer, name=layer.name)
    db.session.execute(delete(ForestArea).where(ForestArea.layer_id == layer.id))
    db.session.delete(layer)
    db.session.commit()
    risk.assess_all()
    return layer


def layer_summaries() -> list[tuple[ForestLayer, int, int | None, int | None]]:
    """Each layer with its number of areas and its first and last loss year."""
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
    return [(layer, n or 0, first, last) for layer, n, first, last in rows]


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
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise DomainError(_("El archivo no es un GeoJSON válido."), "path") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DomainError(_("El GeoJSON debe ser una FeatureCollection."), "path")
    if names_other_crs(data):
        raise _wrong_crs()
    for number, feature in enumerate(data.get("features") or [], start=1):
        yield _vector_area(number, feature)


def _vector_area(number: int, feature: object) -> Area:
    def bad(message: str) -> DomainError:
        return DomainError(_("Elemento %(n)d: %(problem)s", n=number, problem=message), "path")

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
    properties = feature.get("properties") or {}
    year = properties.get("loss_year")
    if isinstance(year, int) and not isinstance(year, bool) and 1980 <= year <= 2100:
        return Area(year, geometry)
    if year is None and properties.get("forest") is True:
        return Area(None, geometry)
    raise bad(_("falta «loss_year» (un año) o «forest»: true."))


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts (make_valid may add stray lines or points)."""
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


# --- raster -------------------------------------------------------------------------------


def read_raster(path: Path) -> Iterator[Area]:
    """Per window, one polygon per loss year from a loss-year GeoTIFF in EPSG:4326."""
    import rasterio
    from affine import Affine
    from rasterio.errors import RasterioIOError
    from rasterio.features import shapes
    from rasterio.windows import Window

    try:
        source = rasterio.open(path)
    except RasterioIOError:
        raise DomainError(_("El archivo no es un GeoTIFF válido."), "path") from None
    with source:
        if source.crs is None or source.crs.to_epsg() != 4326:
            raise _wrong_crs()
        for row in range(0, source.height, WINDOW_PX):
            for col in range(0, source.width, WINDOW_PX):
                window = Window(
                    col,
                    row,
                    min(WINDOW_PX, source.width - col),
                    min(WINDOW_PX, source.height - row),
                )
                band = source.read(1, window=window, masked=True)
                years = np.ma.filled(band, 0).astype("int32")
                years[(years < 1) | (years > 99)] = 0
                if not years.any():
                    continue
                # not source.window_transform: rasterio 1.4 still uses affine's deprecated `*`
                transform = source.transform @ Affine.translation(col, row)
                yield from _window_areas(shapes(years, mask=years > 0, transform=transform))


def _window_areas(polygons: Iterator[tuple[dict, float]]) -> Iterator[Area]:
    by_year: dict[int, list[BaseGeometry]] = {}
    for geometry, value in polygons:
        by_year.setdefault(int(value), []).append(shape(geometry))
    for value, parts in sorted(by_year.items()):
        yield Area(HANSEN_BASE_YEAR + value, shapely.union_all(parts))
