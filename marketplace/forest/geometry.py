"""Farm outlines: parse GeoJSON or KML, validate, compute the geodesic area (pure functions).

No Flask and no database here. Errors are raised as GeometryError with a code (see
MESSAGES in traceability.plots for the Spanish text) so the web layer translates them.

"Inside the country": Minka has no country boundaries, only the gazetteer's coarse country
boxes and each district's seat with a plausible radius. An outline must lie wholly inside the
country's box and its centre must be near the farm's district seat
(gazetteer.check_coordinates); that rejects plots in neighbouring countries, which are far
from any district the farm declares, without shipping boundary files.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from marketplace import gazetteer

__all__ = [
    "GeometryError",
    "MAX_UPLOAD_BYTES",
    "check_plot",
    "circles",
    "cleaned",
    "stored_outline",
    "geodesic_area_ha",
    "parse_geojson",
    "parse_kml",
    "parse_upload",
    "plot_of",
    "rounded",
    "to_geojson",
]

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
DECIMALS = 6  # EUDR: WGS84 with six decimals (about 0.1 m)
MAX_VERTICES = 20_000
# the names a GeoJSON `crs` member gives WGS84 longitude/latitude (OGC CRS84, EPSG 4326)
WGS84_CRS_NAMES = ("CRS84", ":4326")

_GEOD = Geod(ellps="WGS84")
_FORBIDDEN_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class GeometryError(ValueError):
    """An outline was refused; `code` names the reason, `detail` adds facts for the message."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --- parsing ------------------------------------------------------------------------------


def _ring(coordinates: Any) -> list[tuple[float, float]]:
    """A closed ring of (lon, lat) pairs; refuses open or too short rings and bad numbers."""
    if not isinstance(coordinates, list) or len(coordinates) < 4:
        raise GeometryError("too_few_points")
    points = []
    for position in coordinates:
        if not isinstance(position, list | tuple) or len(position) < 2:
            raise GeometryError("bad_coordinates")
        lon, lat = position[0], position[1]
        if isinstance(lon, bool) or isinstance(lat, bool):
            raise GeometryError("bad_coordinates")
        if not isinstance(lon, int | float) or not isinstance(lat, int | float):
            raise GeometryError("bad_coordinates")
        try:  # a 400-digit integer does not fit a float
            lon, lat = float(lon), float(lat)
        except OverflowError:
            raise GeometryError("bad_coordinates") from None
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise GeometryError("bad_coordinates")
        points.append((lon, lat))
    if points[0] != points[-1]:
        raise GeometryError("not_closed")
    return points


def _polygon(rings: Any) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise GeometryError("bad_coordinates")
    shell, *holes = (_ring(r) for r in rings)
    return Polygon(shell, holes)


def _from_geojson_geometry(geometry: Any) -> Polygon | MultiPolygon:
    if not isinstance(geometry, dict):
        raise GeometryError("not_polygon")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return _polygon(coordinates)
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError("bad_coordinates")
        return MultiPolygon([_polygon(part) for part in coordinates])
    raise GeometryError("not_polygon", str(kind))


def names_other_crs(data: dict) -> bool:
    """Whether a GeoJSON object names a CRS other than WGS84 longitude/latitude.

    RFC 7946 dropped the 2008 format's `crs` member (coordinates are always WGS84), but files
    exported in UTM still carry it: metres read as degrees would put a farm anywhere."""
    if "crs" not in data:
        return False
    crs = data["crs"]
    properties = crs.get("properties") if isinstance(crs, dict) else None
    name = properties.get("name") if isinstance(properties, dict) else None
    return not (isinstance(name, str) and name.endswith(WGS84_CRS_NAMES))


def _refuse_other_crs(data: dict) -> None:
    if names_other_crs(data):
        raise GeometryError("other_crs")


