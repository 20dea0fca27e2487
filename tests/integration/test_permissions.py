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
# a farm's plot page: its people, admins, and buyers with an active pledge from it (none here)
PLOT_PAGE = OWN_RECORD | {"buyer": 404, "admin": 200}

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
    ("/incentivos", PRODUCER_ONLY),
    ("/productores/{producer}/incentivos", OWN_RECORD),
    ("/impacto", {role: 200 for role in ROLES}),
    ("/admin/impacto", ADMIN_ONLY),
    ("/admin/impacto.csv", ADMIN_ONLY),
    ("/organizacion", ORG_MEMBERS),
    ("/admin/usuarios", ADMIN_ONLY),
    ("/admin/organizaciones", ADMIN_ONLY),
    ("/admin/auditoria", ADMIN_ONLY),
    ("/admin/emparejamiento", ADMIN_ONLY),
    ("/admin/pagos", ADMIN_ONLY),
    ("/admin/mensajes", ADMIN_ONLY),
    ("/mis-datos/reclamar", PRODUCER_ONLY | {"owner": 404, "other_producer": 404}),
    ("/admin/credito/ajustes", ADMIN_ONLY),
    ("/admin/trazabilidad/conversiones", ADMIN_ONLY),
    ("/admin/emparejamiento/corridas/{run}", ADMIN_ONLY),
    ("/admin/matching/runs/{run}/progress", ADMIN_ONLY),
    ("/fincas/{farm}/parcela", PLOT_PAGE),
    ("/revisiones", {role: 403 for role in ROLES} | {"anonymous": 302, "buyer": 200, "admin": 200}),
    ("/productores/{producer}/datos", OWN_RECORD | {"admin": 200}),
    ("/productores/{producer}/datos.json", OWN_RECORD | {"admin": 200}),
    ("/productores/{producer}/derechos", OWN_RECORD),
    ("/productores/{producer}/derechos/supresion", OWN_RECORD),
    ("/admin/solicitudes-de-datos", ADMIN_ONLY),
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


# the admin's ceiling is saved (302); a calendar without months is refused on the page (200)
CREDIT_SETTINGS_POSTS = [
    ("/admin/credito/ajustes/usura", ADMIN_ONLY | {"admin": 302}),
    ("/admin/credito/ajustes/cosechas", ADMIN_ONLY),
]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_change_credit_settings(app, db, world, role):
    from marketplace.models import HarvestCalendar, PlatformSetting

    client = _client_as(app, world, role)
    for url, expected in CREDIT_SETTINGS_POSTS:
        response = client.post(url, data={"rate": "20", "valid_from": "2026-01-01"})
        assert response.status_code == expected[role], f"{role} POST {url}"
    assert db.session.scalars(select(HarvestCalendar)).all() == []
    if role != "admin":
        assert db.session.get(PlatformSetting, "co_usury_ceiling") is None


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_change_the_conversion_factors(app, db, world, role):
    from marketplace.models import PlatformSetting

    client = _client_as(app, world, role)
    data = {
        "cacao_baba__cacao_seco": "0,4",
        "cafe_cereza__cafe_pergamino": "0,2",
        "cafe_pergamino__cafe_verde": "0,8",
    }
    response = client.post("/admin/trazabilidad/conversiones", data=data)
    assert response.status_code == (ADMIN_ONLY | {"admin": 302})[role]
    stored = db.session.get(PlatformSetting, "conversion_factors")
    assert (stored is not None) == (role == "admin")


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


# --- the lender's review of credit groups and its loans ----------------------------------

