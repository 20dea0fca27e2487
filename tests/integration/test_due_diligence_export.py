"""The due-diligence export: valid by construction, geometry as captured, pendientes apart,
names under consent; from the upload through the plot page to the download."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from marketplace.errors import DomainError
from marketplace.models import Consent, Farm
from marketplace.traceability import eudr_geojson, export
from tests.conftest import signed_in_client
from tests.integration.deliveries import centre, deliver, producer_with_pledge

LAT, LON = -7.18, -76.73  # Juanjuí, the conftest farm's district


def ring(lon: float, lat: float, side: float) -> list:
    return [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]


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
SMALL_POLYGON = {"type": "Polygon", "coordinates": [ring(LON, LAT, 0.001)]}  # about 1.2 ha
MULTI = {
    "type": "MultiPolygon",
    "coordinates": [[ring(LON, LAT, 0.002)], [ring(LON + 0.004, LAT, 0.002)]],
}
WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [ring(LON, LAT, 0.003), ring(LON + 0.001, LAT + 0.001, 0.0005)[::-1]],
}
# a vertex 3e-7 degrees from the next: the same point at six decimals
NEAR_DUPLICATE = {
    "type": "Polygon",
    "coordinates": [
        [
            [LON, LAT],
            [LON + 0.003, LAT],
            [LON + 0.0030003, LAT],
            [LON + 0.003, LAT + 0.003],
            [LON, LAT + 0.003],
            [LON, LAT],
        ]
    ],
}
NUMBER = re.compile(r"-?\d+\.\d+|-?\d+")


def coordinates_text(text: str) -> list[str]:
    """Every number written inside a "coordinates" member of the GeoJSON text."""
    found = []
    for match in re.finditer(r'"coordinates":(\[[\[\]\d.,\-\s]*\])', text):
        found += NUMBER.findall(match[1])
    return found


@pytest.fixture
def exported(db, make_org, make_user, make_center, make_commitment, make_producer, make_farm):
    world = centre(make_org, make_user, make_center, make_commitment)
    rows = []

    def plot(kg=100, **farm):
        producer, made, pledge = producer_with_pledge(make_producer, make_farm, world, **farm)
        rows.append(deliver(world, pledge, kg))
        pledges[made.id] = pledge
        return producer, made

    pledges = {}
    named, big = plot(
        kg=300, total_ha=6.0, polygon_geojson=BIG_POLYGON, polygon_area_ha=6.2, risk_status="free"
    )
    db.session.add(Consent(producer_id=named.id, scope="buyers", granted=True))
    db.session.commit()
    rows.append(deliver(world, pledges[big.id], 200, days_ago=20))
    farms = {"big": big}
    _, farms["point"] = plot(total_ha=3.0, lat=-7.2, lon=-76.7, risk_status="verified")
    _, farms["small_polygon"] = plot(total_ha=1.5, polygon_geojson=SMALL_POLYGON)
    _, farms["multi"] = plot(total_ha=10.0, polygon_geojson=MULTI, polygon_area_ha=9.8)
    _, farms["near_duplicate"] = plot(total_ha=11.0, polygon_geojson=NEAR_DUPLICATE)
    _, farms["missing"] = plot(total_ha=6.2, lat=-7.3, lon=-76.6, name="Parcela El Manantial")
    _, farms["hole"] = plot(total_ha=11.0, polygon_geojson=WITH_HOLE, name="Parcela El Manantial")
    found = export.due_diligence(world.commitment, rows)
    by_farm = {p.farm.id: f for p, f in zip(found.plots, found.collection["features"], strict=True)}
    return world, found, named, farms, by_farm


def test_the_file_holds_only_valid_features_of_ready_plots(exported):
    world, found, named, farms, by_farm = exported
    assert eudr_geojson.problems(json.loads(found.text)) == []
    assert set(by_farm) == {farms[k].id for k in ("big", "point", "small_polygon", "multi")} | {
        farms["near_duplicate"].id
    }
    assert {p.farm.id for p in found.pending} == {farms["missing"].id, farms["hole"].id}


def test_polygons_are_exported_as_captured_at_any_size(exported):
    world, found, named, farms, by_farm = exported
    big = by_farm[farms["big"].id]["geometry"]
    assert big["type"] == "Polygon"
    assert big["coordinates"][0][0] == [-76.731235, -7.180123] and len(big["coordinates"][0]) == 5
    assert by_farm[farms["small_polygon"].id]["geometry"]["type"] == "Polygon"  # 1.5 ha
    multi = by_farm[farms["multi"].id]["geometry"]
    assert multi["type"] == "MultiPolygon" and len(multi["coordinates"]) == 2
    point = by_farm[farms["point"].id]
    assert point["geometry"] == {"type": "Point", "coordinates": [-76.7, -7.2]}
    assert point["properties"]["Area"] == 3.0


def test_near_duplicate_vertices_are_dropped_from_a_stored_outline(exported):
    world, found, named, farms, by_farm = exported
    (outer,) = by_farm[farms["near_duplicate"].id]["geometry"]["coordinates"]
    assert len(outer) == 5
    assert all(a != b for a, b in zip(outer, outer[1:], strict=False))


def test_only_the_properties_the_eu_system_reads(exported):
    world, found, named, farms, by_farm = exported
    for item in found.collection["features"]:
        assert set(item["properties"]) <= set(eudr_geojson.PROPERTIES)
        assert ("Area" in item["properties"]) == (item["geometry"]["type"] == "Point")
    big = by_farm[farms["big"].id]["properties"]
    assert big["ProductionPlace"] == f"PE-FARM-{farms['big'].id:06d} La Esperanza"
    assert big["ProducerCountry"] == "PE" and big["ProducerName"] == named.full_name


def test_two_farms_with_the_same_name_have_different_places(exported):
    world, found, named, farms, by_farm = exported
    places = [p.place for p in found.pending]
    assert len(set(places)) == 2 and all(p.endswith("Parcela El Manantial") for p in places)


def test_names_only_under_a_live_consent_to_share_with_buyers(exported):
    world, found, named, farms, by_farm = exported
    names = [f["properties"].get("ProducerName") for f in found.collection["features"]]
    assert names.count(named.full_name) == 1 and names.count(None) == len(names) - 1


def test_every_coordinate_is_written_with_exactly_six_decimals(exported):
    world, found, named, farms, by_farm = exported
    numbers = coordinates_text(found.text)
    assert len(numbers) > 40
    assert all(re.fullmatch(r"-?\d+\.\d{6}", n) for n in numbers), numbers
    assert "-76.700000,-7.200000" in found.text


def test_the_csv_carries_the_extra_data_of_the_ready_plots(exported):
    world, found, named, farms, by_farm = exported
    rows = list(csv.DictReader(io.StringIO(export.to_csv(found))))
    assert len(rows) == 5 and {r["HSCode"] for r in rows} == {"180100"}
    assert "ExportReady" not in rows[0]
    big = next(r for r in rows if r["ProducerName"] == named.full_name)
    assert big["Quantity"] == "500" and big["RiskStatus"] == "free"
    assert big["ProductionStartDate"] < big["ProductionEndDate"]
    point = next(r for r in rows if r["GeometryType"] == "Point")
    assert (point["Latitude"], point["Longitude"]) == ("-7.200000", "-76.700000")
    assert json.loads(big["GeoJSON"])["type"] == "Polygon" and big["Latitude"] == ""


def test_the_pending_list_says_why_and_who_must_act(app, exported):
    world, found, named, farms, by_farm = exported
    with app.test_request_context(headers={"Accept-Language": "es"}):
        rows = list(csv.DictReader(io.StringIO(export.pending_csv(found))))
    by_reason = {r["Reason"]: r for r in rows}
    missing = by_reason["needs_outline"]
    assert missing["ProductionPlace"] == f"PE-FARM-{farms['missing'].id:06d} Parcela El Manantial"
    assert missing["WhatToDo"] == (
        "La parcela mide 6.2 ha y no tiene contorno: el técnico de la cooperativa debe "
        "dibujarlo o subirlo."
    )
    assert "huecos" in by_reason["outline_holes"]["WhatToDo"]


def test_a_coffee_commitment_gets_its_heading_and_honey_is_refused(
    db, make_org, make_user, make_center, make_commitment
):
    coffee = centre(make_org, make_user, make_center, make_commitment, value_chain="cafe")
    assert export.hs_code(coffee.commitment) == "090111"
    honey = centre(make_org, make_user, make_center, make_commitment, value_chain="miel")
    with pytest.raises(DomainError):
        export.feature_collection(honey.commitment, [])


# --- through the pages ---------------------------------------------------------------------


def test_the_buyer_downloads_a_valid_file_and_the_pending_list(app, exported):
    world, found, named, farms, by_farm = exported
    client = signed_in_client(app, world.buyer)
    base = f"/compras/compromisos/{world.commitment.id}"
    response = client.get(f"{base}/diligencia.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    text = response.get_data(as_text=True)
    assert eudr_geojson.problems(json.loads(text)) == []
    assert all(re.fullmatch(r"-?\d+\.\d{6}", n) for n in coordinates_text(text))
    pending = client.get(f"{base}/diligencia-pendientes.csv")
    assert pending.status_code == 200 and "needs_outline" in pending.get_data(as_text=True)
    page = client.get(f"{base}/trazabilidad").get_data(as_text=True)
    assert "Pendientes" in page and "no tiene contorno" in page


def test_a_file_that_fails_its_own_check_is_refused_not_served(app, exported, monkeypatch):
    world, found, named, farms, by_farm = exported

    def broken(plot):
        made = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": []}}
        return made | {"properties": {"ProductionPlace": plot.place}}

    monkeypatch.setattr(export, "feature", broken)
    client = signed_in_client(app, world.buyer)
    url = f"/compras/compromisos/{world.commitment.id}/diligencia.geojson"
    response = client.get(url)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no cumple las reglas del sistema de la UE" in page


@pytest.fixture
def field(db, make_org, make_user, make_center, make_commitment, make_producer, make_farm):
    world = centre(make_org, make_user, make_center, make_commitment)
    producer, farm, pledge = producer_with_pledge(make_producer, make_farm, world, total_ha=10.0)
    producer.cooperative_id = world.coop.id
    db.session.commit()
    return world, farm, pledge


def test_a_multipolygon_end_to_end(app, db, field):
    world, farm, pledge = field
    client = signed_in_client(app, world.staff)
    url = f"/fincas/{farm.id}/parcela"
    assert "no tiene contorno" in client.get(url).get_data(as_text=True)  # 10 ha, no outline
    assert client.post(url, data={"outline": json.dumps(MULTI)}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Lista para exportar" in page and f"PE-FARM-{farm.id:06d}" in page
    deliver(world, pledge, 50)
    buyer = signed_in_client(app, world.buyer)
    text = buyer.get(f"/compras/compromisos/{world.commitment.id}/diligencia.geojson").get_data(
        as_text=True
    )
    (item,) = json.loads(text)["features"]
    assert item["geometry"]["type"] == "MultiPolygon"


def test_an_outline_with_a_hole_is_refused_at_upload_in_plain_spanish(app, db, field):
    world, farm, pledge = field
    client = signed_in_client(app, world.staff)
    data = {"upload": (io.BytesIO(json.dumps(WITH_HOLE).encode()), "finca.geojson")}
    response = client.post(
        f"/fincas/{farm.id}/parcela", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "El contorno tiene huecos" in response.get_data(as_text=True)
    assert db.session.get(Farm, farm.id).polygon_geojson is None


def test_duplicate_vertices_are_removed_at_upload(app, db, field):
    world, farm, pledge = field
    client = signed_in_client(app, world.staff)
    response = client.post(
        f"/fincas/{farm.id}/parcela", data={"outline": json.dumps(NEAR_DUPLICATE)}
    )
    assert response.status_code == 302
    (outer,) = db.session.get(Farm, farm.id).polygon_geojson["coordinates"]
    assert len(outer) == 5 and all(a != b for a, b in zip(outer, outer[1:], strict=False))


def test_a_plot_over_4_ha_without_outline_is_pending_until_drawn(app, db, field):
    world, farm, pledge = field
    deliver(world, pledge, 50)
    buyer = signed_in_client(app, world.buyer)
    url = f"/compras/compromisos/{world.commitment.id}/diligencia.geojson"
    assert json.loads(buyer.get(url).get_data(as_text=True))["features"] == []
    staff = signed_in_client(app, world.staff)
    outline = {"type": "Polygon", "coordinates": [ring(LON, LAT, 0.0028)]}
    staff.post(f"/fincas/{farm.id}/parcela", data={"outline": json.dumps(outline)})
    (item,) = json.loads(buyer.get(url).get_data(as_text=True))["features"]
    assert item["geometry"]["type"] == "Polygon" and "Area" not in item["properties"]


def test_the_page_warns_when_the_file_exceeds_one_statement(app, exported, monkeypatch):
    world, found, named, farms, by_farm = exported
    client = signed_in_client(app, world.buyer)
    url = f"/compras/compromisos/{world.commitment.id}/trazabilidad"
    assert "supera lo que admite una sola declaración" not in client.get(url).get_data(True)
    monkeypatch.setattr(eudr_geojson, "MAX_PRODUCERS_PER_COMMODITY", 4)  # the file has 5
    assert "supera lo que admite una sola declaración" in client.get(url).get_data(True)