def parse_geojson(text: str | bytes) -> Polygon | MultiPolygon:
    """A Polygon or MultiPolygon from GeoJSON: a geometry, a Feature, or a one-feature
    FeatureCollection."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise GeometryError("not_geojson") from None
    if not isinstance(data, dict):
        raise GeometryError("not_geojson")
    _refuse_other_crs(data)
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise GeometryError("one_feature", str(len(features or [])))
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        _refuse_other_crs(data)
        data = data.get("geometry")
    if isinstance(data, dict):
        _refuse_other_crs(data)
    return _from_geojson_geometry(data)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_ring(element: ET.Element | None) -> list[tuple[float, float]]:
    """The ring of an outerBoundaryIs/innerBoundaryIs element ("lon,lat[,alt] ..." text)."""
    text = ""
    if element is not None:
        for node in element.iter():
            if _local(node.tag) == "coordinates":
                text = node.text or ""
                break
    positions = []
    for token in text.split():
        try:
            positions.append([float(v) for v in token.split(",")[:2]])
        except ValueError:
            raise GeometryError("bad_coordinates") from None
    return _ring(positions)


def _kml_polygon(element: ET.Element) -> Polygon:
    outer = next((c for c in element if _local(c.tag) == "outerBoundaryIs"), None)
    if outer is None:
        raise GeometryError("bad_coordinates")
    holes = [_kml_ring(c) for c in element if _local(c.tag) == "innerBoundaryIs"]
    return Polygon(_kml_ring(outer), holes)


def parse_kml(data: bytes) -> Polygon | MultiPolygon:
    """The polygon(s) of a UTF-8 KML document; documents with a DTD or entities are refused."""
    try:
        data.decode("utf-8")  # other encodings could hide a DOCTYPE from the check below
    except UnicodeDecodeError:
        raise GeometryError("not_kml") from None
    if _FORBIDDEN_XML.search(data):
        raise GeometryError("xml_entities")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise GeometryError("not_kml") from None
    if _local(root.tag) != "kml":
        raise GeometryError("not_kml")
    polygons = [_kml_polygon(e) for e in root.iter() if _local(e.tag) == "Polygon"]
    if not polygons:
        raise GeometryError("not_polygon")
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def parse_upload(filename: str, data: bytes) -> tuple[Polygon | MultiPolygon, str]:
    """Parse an uploaded file by its extension: (geometry, source "geojson" | "kml")."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise GeometryError("too_large")
    name = filename.lower()
    if name.endswith(".kml"):
        return parse_kml(data), "kml"
    if name.endswith((".geojson", ".json")):
        return parse_geojson(data), "geojson"
    raise GeometryError("unknown_format")


# --- validation and measures --------------------------------------------------------------


