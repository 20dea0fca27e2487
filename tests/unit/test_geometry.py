"""Farm outlines: parsing, validation and geodesic area with planted answers."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from marketplace.forest import geometry
from marketplace.forest.geometry import GeometryError

# A farm in Juanjuí (San Martín, Peru), district 220601.
JUANJUI = ("PE", "220601")
LAT, LON = -7.18, -76.73


def square(lon: float, lat: float, side_deg: float) -> list[list[float]]:
    return [
        [lon, lat],
        [lon + side_deg, lat],
        [lon + side_deg, lat + side_deg],
        [lon, lat + side_deg],
        [lon, lat],
    ]


def polygon_json(ring) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def kml(coordinates: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Finca</name>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{coordinates}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        "</Placemark></Document></kml>"
    ).encode()


def test_a_kilometre_square_at_the_equator_is_about_100_ha():
    # 1 km east-west at the equator is 1/111.32 degrees; north-south 1/110.57 degrees.
    ring = [[0, 0], [1 / 111.32, 0], [1 / 111.32, 1 / 110.57], [0, 1 / 110.57], [0, 0]]
    area = geometry.geodesic_area_ha(geometry.parse_geojson(polygon_json(ring)))
    assert area == pytest.approx(100, rel=0.005)


def test_area_does_not_depend_on_ring_orientation_and_subtracts_holes():
    shell = square(0, 0, 0.01)
    hole = square(0.0025, 0.0025, 0.005)
    clockwise = list(reversed(shell))
    full = geometry.geodesic_area_ha(Polygon(shell))
    assert geometry.geodesic_area_ha(Polygon(clockwise)) == pytest.approx(full)
    assert geometry.geodesic_area_ha(Polygon(shell, [hole])) == pytest.approx(full * 0.75, rel=1e-3)


def test_an_intersection_counts_only_its_polygons():
    """Risk measures loss on intersections: touching edges (lines, points) add no area."""
    plot = Polygon(square(0, 0, 0.01))
    touching = Polygon(square(0.01, 0, 0.01))  # shares the plot's east edge
    overlapping = Polygon(square(0.005, 0, 0.01))  # covers its eastern half
    assert geometry.geodesic_area_ha(plot.intersection(touching)) == 0
    mixed = GeometryCollection([plot.intersection(overlapping), LineString([(0, 0), (0, 1)])])
    assert geometry.geodesic_area_ha(mixed) == pytest.approx(geometry.geodesic_area_ha(plot) / 2)
    assert geometry.geodesic_area_ha(Point(0, 0)) == 0


@pytest.mark.parametrize(
    "wrap",
    [
        lambda g: g,
        lambda g: {"type": "Feature", "properties": {}, "geometry": g},
        lambda g: {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": g}],
        },
    ],
    ids=["geometry", "feature", "collection"],
)
def test_geojson_wrappers_give_the_same_polygon(wrap):
    g = {"type": "Polygon", "coordinates": [square(LON, LAT, 0.002)]}
    assert geometry.parse_geojson(json.dumps(wrap(g))).equals(Polygon(square(LON, LAT, 0.002)))


def test_multipolygon_is_accepted():
    g = {
        "type": "MultiPolygon",
        "coordinates": [[square(LON, LAT, 0.001)], [square(LON + 0.002, LAT, 0.001)]],
    }
    shape = geometry.check_plot(geometry.parse_geojson(json.dumps(g)), *JUANJUI)
    assert isinstance(shape, MultiPolygon)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "not_geojson"),
        ("[1, 2]", "not_geojson"),
        ('{"type": "Point", "coordinates": [1, 2]}', "not_polygon"),
        ('{"type": "FeatureCollection", "features": []}', "one_feature"),
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}', "too_few_points"),
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}', "not_closed"),
        (
            '{"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]}',
            "bad_coordinates",
        ),
    ],
)
def test_broken_geojson_is_refused_with_a_reason(text, code):
    with pytest.raises(GeometryError) as caught:
        geometry.parse_geojson(text)
    assert caught.value.code == code


UTM_18S = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32718"}}


@pytest.mark.parametrize(
    "wrap",
    [
        lambda g: g | {"crs": UTM_18S},
        lambda g: {"type": "Feature", "properties": {}, "geometry": g, "crs": UTM_18S},
        lambda g: {
            "type": "FeatureCollection",
            "crs": UTM_18S,
            "features": [{"type": "Feature", "properties": {}, "geometry": g}],
        },
        lambda g: g | {"crs": "EPSG:32718"},
        lambda g: g | {"crs": {"type": "name", "properties": {"name": ["x"]}}},
    ],
    ids=["geometry", "feature", "collection", "text", "unreadable"],
)
def test_geojson_naming_another_crs_is_refused(wrap):
    # metres in UTM zone 18S read as degrees would put the farm anywhere
    g = {"type": "Polygon", "coordinates": [square(350_000, 9_200_000, 100)]}
    with pytest.raises(GeometryError) as caught:
        geometry.parse_geojson(json.dumps(wrap(g)))
    assert caught.value.code == "other_crs"


@pytest.mark.parametrize(
    "name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"]
)
def test_geojson_naming_wgs84_is_read(name):
    g = {"type": "Polygon", "coordinates": [square(LON, LAT, 0.002)]}
    g["crs"] = {"type": "name", "properties": {"name": name}}
    assert geometry.parse_geojson(json.dumps(g)).equals(Polygon(square(LON, LAT, 0.002)))


def test_a_self_intersecting_bowtie_is_refused():
    bowtie = [[LON, LAT], [LON + 0.002, LAT + 0.002], [LON + 0.002, LAT], [LON, LAT + 0.002]]
    bowtie.append(bowtie[0])
    with pytest.raises(GeometryError) as caught:
        geometry.check_plot(geometry.parse_geojson(polygon_json(bowtie)), *JUANJUI)
    assert caught.value.code == "invalid"
    assert "Self-intersection" in caught.value.detail


def test_a_polygon_in_another_country_is_refused():
    # Manaus, Brazil: outside Peru's box.
    with pytest.raises(GeometryError) as caught:
        geometry.check_plot(Polygon(square(-60.0, -3.1, 0.002)), *JUANJUI)
    assert caught.value.code == "outside_country"


def test_a_polygon_in_ecuador_inside_perus_box_is_refused_as_far_from_the_district():
    # Quito lies inside Peru's coarse box but far from Juanjuí.
    with pytest.raises(GeometryError) as caught:
        geometry.check_plot(Polygon(square(-78.5, -0.2, 0.002)), *JUANJUI)
    assert caught.value.code == "far_from_district"


def test_coordinates_outside_wgs84_are_refused():
    with pytest.raises(GeometryError) as caught:
        geometry.check_plot(Polygon(square(-200.0, LAT, 0.01)), *JUANJUI)
    assert caught.value.code == "out_of_range"


def test_coordinates_are_rounded_to_six_decimals():
    ring = square(LON + 0.0000001234, LAT - 0.0000004321, 0.0021234567)
    shape = geometry.check_plot(Polygon(ring), *JUANJUI)
    for lon, lat in shape.exterior.coords:
        assert lon == round(lon, 6) and lat == round(lat, 6)
    stored = geometry.to_geojson(shape)
    assert stored["type"] == "Polygon"
    assert json.loads(json.dumps(stored)) == stored


def test_kml_placemark_polygon_is_parsed():
    coords = " ".join(f"{lon},{lat},0" for lon, lat in square(LON, LAT, 0.002))
    shape, source = geometry.parse_upload("finca.KML", kml(coords))
    assert source == "kml"
    assert shape.equals(Polygon(square(LON, LAT, 0.002)))


def test_kml_with_an_entity_is_refused():
    head = '<!DOCTYPE kml [<!ENTITY lol "lol">]>'
    coords = " ".join(f"{lon},{lat}" for lon, lat in square(LON, LAT, 0.002))
    with pytest.raises(GeometryError) as caught:
        geometry.parse_kml(kml(coords + "&lol;", head))
    assert caught.value.code == "xml_entities"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not xml", "not_kml"),
        ('<!DOCTYPE kml [<!ENTITY a "a">]><kml/>'.encode("utf-16"), "not_kml"),
        (b"<html><body>hola</body></html>", "not_kml"),
        (b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark/></kml>', "not_polygon"),
    ],
)
def test_a_kml_that_is_not_kml_is_refused(data, code):
    with pytest.raises(GeometryError) as caught:
        geometry.parse_kml(data)
    assert caught.value.code == code


def test_uploads_over_the_limit_or_of_unknown_type_are_refused():
    with pytest.raises(GeometryError) as caught:
        geometry.parse_upload("big.geojson", b" " * (geometry.MAX_UPLOAD_BYTES + 1))
    assert caught.value.code == "too_large"
    with pytest.raises(GeometryError) as caught:
        geometry.parse_upload("finca.shp", b"\x00")
    assert caught.value.code == "unknown_format"


def test_a_hole_is_refused():
    outer, inner = square(LON, LAT, 0.003), square(LON + 0.001, LAT + 0.001, 0.0005)[::-1]
    with pytest.raises(GeometryError) as caught:
        geometry.check_plot(Polygon(outer, [inner]), *JUANJUI)
    assert caught.value.code == "holes"
    with_hole = MultiPolygon([Polygon(outer, [inner]), Polygon(square(LON + 0.01, LAT, 0.001))])
    with pytest.raises(GeometryError):
        geometry.check_plot(with_hole, *JUANJUI)


def test_vertices_that_coincide_at_six_decimals_are_dropped():
    ring = square(LON, LAT, 0.003)
    ring.insert(2, [LON + 0.0030003, LAT + 0.0000002])  # 3e-7 from the previous vertex
    shape = geometry.check_plot(Polygon(ring), *JUANJUI)
    coords = list(shape.exterior.coords)
    assert len(coords) == 5 and all(a != b for a, b in zip(coords, coords[1:], strict=False))


def test_a_ring_that_collapses_at_six_decimals_is_refused():
    tiny = square(LON, LAT, 0.0000002)
    with pytest.raises(GeometryError) as caught:
        geometry.check_plot(Polygon(tiny), *JUANJUI)
    assert caught.value.code == "too_few_points"


def test_a_stored_open_ring_is_closed_and_cleaned():
    ring = square(LON, LAT, 0.002)[:-1]
    shape = geometry.stored_outline({"type": "Polygon", "coordinates": [ring]})
    assert list(shape.exterior.coords)[0] == list(shape.exterior.coords)[-1]
    with pytest.raises(GeometryError):
        geometry.stored_outline(
            {"type": "Polygon", "coordinates": [ring, square(LON + 0.0005, LAT + 0.0005, 0.0003)]}
        )
