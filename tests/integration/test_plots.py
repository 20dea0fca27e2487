"""Plot outlines and field evidence: services directly, pages through the client."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from marketplace.errors import DomainError, InvalidInput
from marketplace.models import AuditLog, Farm, FieldEvidence, Pledge
from marketplace.models.base import local_today
from marketplace.traceability import evidence, plots
from marketplace.traceability.permissions import can_verify_plot, can_view_plot
from tests.conftest import signed_in_client

LAT, LON = -7.18, -76.73  # Juanjuí, the conftest farm's district
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def square(side_deg: float, lon: float = LON, lat: float = LAT) -> dict:
    ring = [
        [lon, lat],
        [lon + side_deg, lat],
        [lon + side_deg, lat + side_deg],
        [lon, lat + side_deg],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


# about 6.1 ha at this latitude: close to the conftest farm's 6 ha
SIX_HA = square(0.00223)


@pytest.fixture
def field(db, make_user, make_org, make_producer, make_farm):
    coop = make_org("cooperative")
    owner = make_user("producer")
    producer = make_producer(user_id=owner.id, cooperative_id=coop.id)
    farm = make_farm(producer)
    tech = make_user("technician", organization=coop)
    return {"owner": owner, "tech": tech, "producer": producer, "farm": farm}


@pytest.fixture
def instance(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def pledge_from(db, farm, make_commitment, buyer_org) -> Pledge:
    commitment = make_commitment(buyer_org)
    pledge = Pledge(
        commitment_id=commitment.id,
        farm_id=farm.id,
        producer_id=farm.producer_id,
        pledged_by_id=commitment.created_by_id,
        kg=500,
    )
    db.session.add(pledge)
    db.session.commit()
    return pledge


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


# --- services --------------------------------------------------------------------------------


def test_saving_an_outline_stores_geojson_area_and_source(db, field):
    farm = field["farm"]
    plots.save_outline(field["tech"], farm, plots.OutlineInput(text=json.dumps(SIX_HA), drawn=True))
    db.session.expire_all()
    farm = db.session.get(Farm, farm.id)
    assert farm.polygon_geojson["type"] == "Polygon"
    assert farm.polygon_source == "drawn"
    assert farm.polygon_area_ha == pytest.approx(6.1, abs=0.1)
    assert not plots.area_differs(farm)
    assert "farm.polygon_saved" in actions(db)


def test_a_refused_outline_saves_nothing(db, field):
    farm = field["farm"]
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[LON, LAT], [LON + 0.01, LAT + 0.01], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT]]
        ],
    }
    with pytest.raises(DomainError) as caught:
        plots.save_outline(field["tech"], farm, plots.OutlineInput(text=json.dumps(bowtie)))
    assert caught.value.field == "outline"
    assert "se cruza" in caught.value.message
    assert "cerca de -7.175000, -76.725000" in caught.value.message  # where the edges cross
    db.session.expire_all()
    assert db.session.get(Farm, farm.id).polygon_geojson is None
    assert actions(db) == []


def test_a_new_outline_voids_the_previous_risk_assessment(db, field):
    farm = field["farm"]
    farm.risk_status = "free"
    db.session.commit()
    plots.save_outline(field["owner"], farm, plots.OutlineInput(text=json.dumps(SIX_HA)))
    assert farm.risk_status == "unassessed"
    assert farm.polygon_source == "geojson"


def test_export_ready_follows_the_4_ha_rule(make_producer, make_farm):
    producer = make_producer()
    assert plots.export_ready(make_farm(producer, total_ha=4.0))
    big = make_farm(producer, total_ha=4.5)
    assert not plots.export_ready(big)
    big.polygon_geojson = SIX_HA
    assert plots.export_ready(big)


def test_kml_upload_is_recorded_as_kml(db, field):
    ring = " ".join(f"{x},{y}" for x, y in SIX_HA["coordinates"][0])
    data = (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><Polygon><outerBoundaryIs>'
        f"<LinearRing><coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs>"
        "</Polygon></Placemark></kml>"
    ).encode()
    outline = plots.OutlineInput(filename="finca.kml", data=data)
    farm = plots.save_outline(field["tech"], field["farm"], outline)
    assert farm.polygon_source == "kml"


def test_evidence_is_stored_under_the_instance_folder_with_a_random_name(db, field, tmp_path):
    item = evidence.record_evidence(
        field["tech"],
        field["farm"],
        note="Cacao bajo sombra de guaba",
        observed_on=date(2026, 3, 1),
        photo=PNG,
        instance_path=tmp_path,
        today=date(2026, 3, 2),
    )
    assert item.photo_path.startswith("uploads/evidence/") and item.photo_path.endswith(".png")
    assert (tmp_path / item.photo_path).read_bytes() == PNG
    assert evidence.photo_file(item, tmp_path) == PNG
    assert "farm.evidence_recorded" in actions(db)


@pytest.mark.parametrize(
    ("kwargs", "field_name"),
    [
        ({"observed_on": date(2026, 3, 3)}, "observed_on"),
        ({"observed_on": date(1, 1, 1)}, "observed_on"),
        ({"observed_on": None}, "observed_on"),
        ({"photo": b"GIF89a" + b"\x00" * 10}, "photo"),
        ({"photo": JPEG + b"\x00" * evidence.MAX_PHOTO_BYTES}, "photo"),
        ({"photo": b"", "note": "  "}, "note"),
    ],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(db, field, tmp_path, kwargs, field_name):
    values = {"note": "Visita", "observed_on": date(2026, 3, 1), "photo": JPEG} | kwargs
    with pytest.raises(InvalidInput) as caught:
        evidence.record_evidence(
            field["tech"], field["farm"], instance_path=tmp_path, today=date(2026, 3, 2), **values
        )
    assert field_name in caught.value.errors
    assert db.session.scalar(select(FieldEvidence.id)) is None
    assert not (tmp_path / "uploads").exists()


def test_only_buyers_with_an_active_pledge_may_verify(
    db, field, make_user, make_org, make_commitment
):
    buyer_org = make_org("buyer")
    buyer = make_user("buyer", organization=buyer_org)
    assert not can_verify_plot(buyer, field["farm"])
    assert not can_view_plot(buyer, field["farm"])
    pledge = pledge_from(db, field["farm"], make_commitment, buyer_org)
    assert can_verify_plot(buyer, field["farm"])
    assert can_view_plot(buyer, field["farm"])
    pledge.status = "withdrawn"
    db.session.commit()
    assert not can_verify_plot(buyer, field["farm"])


# --- pages -----------------------------------------------------------------------------------


def test_technician_saves_a_drawn_outline_through_the_page(app, db, field):
    client = signed_in_client(app, field["tech"])
    url = f"/fincas/{field['farm'].id}/parcela"
    page = client.get(url)
    assert page.status_code == 200
    assert "No lista para exportar" in page.get_data(as_text=True)
    response = client.post(url, data={"outline": json.dumps(SIX_HA), "drawn": "1"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Contorno guardado" in page and "Lista para exportar" in page
    assert db.session.get(Farm, field["farm"].id).polygon_source == "drawn"


def test_an_outline_saved_meanwhile_by_someone_else_is_not_overwritten(app, db, field, make_user):
    url = f"/fincas/{field['farm'].id}/parcela"
    mine = signed_in_client(app, field["tech"])
    opened = mine.get(url).get_data(as_text=True)
    assert 'name="based_on" type="hidden" value=""' in opened
    colleague = make_user("technician", organization=field["tech"].organization)
    assert signed_in_client(app, colleague).post(url, data={"outline": json.dumps(SIX_HA)})
    theirs = db.session.get(Farm, field["farm"].id).polygon_geojson
    typed = json.dumps(square(0.0022, lat=LAT + 0.0001))  # -7.1799: only in what she typed
    response = mine.post(url, data={"outline": typed, "based_on": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Otra persona guardó un contorno" in body
    assert "-7.1799" in body  # kept in the form
    farm = db.session.get(Farm, field["farm"].id)
    assert farm.polygon_geojson == theirs
    now = plots.outline_version(farm)
    assert now and f'name="based_on" type="hidden" value="{now}"' in body
    assert mine.post(url, data={"outline": typed, "based_on": now}).status_code == 302
    db.session.refresh(farm)
    assert farm.polygon_geojson != theirs


def test_an_area_far_from_the_declared_one_is_saved_with_a_warning(app, db, field):
    client = signed_in_client(app, field["owner"])
    url = f"/fincas/{field['farm'].id}/parcela"
    client.post(url, data={"outline": json.dumps(square(0.005))})  # about 30 ha vs 6 declared
    page = client.get(url).get_data(as_text=True)
    assert "difiere en más de 20" in page
    assert db.session.get(Farm, field["farm"].id).polygon_area_ha > 25


def test_an_outline_in_another_country_re_renders_with_the_message(app, db, field):
    client = signed_in_client(app, field["tech"])
    text = json.dumps(square(0.002, lon=-60.0, lat=-3.1))
    response = client.post(f"/fincas/{field['farm'].id}/parcela", data={"outline": text})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "fuera del país" in body
    assert "-60.0" in body  # the pasted text is kept
    assert db.session.get(Farm, field["farm"].id).polygon_geojson is None


def test_a_geojson_file_upload_is_accepted(app, db, field):
    client = signed_in_client(app, field["tech"])
    data = {"upload": (io.BytesIO(json.dumps(SIX_HA).encode()), "finca.geojson")}
    response = client.post(
        f"/fincas/{field['farm'].id}/parcela", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert db.session.get(Farm, field["farm"].id).polygon_source == "geojson"


def test_a_50_mb_upload_gets_a_clear_message_and_saves_nothing(app, db, field):
    client = signed_in_client(app, field["tech"])
    data = {"upload": (io.BytesIO(b" " * (50 * 1024 * 1024)), "finca.geojson")}
    builder = EnvironBuilder(path=f"/fincas/{field['farm'].id}/parcela", method="POST", data=data)
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:  # the app refuses before reading the body, so close the spooled body here
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "el máximo es 2 MB" in body
    assert "Contorno de la finca" in body  # the plot page, not a bare error page
    assert db.session.get(Farm, field["farm"].id).polygon_geojson is None


def test_removing_the_outline(app, db, field):
    plots.save_outline(field["tech"], field["farm"], plots.OutlineInput(text=json.dumps(SIX_HA)))
    client = signed_in_client(app, field["owner"])
    response = client.post(f"/fincas/{field['farm'].id}/parcela/borrar")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Farm, field["farm"].id).polygon_geojson is None
    assert "farm.polygon_removed" in actions(db)


def test_technician_records_evidence_and_the_photo_is_served_only_to_allowed_people(
    app, db, field, instance, make_user
):
    client = signed_in_client(app, field["tech"])
    farm_id = field["farm"].id
    data = {
        "note": "Cacao bajo sombra",
        "observed_on": "2026-01-15",
        "photo": (io.BytesIO(JPEG), "visita.jpg"),
    }
    response = client.post(
        f"/fincas/{farm_id}/evidencias", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    item = db.session.scalar(select(FieldEvidence))
    photo_url = f"/fincas/{farm_id}/evidencias/{item.id}/foto"
    assert photo_url in client.get(f"/fincas/{farm_id}/parcela").get_data(as_text=True)
    for user in (field["tech"], field["owner"], make_user("admin")):
        photo = signed_in_client(app, user).get(photo_url)
        assert photo.status_code == 200 and photo.data == JPEG
        assert "no-store" in photo.headers["Cache-Control"]
        photo.close()
    for user in (make_user("technician"), make_user("buyer"), make_user("producer")):
        assert signed_in_client(app, user).get(photo_url).status_code == 404
    assert signed_in_client(app, make_user("lender")).get(photo_url).status_code == 403


def test_evidence_with_a_future_date_re_renders_with_the_message(app, db, field, instance):
    client = signed_in_client(app, field["tech"])
    tomorrow = (local_today() + timedelta(days=2)).isoformat()
    response = client.post(
        f"/fincas/{field['farm'].id}/evidencias", data={"note": "Visita", "observed_on": tomorrow}
    )
    assert response.status_code == 200
    assert "no puede ser futura" in response.get_data(as_text=True)
    assert db.session.scalar(select(FieldEvidence.id)) is None


def test_the_producers_farm_list_flags_farms_not_ready_for_export(app, field):
    client = signed_in_client(app, field["owner"])
    body = client.get(f"/productores/{field['producer'].id}").get_data(as_text=True)
    assert "No lista para exportar" in body
    assert f"/fincas/{field['farm'].id}/parcela" in body
