"""Every protected page x every role -> the expected status (302 to sign-in, 403, 404, 200)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.models import Consent, Farm, MatchingRun, Producer
from tests.conftest import signed_in_client

ROLES = [
    "anonymous",
    "owner",  # the producer whose records these are
    "other_producer",
    "technician",  # of the owner's cooperative
    "other_technician",
    "supplier",
    "buyer",
    "lender",
    "admin",
]

SIGNED_IN = {role: 200 for role in ROLES if role != "anonymous"} | {"anonymous": 302}
OWN_RECORD = {
    "anonymous": 302,
    "owner": 200,
    "other_producer": 404,
    "technician": 200,
    "other_technician": 404,
    "supplier": 403,
    "buyer": 403,
    "lender": 403,
    "admin": 403,
}
PRODUCER_ONLY = {role: 403 for role in ROLES} | {
    "anonymous": 302,
    "owner": 200,
    "other_producer": 200,
}
TECHNICIAN_ONLY = {role: 403 for role in ROLES} | {
    "anonymous": 302,
    "technician": 200,
    "other_technician": 200,
}
ORG_MEMBERS = {role: 200 for role in ROLES} | {
    "anonymous": 302,
    "owner": 403,
    "other_producer": 403,
    "admin": 403,
}
ADMIN_ONLY = {role: 403 for role in ROLES} | {"anonymous": 302, "admin": 200}

PAGES = [
    ("/cuenta/clave", SIGNED_IN),
    ("/mis-datos", PRODUCER_ONLY),
    ("/productores", TECHNICIAN_ONLY),
    ("/productores/nuevo", TECHNICIAN_ONLY),
    ("/productores/{producer}", OWN_RECORD),
    ("/productores/{producer}/editar", OWN_RECORD),
    ("/productores/{producer}/fincas/nueva", OWN_RECORD),
    ("/productores/{producer}/fincas/{farm}/editar", OWN_RECORD),
    ("/productores/{producer}/fincas/{farm}/eliminar", OWN_RECORD),
    ("/productores/{producer}/consentimientos", OWN_RECORD),
    ("/mi-credito", PRODUCER_ONLY),
    ("/productores/{producer}/credito", OWN_RECORD),
    ("/organizacion", ORG_MEMBERS),
    ("/admin/usuarios", ADMIN_ONLY),
    ("/admin/organizaciones", ADMIN_ONLY),
    ("/admin/auditoria", ADMIN_ONLY),
    ("/admin/emparejamiento", ADMIN_ONLY),
    ("/admin/emparejamiento/corridas/{run}", ADMIN_ONLY),
    ("/admin/matching/runs/{run}/progress", ADMIN_ONLY),
]

# State-changing posts: outsiders must change nothing.
POSTS = [
    ("/productores/{producer}/fincas/{farm}/eliminar", {}),
    ("/productores/{producer}/consentimientos", {"scope": "lenders", "granted": "y"}),
    ("/productores/{producer}/credito/permiso", {"granted": "y", "in_person": "y"}),
    (
        "/productores/{producer}/editar",
        {
            "first_name": "X",
            "last_name": "Y",
            "gender": "male",
            "country": "PE",
            "national_id": "12345678",
        },
    ),
]


@pytest.fixture
def world(db, make_user, make_org, make_producer, make_farm):
    coop = make_org("cooperative")
    owner_user = make_user("producer")
    producer = make_producer(user_id=owner_user.id, cooperative_id=coop.id)
    farm = make_farm(producer)
    users = {
        "owner": owner_user,
        "other_producer": make_user("producer"),
        "technician": make_user("technician", organization=coop),
        "other_technician": make_user("technician"),
        "supplier": make_user("supplier"),
        "buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    make_producer(user_id=users["other_producer"].id)
    run = MatchingRun(status="succeeded", backend="cli", metrics={"n_producers": 0})
    db.session.add(run)
    db.session.commit()
    return {"users": users, "producer": producer.id, "farm": farm.id, "run": run.id}


def _client_as(app, world, role):
    return signed_in_client(app, world["users"].get(role))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(app, world, role):
    client = _client_as(app, world, role)
    for template, expected in PAGES:
        url = template.format(producer=world["producer"], farm=world["farm"], run=world["run"])
        response = client.get(url)
        status = response.status_code
        if role in ("owner", "other_producer") and template == "/mis-datos":
            assert status == 200, url
            continue
        assert status == expected[role], f"{role} GET {url}: {status} != {expected[role]}"
        if status == 302:
            assert "/ingresar" in response.location


@pytest.mark.parametrize("role", [r for r in ROLES if OWN_RECORD[r] != 200])
def test_outsiders_cannot_change_a_producers_records(app, db, world, role):
    client = _client_as(app, world, role)
    for template, data in POSTS:
        url = template.format(producer=world["producer"], farm=world["farm"])
        assert client.post(url, data=data).status_code == OWN_RECORD[role], url
    db.session.expire_all()
    assert db.session.get(Farm, world["farm"]) is not None
    assert db.session.get(Producer, world["producer"]).first_name != "X"
    assert db.session.scalar(select(func.count(Consent.id))) == 0


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_start_matching_runs(app, db, world, role):
    client = _client_as(app, world, role)
    response = client.post("/admin/emparejamiento/iniciar")
    assert response.status_code == ADMIN_ONLY[role]
    assert db.session.scalars(db.select(MatchingRun.id)).all() == [world["run"]]


def test_producer_ids_cannot_be_probed(app, world):
    client = _client_as(app, world, "other_producer")
    assert client.get(f"/productores/{world['producer']}").status_code == 404
    assert client.get("/productores/999999").status_code == 404
