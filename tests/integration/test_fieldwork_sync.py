"""Entries a technician's phone queued offline: the sync endpoint saves each once per
idempotency key through the pages' own forms and services, resolves records made offline by
their keys, and answers refusals with Spanish messages the phone shows as conflicts."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from marketplace.extensions import db as _db
from marketplace.fieldwork import services
from marketplace.models import (
    Delivery,
    Farm,
    FieldEvidence,
    Producer,
    SyncReceipt,
    User,
)
from marketplace.models.base import local_today
from marketplace.producers import services as producers
from marketplace.traceability import plots
from tests.conftest import PASSWORD, signed_in_client
from tests.integration.deliveries import centre, producer_with_pledge
from tests.integration.races import THREADS, outcomes, race

SYNC = "/campo/sincronizar"
LAT, LON = -7.176667, -76.723889  # Juanjuí (San Martín), district 220601
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def key() -> str:
    return str(uuid.uuid4())


def producer_entry(entry_key: str, national_id: str = "41234567") -> dict:
    return {
        "key": entry_key,
        "kind": "producer",
        "first_name": "Rosa",
        "last_name": "Quispe Huamán",
        "gender": "female",
        "country": "PE",
        "national_id": national_id,
    }


def farm_entry(entry_key: str, **reference) -> dict:
    return {
        "key": entry_key,
        "kind": "farm",
        "name": "La Esperanza",
        "country": "PE",
        "region": "San Martín",
        "district_code": "220601",
        "lat": str(LAT),
        "lon": str(LON),
        "total_ha": "5",
        "productive_ha": "3",
        "forest_ha": "1",
        "value_chain": "cacao",
        "tenure": "possession",
        "cleared_after_cutoff": "no",
        **reference,
    }


def walked_square(side: float = 0.002) -> str:
    ring = [[LON, LAT], [LON + side, LAT], [LON + side, LAT + side], [LON, LAT + side]]
    return json.dumps({"type": "Polygon", "coordinates": [ring + [ring[0]]]})


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def tech(make_user) -> User:
    return make_user("technician")


@pytest.fixture
def phone(app, tech):
    return signed_in_client(app, tech)


def test_a_producer_and_her_farm_made_offline_are_saved_once_each(db, phone, tech):
    producer_key, farm_key = key(), key()

    saved = phone.post(SYNC, data=producer_entry(producer_key))
    assert saved.status_code == 200, saved.get_json()
    answer = saved.get_json()
    assert answer["status"] == "saved" and answer["repeated"] is False
    producer = db.session.get(Producer, answer["id"])
    assert producer.cooperative_id == tech.organization_id  # the technician's cooperative
    assert answer["url"] == f"/productores/{producer.id}"

    farm = phone.post(SYNC, data=farm_entry(farm_key, producer_key=producer_key)).get_json()
    assert farm["status"] == "saved"
    assert db.session.get(Farm, farm["id"]).producer_id == producer.id

    # the phone lost the answers and sends both again: the first records come back
    again = phone.post(SYNC, data=producer_entry(producer_key)).get_json()
    assert again == {**answer, "repeated": True}
    assert (
        phone.post(SYNC, data=farm_entry(farm_key, producer_key=producer_key)).get_json()["id"]
        == farm["id"]
    )
    assert count(Producer) == 1 and count(Farm) == 1
    receipts = db.session.scalars(select(SyncReceipt).order_by(SyncReceipt.id)).all()
    assert [(r.kind, r.record_id, r.user_id) for r in receipts] == [
        ("producer", producer.id, tech.id),
        ("farm", farm["id"], tech.id),
    ]


def test_a_farm_waits_for_its_producer(db, phone):
    answer = phone.post(SYNC, data=farm_entry(key(), producer_key=key()))
    assert answer.status_code == 409
    assert answer.get_json()["status"] == "waiting"
    assert count(Farm) == 0 and count(SyncReceipt) == 0


def test_a_refused_entry_keeps_nothing_and_can_be_fixed_under_its_key(db, phone, make_producer):
    make_producer(national_id="41234567")
    entry_key = key()
    refused = phone.post(SYNC, data=producer_entry(entry_key))
    assert refused.status_code == 422
    answer = refused.get_json()
    assert answer["status"] == "refused"
    assert answer["message"] == "Ya hay un productor registrado con este documento."
    assert answer["errors"] == {"national_id": answer["message"]}
    assert count(SyncReceipt) == 0

    fixed = phone.post(SYNC, data=producer_entry(entry_key, national_id="41234568"))
    assert fixed.status_code == 200 and count(Producer) == 2


def test_form_rules_refuse_with_the_fields_labels(db, phone):
    entry = {**producer_entry(key()), "first_name": ""}
    answer = phone.post(SYNC, data=entry).get_json()
    assert answer["status"] == "refused"
    assert answer["errors"]["first_name"] == "Nombres: Este dato es obligatorio."


def test_a_producer_of_another_cooperative_is_a_conflict(db, phone, make_producer, make_org):
    other = make_producer(cooperative_id=make_org("cooperative").id)
    answer = phone.post(SYNC, data=farm_entry(key(), producer_id=str(other.id)))
    assert answer.status_code == 422
    assert "no es de su cooperativa" in answer.get_json()["message"]
    assert count(Farm) == 0


def test_a_key_is_a_uuid_and_the_kind_one_of_five(db, phone):
    assert phone.post(SYNC, data=producer_entry("1")).status_code == 422
    assert phone.post(SYNC, data={**producer_entry(key()), "kind": "order"}).status_code == 400


def test_another_technicians_key_is_not_returned(db, app, phone, make_user, tech):
    entry_key = key()
    assert phone.post(SYNC, data=producer_entry(entry_key)).status_code == 200
    colleague = signed_in_client(app, make_user("technician", organization=tech.organization))
    answer = colleague.post(SYNC, data=producer_entry(entry_key))
    assert answer.status_code == 422 and "no es suyo" in answer.get_json()["message"]


def test_a_walked_outline_keeps_its_accuracy(db, phone, tech, make_producer, make_farm):
    farm = make_farm(make_producer(cooperative_id=tech.organization_id), total_ha=5.0)
    entry = {
        "key": key(),
        "kind": "outline",
        "farm_id": str(farm.id),
        "outline": walked_square(),
        "walked": "1",
        "accuracy_m": "6.4",
    }
    answer = phone.post(SYNC, data=entry).get_json()
    assert answer == {
        "status": "saved",
        "kind": "outline",
        "id": farm.id,
        "repeated": False,
        "url": f"/fincas/{farm.id}/parcela",
    }
    db.session.refresh(farm)
    assert farm.polygon_source == "walked" and farm.polygon_accuracy_m == 6.4
    page = phone.get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    assert "precisión media 6 m" in page


def test_an_outline_walked_on_an_older_page_does_not_overwrite_one_saved_since(
    db, app, phone, tech, make_user, make_producer, make_farm
):
    # The phone kept the plot page without an outline; a colleague saved one with signal
    # before the phone's walk was sent: the walk is refused and stays on the phone.
    farm = make_farm(make_producer(cooperative_id=tech.organization_id), total_ha=5.0)
    page = phone.get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    assert 'name="based_on" type="hidden" value=""' in page and "data-offline-fresh" in page
    colleague = signed_in_client(app, make_user("technician", organization=tech.organization))
    saved = colleague.post(f"/fincas/{farm.id}/parcela", data={"outline": walked_square()})
    assert saved.status_code == 302
    db.session.refresh(farm)
    theirs = farm.polygon_geojson
    entry = {"key": key(), "kind": "outline", "farm_id": str(farm.id), "based_on": ""}
    entry |= {"outline": walked_square(0.0021), "walked": "1", "accuracy_m": "5.0"}
    answer = phone.post(SYNC, data=entry)
    assert answer.status_code == 422
    assert "Otra persona guardó un contorno" in answer.get_json()["message"]
    db.session.refresh(farm)
    assert farm.polygon_geojson == theirs
    # "Corregir" opens the page again with signal: it shows theirs, and saving keeps hers
    page = phone.get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    entry["based_on"] = plots.outline_version(farm)
    assert f'value="{entry["based_on"]}"' in page
    assert phone.post(SYNC, data=entry).get_json()["status"] == "saved"
    db.session.refresh(farm)
    assert farm.polygon_geojson != theirs and farm.polygon_accuracy_m == 5.0


def test_an_outline_that_crosses_itself_is_refused(db, phone, tech, make_producer, make_farm):
    farm = make_farm(make_producer(cooperative_id=tech.organization_id))
    bow = [[LON, LAT], [LON + 0.002, LAT + 0.002], [LON + 0.002, LAT], [LON, LAT + 0.002]]
    outline = json.dumps({"type": "Polygon", "coordinates": [bow + [bow[0]]]})
    entry = {"key": key(), "kind": "outline", "farm_id": str(farm.id), "outline": outline}
    answer = phone.post(SYNC, data=entry)
    assert answer.status_code == 422
    assert "se cruza consigo mismo" in answer.get_json()["message"]


def test_evidence_with_its_photo_for_a_farm_made_offline(
    db, app, phone, tech, make_producer, tmp_path, monkeypatch
):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    producer_key, farm_key, visit_key = key(), key(), key()
    phone.post(SYNC, data=producer_entry(producer_key))
    phone.post(SYNC, data=farm_entry(farm_key, producer_key=producer_key))
    visit = {
        "key": visit_key,
        "kind": "evidence",
        "farm_key": farm_key,
        "note": "Cacao en floración",
        "observed_on": local_today().isoformat(),
        "lat": str(LAT),
        "lon": str(LON),
        "accuracy_m": "8",
    }
    answer = phone.post(
        SYNC,
        data={**visit, "photo": (io.BytesIO(PNG), "foto.png")},
        content_type="multipart/form-data",
    ).get_json()
    assert answer["status"] == "saved"
    item = db.session.get(FieldEvidence, answer["id"])
    assert item.note == "Cacao en floración" and (tmp_path / item.photo_path).exists()
    assert answer["url"] == f"/fincas/{item.farm_id}/parcela#evidencias"
    repeat = phone.post(
        SYNC,
        data={**visit, "photo": (io.BytesIO(PNG), "foto.png")},
        content_type="multipart/form-data",
    )
    assert repeat.get_json()["repeated"] is True and count(FieldEvidence) == 1


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


def delivery_entry(entry_key: str, center_id: int, pledge_id: int, kg: int) -> dict:
    return {
        "key": entry_key,
        "kind": "delivery",
        "center_id": str(center_id),
        "pledge_id": str(pledge_id),
        "kg": str(kg),
        "delivered_on": (local_today() - timedelta(days=1)).isoformat(),
    }


def test_a_delivery_and_a_pledge_filled_meanwhile(db, app, world, make_producer, make_farm):
    _, _, pledge = producer_with_pledge(make_producer, make_farm, world, kg=1_000)
    phone = signed_in_client(app, world.staff)
    first = phone.post(SYNC, data=delivery_entry(key(), world.center.id, pledge.id, 800))
    assert first.get_json()["status"] == "saved"
    assert first.get_json()["url"] == f"/acopio/centros/{world.center.id}"
    late = phone.post(SYNC, data=delivery_entry(key(), world.center.id, pledge.id, 300))
    assert late.status_code == 422
    assert "supera lo comprometido" in late.get_json()["message"]
    assert count(Delivery) == 1


@pytest.mark.parametrize("role", ["producer", "buyer", "admin"])
def test_only_technicians_sync(db, app, make_user, role):
    client = signed_in_client(app, make_user(role))
    assert client.post(SYNC, data=producer_entry(key())).status_code == 403
    assert client.get("/campo/estado").status_code == 403


def test_signed_out_phone_is_sent_to_sign_in(db, client):
    assert client.post(SYNC, data=producer_entry(key())).status_code == 302


def test_the_sync_needs_the_csrf_token_from_the_state(db, make_app, tech):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login = client.get("/ingresar").get_data(as_text=True)
    token = login.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/ingresar", data={"identifier": tech.login, "password": PASSWORD, "csrf_token": token}
    )
    state = client.get("/campo/estado", headers={"Accept": "application/json"}).get_json()
    assert "/productores/nuevo" in state["pages"]
    assert client.post(SYNC, data=producer_entry(key())).status_code == 400
    answer = client.post(
        SYNC, data=producer_entry(key()), headers={"X-CSRFToken": state["csrf_token"]}
    )
    assert answer.status_code == 200


def test_copies_of_one_entry_racing_make_one_producer(db, racing_app, tech):
    entry_key, tech_id = key(), tech.id  # read here: the threads have their own sessions

    def sending():
        user = _db.session.get(User, tech_id)
        data = producers.ProfileData(
            first_name="Rosa",
            last_name="Quispe",
            gender="female",
            country="PE",
            national_id="41234567",
        )
        return lambda: services.receive(
            user, entry_key, "producer", lambda: producers.save_profile(user, data)
        )

    won, refused = outcomes(race(racing_app, [sending] * THREADS))
    # both get the one producer, or the later one is told to retry while the first commits
    producer_id = _db.session.scalar(select(Producer.id))
    assert [r.record_id for r in won] == [producer_id] * len(won)
    assert sorted(r.repeated for r in won)[0] is False  # one of them made it
    assert len(won) + len(refused) == THREADS
    assert set(refused) <= {"Este envío se está guardando: se volverá a intentar."}
    assert count(Producer) == 1 and count(SyncReceipt) == 1


def test_the_service_worker_is_served_at_the_root_never_cached_long(db, app, client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert answer.headers["Cache-Control"] == "no-cache"
    body = answer.get_data(as_text=True)
    versions = app.extensions["minka_static_versions"]
    # it installs the shell under the versioned URLs the pages use
    for name in ("minka.css", "offline.js", "walk.js", "vendor/leaflet/leaflet.js"):
        assert f'"/static/{name}?v={versions[name]}"' in body
    assert '"/manifest.webmanifest"' in body
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert manifest.get_json()["name"] == "Minka para técnicos"
    assert manifest.get_json()["display"] == "standalone"


def test_only_a_technicians_field_pages_may_be_kept_on_the_phone(
    db, app, phone, tech, make_user, make_producer, make_farm
):
    producer = make_producer(cooperative_id=tech.organization_id)
    farm = make_farm(producer)
    for url in ("/productores/nuevo", f"/fincas/{farm.id}/parcela", "/campo/finca-nueva"):
        answer = phone.get(url)
        assert answer.headers.get("X-Minka-Offline") == "keep", url
        assert "private, no-store" in answer.headers["Cache-Control"]  # no HTTP cache
    assert "X-Minka-Offline" not in phone.get("/notificaciones").headers
    # a signed-out page tells the service worker to forget the pages it kept
    assert app.test_client().get("/ingresar").headers["X-Minka-Offline"] == "forget"
    owner = make_user("producer")
    producer.user_id = owner.id
    db.session.commit()
    own = signed_in_client(app, owner).get(f"/fincas/{farm.id}/parcela")
    assert own.status_code == 200 and "X-Minka-Offline" not in own.headers


def test_pages_offer_the_offline_forms_to_technicians(db, phone, tech, make_producer, make_farm):
    page = phone.get("/productores/nuevo").get_data(as_text=True)
    assert 'data-offline="producer"' in page and "/static/offline.js?v=" in page
    assert 'id="outbox-count"' in page
    farm = make_farm(make_producer(cooperative_id=tech.organization_id))
    plot = phone.get(f"/fincas/{farm.id}/parcela").get_data(as_text=True)
    assert 'data-offline="outline"' in plot and "Caminar el contorno" in plot
    outbox = phone.get("/campo/por-enviar").get_data(as_text=True)
    assert "Enviar ahora" in outbox


def test_the_plot_form_saves_a_walked_outline_online_too(db, phone, tech, make_producer, make_farm):
    farm = make_farm(make_producer(cooperative_id=tech.organization_id), total_ha=5.0)
    answer = phone.post(
        f"/fincas/{farm.id}/parcela",
        data={"outline": walked_square(), "walked": "1", "accuracy_m": "4.2"},
    )
    assert answer.status_code == 302
    db.session.refresh(farm)
    assert farm.polygon_source == "walked" and farm.polygon_accuracy_m == 4.2
    # a drawn outline afterwards carries no accuracy
    phone.post(f"/fincas/{farm.id}/parcela", data={"outline": walked_square(), "drawn": "1"})
    db.session.refresh(farm)
    assert farm.polygon_source == "drawn" and farm.polygon_accuracy_m is None


def test_probing_national_ids_through_the_sync_is_limited(db, make_app, make_user, make_producer):
    limited = make_app(RATELIMIT_ENABLED=True, MINKA_NATIONAL_ID_LIMIT="3 per hour")
    for n in range(4):
        make_producer(national_id=f"4123456{n}")
    tech, colleague = make_user("technician"), make_user("technician")
    phone = signed_in_client(limited, tech)
    assert phone.post(SYNC, data=producer_entry(key(), "41234599")).status_code == 200  # free
    answers = [phone.post(SYNC, data=producer_entry(key(), f"4123456{n}")) for n in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert phone.post(SYNC, data=producer_entry(key(), "41234563")).status_code == 429
    other = signed_in_client(limited, colleague)
    assert other.post(SYNC, data=producer_entry(key(), "41234563")).status_code == 422


def test_a_photo_too_big_is_refused_before_anything_is_read(
    db, phone, tech, make_producer, make_farm
):
    farm = make_farm(make_producer(cooperative_id=tech.organization_id))
    visit = {"key": key(), "kind": "evidence", "farm_id": str(farm.id), "note": "Visita"}
    big = PNG + b"\x00" * (5 * 1024 * 1024 + 100 * 1024)
    builder = EnvironBuilder(
        path=SYNC,
        method="POST",
        data={**visit, "photo": (io.BytesIO(big), "foto.png")},
        headers={"Accept": "application/json"},
    )
    environ = builder.get_environ()
    try:
        answer = phone.open(environ)
    finally:  # the app refuses before reading the body, so close the spooled body here
        environ["wsgi.input"].close()
        builder.close()
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "El archivo es demasiado grande."
    assert count(FieldEvidence) == 0 and count(SyncReceipt) == 0


def test_a_key_in_capitals_is_the_same_key(db, phone):
    entry_key = key()
    first = phone.post(SYNC, data=producer_entry(entry_key)).get_json()
    again = phone.post(SYNC, data=producer_entry(entry_key.upper())).get_json()
    assert again["id"] == first["id"] and again["repeated"] is True
