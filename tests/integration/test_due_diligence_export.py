"""The due-diligence export: GeoJSON per RFC 7946 by the 4 ha rule, CSV, names under consent."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from marketplace.errors import DomainError
from marketplace.models import Consent
from marketplace.traceability import export
from tests.integration.deliveries import centre, deliver, producer_with_pledge

# 6 ha around Juanjuí, with more than 6 decimals and an open ring (the export must fix both)
BIG_POLYGON = {
    "type": "Polygon",
    "coordinates": [
        [
            [-76.7312345678, -7.1801234567],
            [-76.7212345678, -7.1801234567],
            [-76.7212345678, -7.1861234567],
            [-76.7312345678, -7.1861234567],
        ]
    ],
}


def check_position(position):
    assert len(position) == 2
    lon, lat = position
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    assert -82 < lon < -66 and -19 < lat < 13  # lon/lat order: Peru, not lat/lon
    for value in position:
        assert isinstance(value, float | int)
        assert -Decimal(str(value)).as_tuple().exponent <= 6


def check_rfc7946(collection):
    """The structure RFC 7946 requires of what we export."""
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # WGS84 is implied; a crs member is not allowed
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            check_position(geometry["coordinates"])
        else:
            assert geometry["type"] == "Polygon"
            for ring in geometry["coordinates"]:
                assert len(ring) >= 4 and ring[0] == ring[-1]  # closed linear ring
                for position in ring:
                    check_position(position)
    json.dumps(collection)  # serialisable as it is


@pytest.fixture
def exported(db, make_org, make_user, make_center, make_commitment, make_producer, make_farm):
    world = centre(make_org, make_user, make_center, make_commitment)
    rows = []
    named, big, big_pledge = producer_with_pledge(
        make_producer,
        make_farm,
        world,
        total_ha=6.0,
        polygon_geojson=BIG_POLYGON,
        polygon_area_ha=6.2,
        risk_status="free",
        lat=-7.1831234567,
        lon=-76.7262345678,
    )
    db.session.add(Consent(producer_id=named.id, scope="buyers", granted=True))
    db.session.commit()
    for days, kg in ((20, 300), (5, 200)):
        rows.append(deliver(world, big_pledge, kg, days_ago=days))
    _, small, small_pledge = producer_with_pledge(
        make_producer, make_farm, world, total_ha=3.0, lat=-7.2, lon=-76.7, risk_status="verified"
    )
    rows.append(deliver(world, small_pledge, 150))
    _, missing, missing_pledge = producer_with_pledge(
        make_producer, make_farm, world, total_ha=8.0, lat=-7.3, lon=-76.6
    )
    rows.append(deliver(world, missing_pledge, 100))
    collection = export.feature_collection(world.commitment, rows)
    by_farm = {f["properties"]["ProductionPlace"]: f for f in collection["features"]}
    return world, collection, named, {"big": big, "small": small, "missing": missing}, by_farm


def test_the_export_is_valid_geojson_by_the_four_hectare_rule(exported):
    world, collection, named, farms, _ = exported
    check_rfc7946(collection)
    features = {f["properties"]["Area"]: f for f in collection["features"]}
    big, small, missing = features[6.2], features[3.0], features[8.0]

    assert big["geometry"]["type"] == "Polygon"
    ring = big["geometry"]["coordinates"][0]
    assert ring[0] == [-76.731235, -7.180123] and len(ring) == 5
    assert big["properties"]["ExportReady"] is True
    assert small["geometry"] == {"type": "Point", "coordinates": [-76.7, -7.2]}
    assert small["properties"]["ExportReady"] is True
    # above 4 ha without a polygon: still there, as a point, flagged
    assert missing["geometry"]["type"] == "Point"
    assert missing["properties"]["ExportReady"] is False


def test_the_properties_carry_country_hs_code_quantity_and_period(exported):
    world, collection, named, farms, _ = exported
    big = next(f for f in collection["features"] if f["properties"]["Area"] == 6.2)
    props = big["properties"]
    assert props["ProducerCountry"] == "PE" and props["HSCode"] == "180100"
    assert props["Quantity"] == 500
    assert props["ProductionStartDate"] < props["ProductionEndDate"]
    assert props["RiskStatus"] == "free" and len(props["Deliveries"]) == 2


def test_names_only_under_a_live_consent_to_share_with_buyers(exported):
    world, collection, named, farms, _ = exported
    names = [f["properties"].get("ProducerName") for f in collection["features"]]
    assert names.count(named.full_name) == 1
    assert names.count(None) == 2  # the others never consented: no name at all


def test_the_csv_has_the_same_rows(exported):
    world, collection, named, farms, _ = exported
    rows = list(csv.DictReader(io.StringIO(export.to_csv(collection))))
    assert len(rows) == 3
    assert {r["HSCode"] for r in rows} == {"180100"}
    point = next(r for r in rows if r["Area"] == "3.0")
    assert (point["Latitude"], point["Longitude"], point["ExportReady"]) == ("-7.2", "-76.7", "yes")
    polygon = next(r for r in rows if r["GeometryType"] == "Polygon")
    assert json.loads(polygon["GeoJSON"])["type"] == "Polygon" and polygon["Latitude"] == ""
    assert sorted(r["ProducerName"] for r in rows) == ["", "", named.full_name]


def test_a_coffee_commitment_gets_its_heading_and_honey_is_refused(
    db, make_org, make_user, make_center, make_commitment
):
    coffee = centre(make_org, make_user, make_center, make_commitment, value_chain="cafe")
    assert export.hs_code(coffee.commitment) == "090111"
    honey = centre(make_org, make_user, make_center, make_commitment, value_chain="miel")
    with pytest.raises(DomainError):
        export.feature_collection(honey.commitment, [])