CREDIT_ROLES = [*ROLES, "own_lender", "unverified_lender"]
LENDER_AREA = {role: 403 for role in CREDIT_ROLES} | {
    "anonymous": 302,
    "lender": 200,
    "own_lender": 200,
}
OWN_LENDER = LENDER_AREA | {"lender": 404}
CREDIT_PAGES = [
    ("/credito/grupos", LENDER_AREA | {"unverified_lender": 200}),  # with a notice
    ("/credito/grupos/{match}", OWN_LENDER),
    ("/credito/grupos/{match}/csv", OWN_LENDER),
    ("/credito/grupos/{match}/aprobar", OWN_LENDER),
    ("/credito/prestamos", LENDER_AREA),
    ("/credito/cartera", LENDER_AREA),
    ("/credito/prestamos/{loan}", OWN_LENDER),
]
CREDIT_POSTS = [
    ("/credito/grupos/{match}/rechazar", {"reason": "No"}),
    ("/credito/grupos/{match}/pedir-informacion", {"message": "¿?"}),
    ("/credito/grupos/{match}/aprobar", {}),
    ("/credito/prestamos/{loan}/desembolso", {}),
    ("/credito/prestamos/{loan}/pagos", {"amount": "1", "outcome": "on_time"}),
]


@pytest.fixture
def credit_world(db, world, make_org, make_user, make_credit_product, make_match):
    """`world` plus a lender organization with a proposed group and an approved loan."""
    from marketplace.models import Loan, MatchingRun

    product = make_credit_product()
    own = make_user("lender", organization=product.organization)
    run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
    db.session.add(run)
    db.session.commit()
    match = make_match(n=2, product=product, run=run)
    decided = make_match(n=1, product=product, run=run, status="approved")
    loan = Loan(
        producer_id=decided.cluster.members[0].producer_id,
        lender_id=product.organization_id,
        credit_product_id=product.id,
        match_id=decided.id,
        amount_minor=300_000,
        currency="PEN",
        annual_rate_bp=2800,
        total_cost_bp=3100,
        term_months=12,
        approved_by_id=own.id,
    )
    db.session.add(loan)
    db.session.commit()
    unverified = make_user("lender", organization=make_org("lender", verified=False))
    users = world["users"] | {"own_lender": own, "unverified_lender": unverified}
    return {"users": users, "match": match.id, "loan": loan.id}


@pytest.mark.parametrize("role", CREDIT_ROLES)
def test_every_credit_page_for_every_role(app, credit_world, role):
    client = signed_in_client(app, credit_world["users"].get(role))
    for template, expected in CREDIT_PAGES:
        url = template.format(match=credit_world["match"], loan=credit_world["loan"])
        status = client.get(url).status_code
        assert status == expected[role], f"{role} GET {url}: {status} != {expected[role]}"


@pytest.mark.parametrize("role", [r for r in CREDIT_ROLES if r != "own_lender"])
def test_outsiders_cannot_decide_or_record(app, db, credit_world, role):
    from marketplace.models import Loan, Match, Repayment

    client = signed_in_client(app, credit_world["users"].get(role))
    for template, data in CREDIT_POSTS:
        url = template.format(match=credit_world["match"], loan=credit_world["loan"])
        expected = OWN_LENDER[role]
        assert client.post(url, data=data).status_code == expected, f"{role} POST {url}"
    db.session.expire_all()
    assert db.session.get(Match, credit_world["match"]).status == "proposed"
    assert db.session.get(Loan, credit_world["loan"]).status == "approved"
    assert db.session.scalars(db.select(Repayment)).all() == []


def test_ids_of_another_lenders_groups_cannot_be_probed(app, credit_world):
    client = signed_in_client(app, credit_world["users"]["lender"])
    for url in ("/credito/grupos/999999", "/credito/prestamos/999999"):
        assert client.get(url).status_code == 404


# --- card payments ----------------------------------------------------------------------------

