"""Data-rights pages: who may download and file, the copy's two forms, the producer's and the
technician's requests, and the admin's list and answers."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from marketplace.extensions import db as _db
from marketplace.models import AuditLog, DataRequest, Objection, Producer, User
from marketplace.models.base import local_today
from marketplace.privacy import erasure, services
from tests.conftest import signed_in_client

ROLES = [
    "anonymous",
    "owner",
    "other_producer",
    "technician",  # of her verified cooperative
    "unverified_technician",  # of her cooperative while it is not verified
    "other_technician",
    "supplier",
    "buyer",
    "lender",
    "admin",
]
FILE = {role: 403 for role in ROLES} | {
    "anonymous": 302,
    "owner": 200,
    "other_producer": 404,
    "technician": 200,
    "unverified_technician": 404,
    "other_technician": 404,
}
DOWNLOAD = FILE | {"admin": 200}
PAGES = [
    ("/productores/{producer}/datos", DOWNLOAD),
    ("/productores/{producer}/datos.json", DOWNLOAD),
    ("/productores/{producer}/derechos", FILE),
    ("/productores/{producer}/derechos/correccion", FILE),
    ("/productores/{producer}/derechos/oposicion", FILE),
    ("/productores/{producer}/derechos/supresion", FILE),
    (
        "/admin/solicitudes-de-datos",
        {role: 403 for role in ROLES} | {"anonymous": 302, "admin": 200},
    ),
]
POSTS = [
    ("/productores/{producer}/derechos/correccion", {"detail": "Mi nombre", "in_person": "y"}),
    ("/productores/{producer}/derechos/oposicion",
     {"use": "credit_scoring", "objects": "1", "in_person": "y"}),
    ("/productores/{producer}/derechos/supresion", {"confirm": "y", "in_person": "y"}),
]  # fmt: skip


@pytest.fixture
def world(db, make_user, make_org, make_producer, make_farm):
    coop = make_org("cooperative")
    pending = make_org("cooperative", verified=False)
    owner = make_user("producer")
    producer = make_producer(user_id=owner.id, cooperative_id=coop.id, phone="+51987654321")
    make_farm(producer)
    users = {
        "owner": owner,
        "other_producer": make_user("producer"),
        "technician": make_user("technician", organization=coop),
        "unverified_technician": make_user("technician", organization=pending),
        "other_technician": make_user("technician"),
        "supplier": make_user("supplier"),
        "buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    make_producer(user_id=users["other_producer"].id)
    return {"users": users, "producer": producer, "coop": coop, "pending": pending}


def _as(app, world, role):
    return signed_in_client(app, world["users"].get(role))


@pytest.mark.parametrize("role", ROLES)
def test_only_she_her_verified_technician_and_admins_reach_her_data(app, world, role):
    if role == "unverified_technician":
        world["producer"].cooperative_id = world["pending"].id
        _db.session.commit()
    client = _as(app, world, role)
    for template, expected in PAGES:
        url = template.format(producer=world["producer"].id)
        assert client.get(url).status_code == expected[role], (role, url)


@pytest.mark.parametrize("role", [r for r in ROLES if FILE[r] != 200])
def test_nobody_else_files_a_request(app, world, role):
    if role == "unverified_technician":
        world["producer"].cooperative_id = world["pending"].id
        _db.session.commit()
    client = _as(app, world, role)
    for template, data in POSTS:
        client.post(template.format(producer=world["producer"].id), data=data)
    assert _db.session.scalars(select(DataRequest)).all() == []
    assert _db.session.scalars(select(Objection)).all() == []


def test_the_json_copy_is_an_uncached_attachment(app, world):
    client = _as(app, world, "owner")
    response = client.get(f"/productores/{world['producer'].id}/datos.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    assert data["producer"]["phone"] == "+51987654321"
    assert data["farms"][0]["lat"] == world["producer"].farms[0].lat


def test_the_readable_copy_is_in_spanish_and_recorded_once_a_day(app, world):
    client = _as(app, world, "technician")
    url = f"/productores/{world['producer'].id}/datos"
    page = client.get(url).get_data(as_text=True)
    client.get(url)
    assert "Todo lo que Minka guarda sobre" in page
    assert world["producer"].national_id in page
    assert "Fincas y parcelas" in page
    access = _db.session.scalars(select(DataRequest).where(DataRequest.kind == "access")).all()
    assert len(access) == 1
    assert access[0].channel == "in_person" and access[0].status == "done"


def test_mis_datos_shows_her_rights_and_open_requests_with_their_deadline(app, world):
    services.file_request(world["users"]["owner"], world["producer"], "rectification", "Mi DNI")
    page = _as(app, world, "owner").get("/mis-datos").get_data(as_text=True)
    assert "Sus datos y sus derechos" in page
    assert "Pedir que se borren sus datos" in page
    assert "Minka debe responder a más tardar el" in page


def test_a_technician_files_only_with_the_producer_present(app, world):
    client = _as(app, world, "technician")
    url = f"/productores/{world['producer'].id}/derechos/correccion"
    page = client.post(url, data={"detail": "Su apellido es Ríos"})
    assert page.status_code == 200
    assert "Confirme que la persona está presente" in page.get_data(as_text=True)
    assert _db.session.scalars(select(DataRequest)).all() == []
    response = client.post(url, data={"detail": "Su apellido es Ríos", "in_person": "y"})
    assert response.status_code == 302
    request = _db.session.scalar(select(DataRequest))
    assert request.channel == "in_person"
    assert request.filed_by_id == world["users"]["technician"].id


def test_the_producer_objects_from_her_page_and_it_is_in_force(app, world):
    client = _as(app, world, "owner")
    url = f"/productores/{world['producer'].id}/derechos/oposicion"
    response = client.post(url, data={"use": "credit_scoring", "objects": "1"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Retirar mi oposición" in page


def test_forms_with_bad_input_answer_in_spanish_not_500(app, world):
    client = _as(app, world, "owner")
    base = f"/productores/{world['producer'].id}/derechos"
    page = client.post(base + "/correccion", data={"detail": ""}).get_data(as_text=True)
    assert "Escriba qué dato está mal" in page
    page = client.post(base + "/supresion", data={}).get_data(as_text=True)
    assert "Marque la casilla para confirmar." in page
    response = client.post(base + "/oposicion", data={"use": "everything", "objects": "1"})
    assert response.status_code == 200


def test_the_admin_sees_open_requests_with_deadline_and_overdue_highlighted(app, world):
    owner, producer = world["users"]["owner"], world["producer"]
    late = services.file_request(owner, producer, "rectification", "Mi celular")
    late.due_on = local_today().replace(year=local_today().year - 1)
    _db.session.commit()
    services.file_request(owner, producer, "deletion", "")
    client = _as(app, world, "admin")
    assert "solicitudes-de-datos" in client.get("/").get_data(as_text=True)
    page = client.get("/admin/solicitudes-de-datos").get_data(as_text=True)
    assert "Vencida hace" in page and "badge-bad" in page
    assert "Supresión de sus datos" in page and "días hábiles" in page


def test_the_admin_carries_out_a_deletion_and_the_receipt_says_which_is_which(app, world):
    owner, producer = world["users"]["owner"], world["producer"]
    request = services.file_request(owner, producer, "deletion", "")
    client = _as(app, world, "admin")
    url = f"/admin/solicitudes-de-datos/{request.id}"
    response = client.post(url, data={"action": "carry_out"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Se borró" in page and "Se guarda sin su nombre" in page
    assert "Préstamos, cuotas y pagos" in page
    assert _db.session.get(Producer, producer.id).erased_at is not None
    assert _db.session.get(User, owner.id).active is False
    # her old session ends with the account
    assert _as_signed_in_before(app, world).get("/mis-datos").status_code == 302


def _as_signed_in_before(app, world):
    """A client whose sign-in happened before the deletion is redirected to sign in."""
    client = app.test_client()
    with client.session_transaction() as session:
        user = _db.session.get(User, world["users"]["owner"].id)
        session["_user_id"] = f"{user.id}:{user.session_version - 1}:0"
        session["_fresh"] = True
    return client


def test_the_admin_rejects_with_a_reason_or_is_told_to_write_one(app, world):
    owner, producer = world["users"]["owner"], world["producer"]
    request = services.file_request(owner, producer, "rectification", "Mi nombre")
    client = _as(app, world, "admin")
    url = f"/admin/solicitudes-de-datos/{request.id}"
    page = client.post(url, data={"action": "reject", "note": ""}).get_data(as_text=True)
    assert "Escriba el motivo" in page
    client.post(url, data={"action": "reject", "note": "El nombre ya es correcto"})
    _db.session.refresh(request)
    assert request.status == "rejected" and request.resolution_note == "El nombre ya es correcto"
    rights = _as(app, world, "owner").get(f"/productores/{producer.id}/derechos")
    assert "El nombre ya es correcto" in rights.get_data(as_text=True)


def test_an_admin_looking_at_her_data_is_audit_logged_but_files_nothing_for_her(app, world):
    _as(app, world, "admin").get(f"/productores/{world['producer'].id}/datos")
    assert _db.session.scalars(select(DataRequest)).all() == []
    entry = _db.session.scalar(select(AuditLog).where(AuditLog.action == "privacy.data_exported"))
    assert entry.actor_id == world["users"]["admin"].id
    assert entry.detail["producer"] == world["producer"].id


def test_granting_a_consent_she_objected_to_is_refused_in_spanish_not_500(app, world):
    owner, producer = world["users"]["owner"], world["producer"]
    services.set_objection(owner, producer, "share_lenders", True)
    client = _as(app, world, "owner")
    page = client.post(
        f"/productores/{producer.id}/consentimientos",
        data={"scope": "lenders", "granted": "y"},
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert "retire primero la oposición" in page.get_data(as_text=True)
    credit = client.post(
        f"/productores/{producer.id}/credito/permiso", data={"granted": "y"}, follow_redirects=True
    )
    assert credit.status_code == 200
    assert "retire primero la oposición" in credit.get_data(as_text=True)


def test_an_erased_producer_is_no_longer_edited_by_her_technician(app, world, tmp_path):
    producer = world["producer"]
    request = services.file_request(world["users"]["owner"], producer, "deletion", "")
    erasure.carry_out(world["users"]["admin"], request, tmp_path)
    client = _as(app, world, "technician")
    assert client.get(f"/productores/{producer.id}/editar").status_code == 404
    assert client.get(f"/productores/{producer.id}/derechos/correccion").status_code == 200
    response = client.post(
        f"/productores/{producer.id}/derechos/correccion",
        data={"detail": "otra cosa", "in_person": "y"},
    )
    assert "ya fueron suprimidos" in response.get_data(as_text=True)
