"""A producer whose technician registered her claims that record by a code sent by SMS to its
mobile, instead of being refused or getting a second record."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditLog, Notification, Producer

RECORD_MOBILE = "+51976543210"
DNI = "45872136"


def _profile(client, national_id=DNI, **extra):
    data = {
        "first_name": "Rosa",
        "last_name": "Quispe Mamani",
        "gender": "female",
        "country": "PE",
        "national_id": national_id,
        "phone": "",
        "cooperative_id": "",
        **extra,
    }
    return client.post("/mis-datos", data=data)


def _record(make_user, make_producer, make_farm, **overrides):
    technician = make_user("technician")
    values = {"national_id": DNI, "phone": RECORD_MOBILE, "registered_by_id": technician.id}
    producer = make_producer(**(values | overrides))
    make_farm(producer, name="Finca Santa Rosa")
    return producer


def _producers() -> int:
    return db.session.scalar(select(func.count(Producer.id)))


def test_she_claims_her_record_with_the_code_and_sees_her_farms(
    twilio, client, login, make_user, make_producer, make_farm
):
    record = _record(make_user, make_producer, make_farm)
    rosa = make_user("producer", email="rosa@example.org")
    login(rosa)

    response = _profile(client)
    assert response.status_code == 302 and response.location.endswith("/mis-datos/reclamar")
    page = client.get("/mis-datos/reclamar").get_data(as_text=True)
    assert "***-***-210" in page and RECORD_MOBILE not in page and record.last_name not in page

    client.post("/mis-datos/reclamar", data={"action": "send"})
    from marketplace.sms import outbox

    assert outbox.drain() == (1, 0)
    code = twilio.last_code_to(RECORD_MOBILE)
    done = client.post("/mis-datos/reclamar", data={"action": "confirm", "code": code})
    assert done.status_code == 302 and done.location.endswith(f"/productores/{record.id}")

    db.session.refresh(record)
    assert record.user_id == rosa.id and _producers() == 1
    assert "Finca Santa Rosa" in client.get(done.location).get_data(as_text=True)
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.entity_type == "producer").order_by(AuditLog.id)
    )
    assert list(actions) == ["producer.claim_code_sent", "producer.claimed"]
    note = db.session.scalar(select(Notification))
    assert (note.user_id, note.kind) == (record.registered_by_id, "producer.claimed")


def test_a_wrong_code_claims_nothing(twilio, client, login, make_user, make_producer, make_farm):
    record = _record(make_user, make_producer, make_farm)
    login(make_user("producer"))
    _profile(client)
    client.post("/mis-datos/reclamar", data={"action": "send"})
    refused = client.post("/mis-datos/reclamar", data={"action": "confirm", "code": "99999a"})
    assert refused.status_code == 200
    assert "El código no es correcto o ya venció" in refused.get_data(as_text=True)
    db.session.refresh(record)
    assert record.user_id is None


def test_a_record_with_an_account_or_without_a_mobile_is_refused_as_before(
    twilio, client, login, make_user, make_producer, make_farm
):
    _record(make_user, make_producer, make_farm, phone=None)
    login(make_user("producer"))
    refused = _profile(client)
    assert refused.status_code == 200
    assert "Ya hay un productor registrado con este documento" in refused.get_data(as_text=True)
    assert client.get("/mis-datos/reclamar").status_code == 404  # nothing to claim
    owner = make_user("producer")
    _record(make_user, make_producer, make_farm, national_id="45872137", user_id=owner.id)
    assert _profile(client, "45872137").status_code == 200


def test_without_sms_the_old_refusal_stands(client, login, make_user, make_producer, make_farm):
    _record(make_user, make_producer, make_farm)
    login(make_user("producer"))
    refused = _profile(client)
    assert refused.status_code == 200
    assert "Ya hay un productor registrado con este documento" in refused.get_data(as_text=True)


def test_a_technician_records_her_consent_to_messages_and_it_is_audited(
    twilio, client, login, make_user
):
    technician = make_user("technician")
    technician.organization.verified_at = technician.created_at
    db.session.commit()
    login(technician)
    page = client.get("/productores/nuevo").get_data(as_text=True)
    assert "Recibir avisos por SMS" in page and "Recibir avisos por WhatsApp" in page
    response = client.post(
        "/productores/nuevo",
        data={
            "first_name": "Juana",
            "last_name": "Huamán",
            "gender": "female",
            "country": "PE",
            "national_id": "41234567",
            "phone": "976 111 222",
            "sms_opt_in": "y",
            "message_locale": "es",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    producer = db.session.scalar(select(Producer).where(Producer.national_id == "41234567"))
    assert producer.sms_opt_in and not producer.whatsapp_opt_in
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "producer.messages_consent_changed")
    )
    assert entry.detail["changes"] == {"sms_opt_in": [False, True]}
    page = client.get(f"/productores/{producer.id}").get_data(as_text=True)
    assert "Avisos al celular" in page and "SMS" in page


def test_opting_in_needs_a_mobile_and_the_options_hide_without_sms(
    app, twilio, client, login, make_user
):
    login(make_user("producer"))
    refused = _profile(client, sms_opt_in="y", message_locale="es")
    assert "Escriba el celular donde recibirá los mensajes" in refused.get_data(as_text=True)
    app.config["MINKA_SMS_ACCOUNT_SID"] = None
    assert "Recibir avisos por SMS" not in client.get("/mis-datos").get_data(as_text=True)


def test_showing_the_claim_and_sending_codes_are_limited_per_account(
    twilio, make_app, make_user, make_producer, make_farm
):
    from tests import twilio_fake
    from tests.conftest import PASSWORD

    _record(make_user, make_producer, make_farm)
    rosa = make_user("producer")
    limited = make_app(
        RATELIMIT_ENABLED=True,
        MINKA_SMS_CODE_LIMIT="2 per hour",
        MINKA_NATIONAL_ID_LIMIT="3 per hour",
        MINKA_SMS_SEND_AFTER_COMMIT=False,
        **twilio_fake.settings(twilio),
    ).test_client()
    limited.post("/ingresar", data={"identifier": rosa.login, "password": PASSWORD})
    assert _profile(limited).status_code == 302
    sends = [limited.post("/mis-datos/reclamar", data={"action": "send"}).status_code]
    sends += [limited.post("/mis-datos/reclamar", data={"action": "send"}).status_code]
    sends += [limited.post("/mis-datos/reclamar", data={"action": "send"}).status_code]
    assert sends == [302, 302, 429]
    views = [limited.get("/mis-datos/reclamar").status_code for _ in range(4)]
    assert views == [200, 200, 200, 429]


def test_a_record_claimed_by_someone_else_first_is_not_taken_twice(
    twilio, app, login, make_user, make_producer, make_farm
):
    from marketplace.sms import outbox

    record = _record(make_user, make_producer, make_farm)
    first, second = app.test_client(), app.test_client()
    ana, eva = make_user("producer"), make_user("producer")
    for client, user in ((first, ana), (second, eva)):
        client.post("/ingresar", data={"identifier": user.login, "password": "clave-segura-123"})
        assert _profile(client).status_code == 302
        client.post("/mis-datos/reclamar", data={"action": "send"})
        outbox.drain()
    codes = twilio.bodies_to(RECORD_MOBILE)
    assert len(codes) == 2
    ana_code, eva_code = (re.findall(r"\b(\d{6})\b", body)[0] for body in codes)
    done = first.post("/mis-datos/reclamar", data={"action": "confirm", "code": ana_code})
    assert done.status_code == 302
    late = second.post("/mis-datos/reclamar", data={"action": "confirm", "code": eva_code})
    assert late.status_code == 302 and late.location.endswith("/mis-datos")
    db.session.refresh(record)
    assert record.user_id == ana.id
