"""The EU information system's geolocation file rules, as Minka's own data (pure Python).

Source: the Commission's "EUDR GeoJSON File Description" (v1.3) and the Information System's
operator API reference. RFC 7946 GeoJSON in WGS84 [lon, lat]; geometries Point, MultiPoint,
Polygon, MultiPolygon or GeometryCollection (no lines); polygons without holes or
self-intersection, rings closed with at least 4 positions and no duplicate consecutive vertex
once truncated to 6 decimals; only the case-sensitive properties ProducerName,
ProducerCountry (ISO 3166 alpha-2), ProductionPlace and Area (hectares, for Points: over 4 ha
is an error except for cattle; a missing Area is read as 4 ha) are read. Limits per due
diligence statement: 25 MB of geolocation, 1,000 producers per commodity, 10,000 in all.

`problems()` returns codes, never display text: the app translates them. `dumps()` writes a
collection with every coordinate at exactly 6 decimals (JSON numbers cannot keep trailing
zeros, so the text is written here rather than by json.dumps).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from shapely.geometry import Polygon
from shapely.validation import explain_validity

DECIMALS = 6
MAX_BYTES = 25_000_000  # 25 MB, read as decimal megabytes (the stricter reading of "MB")
MAX_PRODUCERS_PER_COMMODITY = 1_000
MAX_PRODUCERS_PER_STATEMENT = 10_000
POINT_MAX_HA = 4.0
MISSING_AREA_READ_AS_HA = 4.0

PROPERTIES = ("ProducerName", "ProducerCountry", "ProductionPlace", "Area")
GEOMETRIES = ("Point", "MultiPoint", "Polygon", "MultiPolygon", "GeometryCollection")
LINES = ("LineString", "MultiLineString")

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK
    DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR
    GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
    KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP
    MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
    SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
    VI VN VU WF WS YE YT ZA ZM ZW""".split()  # noqa: SIM905 - a table reads better so
)

#: Each code and the rule it names (English, for logs and other modules; the app translates).
RULES = {
    "not_collection": "the file must be a GeoJSON FeatureCollection",
    "not_feature": "each member of features must be a Feature",
    "line_geometry": "lines are not accepted (Point, MultiPoint, Polygon, MultiPolygon only)",
    "unknown_geometry": "geometry type not accepted",
    "bad_position": "a position must be [longitude, latitude] numbers",
    "out_of_range": "coordinates outside WGS84 longitude/latitude ranges",
    "hole": "polygons may not have holes (inner rings)",
    "too_few_positions": "a ring needs at least 4 positions",
    "unclosed_ring": "a ring's last position must repeat its first",
    "duplicate_vertex": "consecutive vertices coincide once truncated to 6 decimals",
    "self_intersection": "a polygon may not intersect itself",
    "point_over_4_ha": "a Point may not have an Area over 4 ha (except cattle)",
    "missing_area": "a Point without Area is read as 4 ha",
    "bad_area": "Area must be a non-negative number of hectares",
    "property_case": "property names are case-sensitive",
    "unknown_property": "only ProducerName, ProducerCountry, ProductionPlace, Area are read",
    "bad_country": "ProducerCountry must be an ISO 3166 alpha-2 code",
    "too_large": "at most 25 MB of geolocation per statement",
    "too_many_producers_per_commodity": "at most 1,000 producers per commodity",
    "too_many_producers_per_statement": "at most 10,000 producers per statement",
}
CODES = tuple(RULES)


@dataclass(frozen=True)
class Problem:
    """One broken rule: its code, the feature (index and ProductionPlace) and a fact."""

    code: str
    index: int | None = None
    place: str | None = None
    detail: str = ""

    @property
    def message(self) -> str:
        """The rule broken, in plain English, with the fact that broke it."""
        return RULES[self.code] + (f" ({self.detail})" if self.detail else "")

    def __str__(self) -> str:
        where = "" if self.index is None else f"feature {self.index} ({self.place or '-'}): "
        return f"{where}{self.code}{': ' + self.detail if self.detail else ''}"


# --- writing ------------------------------------------------------------------------------