SUPPLIER_ONLY = {role: 403 for role in ROLES} | {"anonymous": 302, "supplier": 302}
PAY_ORDER = PRODUCER_ONLY | {"owner": 302, "other_producer": 404}  # the owner: refused, back
#: A supplier's answer to a transfer of an order placed with another organization.
NOT_THEIR_ORDER = SUPPLIER_ONLY | {"supplier": 404}
PAYMENT_ROUTES = [
    ("POST", "/pedidos/{order}/pagar", PAY_ORDER),
    ("POST", "/organizacion/cobros", SUPPLIER_ONLY),  # the supplier: not configured, back
    ("GET", "/organizacion/cobros/volver", SUPPLIER_ONLY),
    ("GET", "/admin/pagos", ADMIN_ONLY),
    ("POST", "/admin/pagos", ADMIN_ONLY | {"admin": 302}),
    ("GET", "/formas-de-pago", {role: 200 for role in ROLES}),
    # transfers: the owner's order is cash, so recording one is refused on the page (400)
    (
        "POST",
        "/pedidos/{order}/transferencia",
        PRODUCER_ONLY | {"owner": 400, "other_producer": 404},
    ),
    ("GET", "/organizacion/transferencias", SUPPLIER_ONLY | {"supplier": 200}),
    ("POST", "/organizacion/transferencias", SUPPLIER_ONLY | {"supplier": 400}),
    ("POST", "/organizacion/transferencias/yape/quitar", SUPPLIER_ONLY),
    ("POST", "/proveedor/pagos/{payment}/confirmar", NOT_THEIR_ORDER),
    ("POST", "/proveedor/pagos/{payment}/no-recibido", NOT_THEIR_ORDER),
    ("POST", "/proveedor/devoluciones/{refund}/hecha", NOT_THEIR_ORDER),
    ("GET", "/admin/pagos/disputas", ADMIN_ONLY),
    ("POST", "/admin/pagos/disputas/{payment}", ADMIN_ONLY | {"admin": 302}),
    (
        "POST",
        "/pedidos/pagos/{payment}/anular",
        PRODUCER_ONLY | {"owner": 302, "other_producer": 404},
    ),
]


@pytest.fixture
def payment_world(world, make_listing, make_center):
    """`world` plus a cash order of the owner's (paying it by card is refused)."""
    import secrets

    from marketplace.orders import services

    owner = world["users"]["owner"]
    listing = make_listing()
    order = services.place_order(
        owner,
        _producer(world["producer"]),
        listing.id,
        1,
        "collection_center",
        make_center().id,
        None,
        "",
        secrets.token_urlsafe(24),
    )
    from marketplace.extensions import db
    from marketplace.models import OrderPayment, OrderRefund

    payment = OrderPayment(order_id=order.id, provider="manual", method="transfer",
                           channel="yape", state="pending", amount_minor=order.total_minor,
                           currency=order.currency, reference="123")  # fmt: skip
    db.session.add(payment)
    db.session.flush()
    refund = OrderRefund(order_id=order.id, payment_id=payment.id, amount_minor=1,
                         currency=order.currency, reason="cancelled")  # fmt: skip
    db.session.add(refund)
    db.session.commit()
    return world | {"order": order.id, "payment": payment.id, "refund": refund.id}


def _producer(producer_id: int) -> Producer:
    from marketplace.extensions import db

    return db.session.get(Producer, producer_id)


@pytest.mark.parametrize("role", ROLES)
def test_every_payment_route_for_every_role(app, payment_world, role):
    client = _client_as(app, payment_world, role)
    for method, template, expected in PAYMENT_ROUTES:
        url = template.format(
            order=payment_world["order"],
            payment=payment_world["payment"],
            refund=payment_world["refund"],
        )
        data = {"percent": "5"} if template == "/admin/pagos" else {}
        response = client.open(url, method=method, data=data)
        status = response.status_code
        assert status == expected[role], f"{role} {method} {url}: {status} != {expected[role]}"
        if role == "anonymous" and status == 302:
            assert "/ingresar" in response.location


@pytest.mark.parametrize("role", ROLES)
def test_the_webhook_refuses_anything_unsigned_whoever_sends_it(app, world, role):
    client = _client_as(app, world, role)
    assert client.post("/stripe/webhook", data=b"{}").status_code == 400