def rounded(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """The same outline with coordinates rounded to six decimals (re-check validity after)."""
    data = mapping(geometry)

    def walk(value):
        if isinstance(value, tuple | list) and value and isinstance(value[0], float | int):
            return [round(float(value[0]), DECIMALS), round(float(value[1]), DECIMALS)]
        return [walk(v) for v in value]

    return shape({"type": data["type"], "coordinates": walk(data["coordinates"])})


def _clean_ring(coords) -> list[tuple[float, float]]:
    """A ring rounded to six decimals without consecutive repeats (near-duplicates collapse
    there), closed; refused when fewer than 4 positions remain."""
    ring: list[tuple[float, float]] = []
    for x, y, *_ in coords:
        position = (round(float(x), DECIMALS), round(float(y), DECIMALS))
        if not ring or position != ring[-1]:
            ring.append(position)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise GeometryError("too_few_points")
    return ring


def cleaned(geometry: Polygon | MultiPolygon) -> Polygon | MultiPolygon:
    """The outline as the EU system takes it: no holes (refused: "holes"), six decimals,
    no repeated vertex, and still valid after rounding (else "invalid")."""
    parts = list(geometry.geoms) if isinstance(geometry, MultiPolygon) else [geometry]
    if any(len(part.interiors) for part in parts):
        raise GeometryError("holes")
    polygons = [Polygon(_clean_ring(part.exterior.coords)) for part in parts if not part.is_empty]
    if not polygons:
        raise GeometryError("empty")
    result = polygons[0] if isinstance(geometry, Polygon) else MultiPolygon(polygons)
    if not result.is_valid:
        raise GeometryError("invalid", explain_validity(result))
    return result


def _closed_rings(geojson: Any) -> Any:
    """Stored outlines from before the upload checks may leave rings open: close them."""
    if not isinstance(geojson, dict) or not isinstance(geojson.get("coordinates"), list):
        return geojson
    polygons = geojson["coordinates"]
    if geojson.get("type") == "Polygon":
        polygons = [polygons]
    closed = [
        [r + [r[0]] if isinstance(r, list) and r and r[0] != r[-1] else r for r in rings]
        if isinstance(rings, list)
        else rings
        for rings in polygons
    ]
    return geojson | {"coordinates": closed[0] if geojson.get("type") == "Polygon" else closed}


def stored_outline(geojson: dict) -> Polygon | MultiPolygon:
    """A stored outline (a geometry or a Feature of one) cleaned as at upload, or raises."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    return cleaned(_from_geojson_geometry(_closed_rings(geojson)))


def _vertex_count(geometry: Polygon | MultiPolygon) -> int:
    parts = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    return sum(len(p.exterior.coords) + sum(len(r.coords) for r in p.interiors) for p in parts)


def check_plot(
    geometry: Polygon | MultiPolygon, country: str, district_code: str
) -> Polygon | MultiPolygon:
    """Round, then validate an outline for a farm; returns the rounded geometry or raises."""
    if _vertex_count(geometry) > MAX_VERTICES:
        raise GeometryError("too_many_points")
    geometry = cleaned(geometry)
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise GeometryError("out_of_range")
    if geometry.area == 0:
        raise GeometryError("empty")
    c_min_lat, c_min_lon, c_max_lat, c_max_lon = gazetteer.country_bounds(country)
    inside_box = c_min_lat <= min_lat and max_lat <= c_max_lat
    if not (inside_box and c_min_lon <= min_lon and max_lon <= c_max_lon):
        raise GeometryError("outside_country")
    centre = geometry.representative_point()
    problem = gazetteer.check_coordinates(country, district_code, centre.y, centre.x)
    if problem is not None:
        raise GeometryError(problem)
    return geometry


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    """The polygons in a geometry, however nested (an intersection's collection included)."""
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    if hasattr(geometry, "geoms"):
        return [polygon for part in geometry.geoms for polygon in _polygons(part)]
    return []


def geodesic_area_ha(geometry: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid in hectares, orientation-independent, holes subtracted.

    The one area of a plot: its saved size and the share of it lost to deforestation both
    come from here. Points and lines (the slivers of an intersection) have none.
    """
    area_m2 = 0.0
    for polygon in _polygons(geometry):  # ring by ring from its coordinates' arrays: the same
        # figure as pyproj's geometry_area_perimeter, twice as fast (no orienting, no copies)
        area_m2 += _ring_area_m2(polygon.exterior)
        area_m2 -= sum(_ring_area_m2(hole) for hole in polygon.interiors)
    return area_m2 / 10_000


def _ring_area_m2(ring) -> float:
    lonlat = shapely.get_coordinates(ring)
    area, _perimeter = _GEOD.polygon_area_perimeter(lonlat[:, 0], lonlat[:, 1])
    return abs(area)


def to_geojson(geometry: Polygon | MultiPolygon) -> dict:
    """A plain GeoJSON geometry dict (lists, not tuples) for storing in a JSON column."""
    return json.loads(json.dumps(mapping(geometry)))


# --- the plot an assessment reads ---------------------------------------------------------

CIRCLE_ANGLES = np.linspace(0, 2 * math.pi, 64, endpoint=False)
M_PER_DEGREE_LAT = 110_950  # near the equator, where Minka's farms are


def plot_of(
    lat: float, lon: float, polygon: dict | None, total_ha: float | None
) -> BaseGeometry | None:
    """The farm's polygon, or a circle of `total_ha` around its point; None if neither."""
    if polygon:
        try:
            geometry = shapely.make_valid(shape(polygon))
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError):
            return None
        return None if geometry.is_empty or geodesic_area_ha(geometry) <= 0 else geometry
    if not total_ha or total_ha <= 0:
        return None
    # a few hundred metres across: a local equirectangular circle is exact enough
    radius_m = math.sqrt(total_ha * 10_000 / math.pi)
    dlat = radius_m / M_PER_DEGREE_LAT * np.cos(CIRCLE_ANGLES)
    dlon = radius_m / (M_PER_DEGREE_LAT * math.cos(math.radians(lat))) * np.sin(CIRCLE_ANGLES)
    return shapely.Polygon(np.column_stack([lon + dlon, lat + dlat]))


def circles(lat: np.ndarray, lon: np.ndarray, total_ha: np.ndarray) -> np.ndarray:
    """The circles of `total_ha` around points, vectorised: plot_of's for many points (the
    same to the last few floating-point digits)."""
    radius_m = np.sqrt(np.asarray(total_ha, float) * 10_000 / math.pi)[:, None]
    dlat = radius_m / M_PER_DEGREE_LAT * np.cos(CIRCLE_ANGLES)
    dlon = radius_m / (M_PER_DEGREE_LAT * np.cos(np.radians(lat)))[:, None] * np.sin(CIRCLE_ANGLES)
    return shapely.polygons(np.stack([lon[:, None] + dlon, lat[:, None] + dlat], axis=-1))