def _coordinates_text(value) -> str:
    if isinstance(value, list | tuple) and value and not isinstance(value[0], list | tuple):
        return "[" + ",".join(f"{float(v):.{DECIMALS}f}" for v in value) + "]"
    return "[" + ",".join(_coordinates_text(v) for v in value) + "]"


def dumps_geometry(geometry: Mapping) -> str:
    """One geometry as GeoJSON text with every coordinate at exactly 6 decimals."""
    if geometry["type"] == "GeometryCollection":
        parts = ",".join(dumps_geometry(g) for g in geometry["geometries"])
        return '{"type":"GeometryCollection","geometries":[' + parts + "]}"
    kind = json.dumps(geometry["type"])
    return '{"type":' + kind + ',"coordinates":' + _coordinates_text(geometry["coordinates"]) + "}"


def feature_text(feature: Mapping) -> str:
    """One feature as GeoJSON text, every coordinate written with exactly 6 decimals."""
    properties = json.dumps(feature["properties"], ensure_ascii=False, separators=(",", ":"))
    geometry = dumps_geometry(feature["geometry"])
    return f'{{"type":"Feature","geometry":{geometry},"properties":{properties}}}'


def dumps(collection: Mapping) -> str:
    """The collection as GeoJSON text, every coordinate written with exactly 6 decimals."""
    features = [feature_text(feature) for feature in collection["features"]]
    return '{"type":"FeatureCollection","features":[' + ",\n".join(features) + "]}\n"


# --- checking -----------------------------------------------------------------------------


def truncated(value: float) -> Decimal:
    """A coordinate truncated to 6 decimals, as the EU system reads it."""
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-DECIMALS), rounding=ROUND_DOWN)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _position_problem(position) -> str | None:
    if not isinstance(position, list | tuple) or len(position) not in (2, 3):
        return "bad_position"
    if not all(_is_number(v) for v in position):
        return "bad_position"
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return "out_of_range"
    return None


def _ring_problems(ring) -> list[tuple[str, str]]:
    if not isinstance(ring, list) or not ring:
        return [("too_few_positions", "0")]
    for position in ring:
        code = _position_problem(position)
        if code:
            return [(code, repr(position)[:60])]
    found = []
    if len(ring) < 4:
        found.append(("too_few_positions", str(len(ring))))
    cut = [(truncated(p[0]), truncated(p[1])) for p in ring]
    if cut[0] != cut[-1]:
        found.append(("unclosed_ring", ""))
    for i in range(1, len(cut)):
        if cut[i] == cut[i - 1]:
            found.append(("duplicate_vertex", f"{cut[i][1]}, {cut[i][0]}"))
            break
    return found


def _polygon_problems(rings) -> list[tuple[str, str]]:
    if not isinstance(rings, list) or not rings:
        return [("too_few_positions", "0")]
    found = []
    if len(rings) > 1:
        found.append(("hole", str(len(rings) - 1)))
    for ring in rings:
        found.extend(_ring_problems(ring))
    if not found:
        shell = [(float(truncated(p[0])), float(truncated(p[1]))) for p in rings[0]]
        polygon = Polygon(shell)
        if not polygon.is_valid:
            found.append(("self_intersection", explain_validity(polygon)))
    return found


def geometry_problems(geometry, area=None, *, cattle: bool = False) -> list[tuple[str, str]]:
    """(code, detail) for each rule a geometry breaks; `area` is the feature's Area."""
    if not isinstance(geometry, Mapping):
        return [("unknown_geometry", "")]
    kind = geometry.get("type")
    if kind in LINES:
        return [("line_geometry", str(kind))]
    if kind not in GEOMETRIES:
        return [("unknown_geometry", str(kind))]
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list) or not parts:
            return [("unknown_geometry", "GeometryCollection")]
        return [found for part in parts for found in geometry_problems(part, area, cattle=cattle)]
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return _polygon_problems(coordinates)
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            return [("too_few_positions", "0")]
        return [found for part in coordinates for found in _polygon_problems(part)]
    positions = [coordinates] if kind == "Point" else coordinates
    if not isinstance(positions, list) or not positions:
        return [("bad_position", "")]
    for position in positions:
        code = _position_problem(position)
        if code:
            return [(code, repr(position)[:60])]
    return _point_area_problems(area, cattle)