# The plot page's posts: who is refused, and how (the buyer holds no pledge from the farm).
PLOT_POSTS = [
    ("/fincas/{farm}/parcela", PLOT_PAGE | {"owner": None, "technician": None, "admin": 403}),
    (
        "/fincas/{farm}/parcela/borrar",
        {role: 403 for role in ROLES}
        | {"anonymous": 302, "owner": None, "technician": None}
        | {"other_producer": 404, "other_technician": 404},
    ),
    (
        "/fincas/{farm}/evidencias",
        {role: 403 for role in ROLES}
        | {"anonymous": 302, "technician": None, "other_technician": 404},
    ),
    (
        "/fincas/{farm}/disputas",
        {role: 403 for role in ROLES}
        | {"anonymous": 302, "owner": None, "technician": None}
        | {"other_producer": 404, "other_technician": 404},
    ),
]
SQUARE = (
    '{"type": "Polygon", "coordinates": [[[-76.73, -7.18], [-76.728, -7.18], '
    "[-76.728, -7.178], [-76.73, -7.178], [-76.73, -7.18]]]}"
)


@pytest.mark.parametrize("role", ROLES)
def test_plot_posts_for_every_role(app, db, world, role):
    from marketplace.models import FieldEvidence

    client = _client_as(app, world, role)
    data = {"outline": SQUARE, "note": "Visita", "observed_on": "2026-01-01"}
    for template, expected in PLOT_POSTS:
        url = template.format(farm=world["farm"])
        status = client.post(url, data=data).status_code
        if expected[role] is None:  # allowed: this matrix only checks refusals
            continue
        assert status == expected[role], f"{role} POST {url}: {status} != {expected[role]}"
    if role not in ("owner", "technician"):
        db.session.expire_all()
        farm = db.session.get(Farm, world["farm"])
        assert farm.polygon_geojson is None
        assert farm.risk_status == "unassessed"
        assert db.session.scalar(select(func.count(FieldEvidence.id))) == 0


# --- traceability: collection centre staff, the buyer's view and export ------------------------

CENTRE_STAFF = {role: 403 for role in ROLES} | {
    "anonymous": 302,
    "technician": 200,  # of the cooperative that runs the centre
    "other_technician": 404,
    "admin": 200,
}
COMMITMENT_BUYER = {role: 403 for role in ROLES} | {"anonymous": 302, "buyer": 200}
TRACE_PAGES = [
    ("/acopio/centros/{center}", CENTRE_STAFF),
    ("/acopio/lotes/{lot}", CENTRE_STAFF),
    ("/mis-entregas", PRODUCER_ONLY),
    ("/compras/compromisos/{commitment}/trazabilidad", COMMITMENT_BUYER),
    ("/compras/lotes/{lot}", COMMITMENT_BUYER),
    ("/compras/lotes/{lot}/diligencia.geojson", COMMITMENT_BUYER),
    ("/compras/compromisos/{commitment}/diligencia.csv", COMMITMENT_BUYER),
    ("/compras/compromisos/{commitment}/diligencia-pendientes.csv", COMMITMENT_BUYER),
    ("/compras/lotes/{lot}/diligencia-pendientes.csv", COMMITMENT_BUYER),
]
TRACE_POSTS = [
    ("/acopio/centros/{center}/entregas", {"pledge_id": "{pledge}", "kg": "10"}),
    ("/acopio/centros/{center}/lotes", {"commitment_id": "{commitment}"}),
    ("/acopio/lotes/{lot}/peso", {"weight_kg": "1"}),
    ("/acopio/lotes/{lot}/cerrar", {}),
    ("/acopio/lotes/{lot}/dividir", {"delivery_ids": "1"}),
    ("/acopio/lotes/{lot}/fusionar", {"other_lot_id": "{lot}"}),
]


