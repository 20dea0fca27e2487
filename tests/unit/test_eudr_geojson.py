"""The EU geolocation file rules: planted valid and invalid files, each rule at least once."""

from __future__ import annotations

import json

import pytest

from marketplace.traceability import eudr_geojson as eu

SQUARE = [[-76.73, -7.18], [-76.72, -7.18], [-76.72, -7.17], [-76.73, -7.17], [-76.73, -7.18]]
INNER = [[-76.728, -7.178], [-76.725, -7.178], [-76.725, -7.175], [-76.728, -7.178]]


def feature(geometry: dict, **properties) -> dict:
    props = {"ProductionPlace": "PE-FARM-000001 Parcela", "ProducerCountry": "PE"} | properties
    return {"type": "Feature", "geometry": geometry, "properties": props}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def point(area=2.5, **properties) -> dict:
    return feature({"type": "Point", "coordinates": [-76.73, -7.18]}, Area=area, **properties)


VALID = collection(
    feature(polygon(SQUARE), ProducerName="Rosa Quispe"),
    feature(
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[x + 0.1, y] for x, y in SQUARE]]]}
    ),
    point(3.9),
    feature({"type": "MultiPoint", "coordinates": [[-76.7, -7.1], [-76.6, -7.2]]}, Area=1),
    feature({"type": "GeometryCollection", "geometries": [polygon(SQUARE)]}),
)


def test_a_valid_file_has_no_problems():
    assert eu.problems(VALID) == []


@pytest.mark.parametrize(
    "bad, code",
    [
        (feature({"type": "LineString", "coordinates": SQUARE}), "line_geometry"),
        (feature({"type": "MultiLineString", "coordinates": [SQUARE]}), "line_geometry"),
        (feature({"type": "Circle", "coordinates": SQUARE}), "unknown_geometry"),
        (feature(polygon(SQUARE, INNER)), "hole"),
        (
            feature(
                polygon(
                    [
                        [-76.73, -7.18],
                        [-76.72, -7.17],
                        [-76.72, -7.18],
                        [-76.73, -7.17],
                        [-76.73, -7.18],
                    ]
                )
            ),
            "self_intersection",
        ),
        (feature(polygon(SQUARE[:-1])), "unclosed_ring"),
        (
            feature(polygon([[-76.73, -7.18], [-76.72, -7.18], [-76.73, -7.18]])),
            "too_few_positions",
        ),
        (
            # 3e-7 degrees apart: the same vertex once truncated to 6 decimals
            feature(polygon([SQUARE[0], SQUARE[1], [-76.7200003, -7.18], *SQUARE[2:]])),
            "duplicate_vertex",
        ),
        (point(6.2), "point_over_4_ha"),
        (feature({"type": "Point", "coordinates": [-76.73, -7.18]}), "missing_area"),
        (point("2.5"), "bad_area"),
        (point(2.5, productionPlace="x"), "property_case"),
        (point(2.5, producerName="x"), "property_case"),
        (point(2.5, RiskStatus="free"), "unknown_property"),
        (point(2.5, ProducerCountry="PER"), "bad_country"),
        (point(2.5, ProducerCountry="pe"), "bad_country"),
        (feature({"type": "Point", "coordinates": [-7.18, -176.73]}, Area=1), "out_of_range"),
        (feature({"type": "Point", "coordinates": ["a", 1]}, Area=1), "bad_position"),
        ({"type": "Point", "coordinates": [-76.73, -7.18]}, "not_feature"),
    ],
)
def test_each_rule_is_caught_with_the_feature_it_is_in(bad, code):
    found = eu.problems(collection(point(1.0), bad))
    assert code in eu.codes(found), found
    assert {p.index for p in found} == {1}


def test_a_problem_names_the_production_place():
    (found,) = eu.problems(collection(point(6.2)))
    assert found.place == "PE-FARM-000001 Parcela" and found.index == 0
    assert "point_over_4_ha" in str(found)


def test_cattle_may_have_points_over_4_ha():
    assert eu.problems(collection(point(6.2)), commodity="cattle") == []


def test_a_file_that_is_not_a_collection_is_refused():
    assert eu.codes(eu.problems({"type": "Feature"})) == {"not_collection"}


def test_the_statement_limits():
    assert eu.limit_problems(eu.MAX_BYTES, {"cacao": 1_000}) == []
    assert eu.codes(eu.limit_problems(eu.MAX_BYTES + 1, {})) == {"too_large"}
    over = eu.limit_problems(0, {"cacao": 1_001})
    assert eu.codes(over) == {"too_many_producers_per_commodity"}
    many = {f"c{i}": 1_000 for i in range(10)} | {"c10": 1}
    assert eu.codes(eu.limit_problems(0, many)) == {"too_many_producers_per_statement"}


def test_a_file_over_the_limits_through_problems():
    plots = [point(1.0, ProducerName=f"P{i}") for i in range(1_001)]
    found = eu.problems(collection(*plots), size_bytes=26_000_000, commodity="cacao")
    assert eu.codes(found) == {"too_large", "too_many_producers_per_commodity"}


def test_dumps_writes_exactly_six_decimals_and_parses_back():
    text = eu.dumps(collection(point(1.0), feature(polygon(SQUARE))))
    assert "-76.730000,-7.180000" in text and "-76.73," not in text
    parsed = json.loads(text)
    assert eu.problems(parsed) == []
    assert parsed["features"][1]["geometry"]["coordinates"][0][0] == [-76.73, -7.18]
    assert parsed["features"][0]["properties"]["Area"] == 1.0


def test_truncation_not_rounding_decides_duplicates():
    # 0.9999996 rounds up to the next vertex but truncates apart: not a duplicate for the EU
    ring = [
        [-76.73, -7.18],
        [-76.7199996, -7.18],
        [-76.72, -7.18],
        [-76.72, -7.17],
        [-76.73, -7.18],
    ]
    assert "duplicate_vertex" not in eu.codes(eu.problems(collection(feature(polygon(ring)))))


def test_every_code_has_its_rule_in_words():
    assert set(eu.CODES) == set(eu.RULES)
    (found,) = eu.problems(collection(point(6.2)))
    assert found.message == "a Point may not have an Area over 4 ha (except cattle) (6.2)"