def _point_area_problems(area, cattle: bool) -> list[tuple[str, str]]:
    if area is None:
        return [("missing_area", "")]
    if not _is_number(area) or area < 0:
        return [("bad_area", repr(area)[:30])]
    if area > POINT_MAX_HA and not cattle:
        return [("point_over_4_ha", f"{area}")]
    return []


def property_problems(properties) -> list[tuple[str, str]]:
    """(code, detail) for property names the EU system would not read and a bad country."""
    if properties is None:
        return []
    if not isinstance(properties, Mapping):
        return [("unknown_property", "properties")]
    found = []
    lower = {name.lower(): name for name in PROPERTIES}
    for key in properties:
        if key in PROPERTIES:
            continue
        found.append(("property_case" if key.lower() in lower else "unknown_property", key))
    country = properties.get("ProducerCountry")
    if country is not None and country not in ISO_COUNTRIES:
        found.append(("bad_country", str(country)[:10]))
    area = properties.get("Area")
    if area is not None and (not _is_number(area) or area < 0):
        found.append(("bad_area", repr(area)[:30]))
    return found


def feature_problems(feature, index: int, *, cattle: bool = False) -> list[Problem]:
    """Every rule one feature breaks."""
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        return [Problem("not_feature", index)]
    properties = feature.get("properties") or {}
    place = properties.get("ProductionPlace") if isinstance(properties, Mapping) else None
    area = properties.get("Area") if isinstance(properties, Mapping) else None
    found = property_problems(feature.get("properties"))
    geometry_found = geometry_problems(feature.get("geometry"), area, cattle=cattle)
    found += [f for f in geometry_found if f[0] != "bad_area" or f not in found]
    return [Problem(code, index, place, detail) for code, detail in found]


def producer_count(collection: Mapping) -> int:
    """Producers in a file: named ones counted once each; an unnamed plot as its own."""
    seen = set()
    for feature in collection.get("features") or []:
        properties = feature.get("properties") or {}
        name = properties.get("ProducerName")
        key = ("name", name, properties.get("ProducerCountry")) if name else ("plot", id(feature))
        seen.add(key)
    return len(seen)


def limit_problems(
    size_bytes: int, producers_by_commodity: Mapping[str, int] | None = None
) -> list[Problem]:
    """The statement-level limits: 25 MB of geolocation, 1,000 producers per commodity and
    10,000 in all. For a shipment module splitting files across statements."""
    found = []
    if size_bytes > MAX_BYTES:
        found.append(Problem("too_large", detail=f"{size_bytes} > {MAX_BYTES}"))
    counts = dict(producers_by_commodity or {})
    for commodity, count in counts.items():
        if count > MAX_PRODUCERS_PER_COMMODITY:
            detail = f"{commodity}: {count} > {MAX_PRODUCERS_PER_COMMODITY}"
            found.append(Problem("too_many_producers_per_commodity", detail=detail))
    total = sum(counts.values())
    if total > MAX_PRODUCERS_PER_STATEMENT:
        detail = f"{total} > {MAX_PRODUCERS_PER_STATEMENT}"
        found.append(Problem("too_many_producers_per_statement", detail=detail))
    return found


def problems(
    collection, *, size_bytes: int | None = None, commodity: str | None = None
) -> list[Problem]:
    """Every rule a geolocation file breaks; empty when the EU system would accept it.

    `size_bytes` (the file's encoded size) and `commodity` (the file's one commodity) add the
    statement limits; a cattle commodity lifts the 4 ha limit on Points."""
    if not isinstance(collection, Mapping) or collection.get("type") != "FeatureCollection":
        return [Problem("not_collection")]
    features = collection.get("features")
    if not isinstance(features, list):
        return [Problem("not_collection")]
    cattle = commodity == "cattle"
    found = [p for i, f in enumerate(features) for p in feature_problems(f, i, cattle=cattle)]
    if size_bytes is not None or commodity is not None:
        by_commodity = {commodity or "-": producer_count(collection)}
        found += limit_problems(size_bytes or 0, by_commodity)
    return found


def codes(found: Iterable[Problem]) -> set[str]:
    """The set of codes in a list of problems (for tests and logs)."""
    return {p.code for p in found}