@pytest.fixture
def trace_world(db, world, make_center, make_commitment):
    """`world` plus a centre of the owner's cooperative, a commitment of the buyer's
    organization delivered there, the owner's pledge to it and an open lot."""
    from marketplace.models import Pledge, User
    from marketplace.models.traceability import Lot

    technician = db.session.get(User, world["users"]["technician"].id)
    center = make_center(technician.organization)
    buyer = db.session.get(User, world["users"]["buyer"].id)
    commitment = make_commitment(
        buyer.organization, created_by=buyer, collection_center_id=center.id
    )
    pledge = Pledge(
        commitment_id=commitment.id,
        farm_id=world["farm"],
        producer_id=world["producer"],
        pledged_by_id=buyer.id,
        kg=500,
    )
    lot = Lot(
        code="LOT-PE-TEST",
        commitment_id=commitment.id,
        collection_center_id=center.id,
        created_by_id=technician.id,
    )
    db.session.add_all([pledge, lot])
    db.session.commit()
    ids = {"center": center.id, "commitment": commitment.id, "pledge": pledge.id, "lot": lot.id}
    return world | ids


@pytest.mark.parametrize("role", ROLES)
def test_every_traceability_page_for_every_role(app, trace_world, role):
    client = _client_as(app, trace_world, role)
    for template, expected in TRACE_PAGES:
        url = template.format(**trace_world)
        status = client.get(url).status_code
        assert status == expected[role], f"{role} GET {url}: {status} != {expected[role]}"


@pytest.mark.parametrize("role", [r for r in ROLES if CENTRE_STAFF[r] != 200])
def test_outsiders_cannot_record_deliveries_or_touch_lots(app, db, trace_world, role):
    from marketplace.models.traceability import Delivery, Lot

    client = _client_as(app, trace_world, role)
    for template, data in TRACE_POSTS:
        url = template.format(**trace_world)
        filled = {k: v.format(**trace_world) for k, v in data.items()}
        status = client.post(url, data=filled).status_code
        assert status == CENTRE_STAFF[role], f"{role} POST {url}: {status}"
    db.session.expire_all()
    assert db.session.scalars(db.select(Delivery)).all() == []
    assert [lot.status for lot in db.session.scalars(db.select(Lot))] == ["open"]


# --- shipments: the buyer organization's own -----------------------------------------------

SHIPMENT_PAGES = [
    ("/compras/embarques", COMMITMENT_BUYER),
    ("/compras/embarques/nuevo", COMMITMENT_BUYER),
    ("/compras/embarques/{shipment}", COMMITMENT_BUYER),
    ("/compras/embarques/{shipment}/pendientes.csv", COMMITMENT_BUYER),
]
SHIPMENT_POSTS = [
    "/compras/embarques/{shipment}/lotes",
    "/compras/embarques/{shipment}/lotes/{lot}/quitar",
    "/compras/embarques/{shipment}/listo",
    "/compras/embarques/{shipment}/borrador",
    "/compras/embarques/{shipment}/partes/1/dds",
]


@pytest.fixture
def shipment_world(db, trace_world):
    """`trace_world` plus a draft shipment of the buyer's organization."""
    from marketplace.models import User
    from marketplace.traceability import shipments

    buyer = db.session.get(User, trace_world["users"]["buyer"].id)
    data = shipments.ShipmentData(
        value_chain="cacao",
        hs_code="180100",
        description="Cacao en grano",
        importer_name="Importador BV",
        importer_country="NL",
        importer_eori="NL812345678",
        exporter_name="Exportador SAC",
        exporter_country="PE",
    )
    return trace_world | {"shipment": shipments.create_shipment(buyer, data).id}


@pytest.mark.parametrize("role", ROLES)
def test_every_shipment_page_for_every_role(app, shipment_world, role):
    client = _client_as(app, shipment_world, role)
    for template, expected in SHIPMENT_PAGES:
        url = template.format(**shipment_world)
        status = client.get(url).status_code
        assert status == expected[role], f"{role} GET {url}: {status} != {expected[role]}"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "buyer"])
def test_only_the_owning_buyer_changes_a_shipment(app, db, shipment_world, role):
    from marketplace.models import AuditLog

    client = _client_as(app, shipment_world, role)
    for template in SHIPMENT_POSTS:
        url = template.format(**shipment_world)
        status = client.post(url, data={"lot_ids": str(shipment_world["lot"])}).status_code
        assert status == COMMITMENT_BUYER[role], f"{role} POST {url}: {status}"
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert actions == ["shipment.created"]
