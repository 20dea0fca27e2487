"""The catalogue's pages through the client, and every new route x every role."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.models import AuditLog, Listing
from tests.conftest import signed_in_client
from tests.integration.pages import html_of

FORM = {
    "kind": "input",
    "category": "abonos_organicos",
    "title": "Fertilizante Orgánico Premium",
    "description": "Compost maduro.",
    "price": "45,50",
    "currency": "PEN",
    "unit": "saco_50kg",
    "stock": "40",
    "regions": ["San Martín", "Huánuco"],
    "value_chains": ["cacao"],
    "delivery_mode": "pickup",
    "lead_time_days": "2",
    "region": "San Martín",
    "district_code": "220601",
    "action": "publish",
}


def text_of(response) -> str:
    return html_of(response)


# --- suppliers ------------------------------------------------------------------------------


def test_supplier_publishes_from_the_form(client, login, make_user, db):
    supplier = make_user("supplier")
    login(supplier)
    page = client.get("/mis-productos/nuevo")
    assert page.status_code == 200
    assert 'value="PEN" selected' in text_of(page) or 'selected value="PEN"' in text_of(page)
    response = client.post("/mis-productos/nuevo", data=FORM)
    assert response.status_code == 302 and response.location.endswith("/mis-productos")
    listing = db.session.scalar(select(Listing))
    assert (listing.status, listing.price_minor, listing.stock) == ("published", 4550, 40)
    mine = client.get("/mis-productos")
    assert "Fertilizante Orgánico Premium" in text_of(mine)
    assert "está publicado en el catálogo" in text_of(mine)
    edit = text_of(client.get(f"/mis-productos/{listing.id}/editar"))
    assert 'value="45.50"' in edit
    assert 'value="Huánuco" checked' in edit or 'checked id="regions-' in edit
    assert 'selected value="220601"' in edit or 'value="220601" selected' in edit


def test_form_keeps_input_and_explains_mistakes_in_spanish(client, login, make_user, db):
    login(make_user("supplier"))
    bad = dict(FORM, price="cuarenta", title="ab", regions=[], stock="", value_chains=["miel"])
    response = client.post("/mis-productos/nuevo", data=bad)
    assert response.status_code == 200
    html = text_of(response)
    assert "Revise los datos marcados" in html
    assert "Escriba el monto con números" in html
    assert "Entre 3 y 140 caracteres." in html
    assert 'value="cuarenta"' in html and "Compost maduro." in html
    # The service's rules are explained in the same round.
    assert "Marque al menos una región donde atiende." in html
    assert "Esta categoría es para estas cadenas: Cacao, Café, Ganadería." in html
    assert db.session.scalar(select(Listing.id)) is None
    # Only the service's rules are broken: they come back next to their fields.
    response = client.post("/mis-productos/nuevo", data=dict(FORM, regions=[], stock=""))
    html = text_of(response)
    assert "Marque al menos una región donde atiende." in html
    assert "Indique el stock" in html
    assert db.session.scalar(select(Listing.id)) is None


def test_refresh_lists_the_districts_without_javascript(client, login, make_user, db):
    login(make_user("supplier"))
    response = client.post("/mis-productos/nuevo", data=dict(FORM, region="Junín", refresh="1"))
    html = text_of(response)
    assert response.status_code == 200 and "Pichanaqui" in html and "error-summary" not in html
    assert db.session.scalar(select(Listing.id)) is None


def test_unverified_org_saves_drafts_and_is_told_why_it_cannot_publish(
    client, login, make_user, make_org, db
):
    org = make_org("supplier", verified=False)
    login(make_user("supplier", organization=org))
    form = text_of(client.get("/mis-productos/nuevo"))
    assert "Guardar y publicar" not in form and "Guardar borrador" in form
    client.post("/mis-productos/nuevo", data=FORM)  # a forged "publish" saves a draft
    listing = db.session.scalar(select(Listing))
    assert listing.status == "draft"
    response = client.post(f"/mis-productos/{listing.id}/publicar", follow_redirects=True)
    assert "Su organización aún no está verificada" in text_of(response)
    assert db.session.get(Listing, listing.id).status == "draft"


def test_my_products_sums_up_statuses_and_low_stock(client, login, make_user, make_listing):
    supplier = make_user("supplier")
    make_listing(supplier.organization, title="Humus de lombriz", stock=2)
    make_listing(supplier.organization, status="draft")
    login(supplier)
    html = text_of(client.get("/mis-productos"))
    assert "Publicado: <strong>1</strong>" in html and "Borrador: <strong>1</strong>" in html
    assert "Stock bajo:" in html and "Humus de lombriz</a> (2)" in html


def test_pause_resume_and_delete_after_confirming(client, login, make_user, make_listing, db):
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization)
    login(supplier)
    client.post(f"/mis-productos/{listing.id}/pausar")
    assert db.session.get(Listing, listing.id).status == "paused"
    client.post(f"/mis-productos/{listing.id}/reanudar")
    assert db.session.get(Listing, listing.id).status == "published"
    confirm = client.get(f"/mis-productos/{listing.id}/eliminar")
    assert "Los pedidos que ya recibió se conservan." in text_of(confirm)
    client.post(f"/mis-productos/{listing.id}/eliminar")
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).status == "deleted"
    assert client.get(f"/catalogo/{listing.id}").status_code == 404
    assert client.get(f"/mis-productos/{listing.id}/editar").status_code == 404
    again = client.post(f"/mis-productos/{listing.id}/pausar", follow_redirects=True)
    assert again.status_code == 404
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["listing.paused", "listing.published", "listing.deleted"]


# --- money typed by people ----------------------------------------------------------------------


# --- browsing -------------------------------------------------------------------------------


def test_producer_starts_in_the_region_of_their_farm(
    client, login, make_user, make_producer, make_farm, make_listing
):
    user = make_user("producer")
    make_farm(make_producer(user_id=user.id))  # San Martín
    here = make_listing(title="Abono de aquí")
    make_listing(title="Abono de Junín", regions=["Junín"])
    login(user)
    html = text_of(client.get("/catalogo"))
    assert "Abono de aquí" in html and "Abono de Junín" not in html
    assert 'selected value="PE:San Martín"' in html
    assert "Todas las regiones de Perú" in html and "Más cerca de mi finca" in html
    everywhere = text_of(client.get("/catalogo?place=PE"))
    assert "Abono de aquí" in everywhere and "Abono de Junín" in everywhere
    detail = text_of(client.get(f"/catalogo/{here.id}"))
    assert f'href="/catalogo/{here.id}/pedir"' in detail and ">Pedir<" in detail
    assert "S/ 45.00 / saco de 50 kg" in detail.replace("\xa0", " ")


def test_anyone_may_browse_and_search_without_accents(client, make_listing):
    make_listing(title="Fertilizante Orgánico Premium", search_text="fertilizante organico premium")
    make_listing(title="Tijera de podar", search_text="tijera de podar")
    html = text_of(client.get("/catalogo?q=fertilizante+organico"))
    assert "Fertilizante Orgánico Premium" in html and "Tijera de podar" not in html
    assert "Más cerca de mi finca" not in html  # no farm to measure from


def test_pages_of_results(client, make_listing):
    for i in range(21):
        make_listing(title=f"Producto {i:02d}")
    first = text_of(client.get("/catalogo"))
    assert "Producto 20" in first and "Producto 00" not in first and "Siguiente" in first
    second = text_of(client.get("/catalogo?page=2"))
    assert "Producto 00" in second and "Anterior" in second and "Siguiente" not in second


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-3",
        "price_min=abc&price_max=-5",
        "place=XX:Nowhere",
        "sort=bogus&kind=x&category=y&value_chain=z",
        "q=" + "%25_" * 100,
        "in_stock=maybe",
        "page=99999999999999999999",
        "price_min=99999999999999999999&price_max=9999999999999999999",
        "sort=nearest&category=poda&kind=input",
    ],
)
def test_odd_filters_never_fail(client, make_listing, query):
    make_listing()
    response = client.get("/catalogo?" + query)
    assert response.status_code == 200


@pytest.mark.parametrize("listing_id", ["0", "99999999999999999999", "2147483648"])
def test_absurd_ids_are_not_found(client, login, make_user, listing_id):
    assert client.get(f"/catalogo/{listing_id}").status_code == 404
    login(make_user("supplier"))
    assert client.get(f"/mis-productos/{listing_id}/editar").status_code == 404
    assert client.post(f"/mis-productos/{listing_id}/pausar").status_code == 404
    assert client.get("/mis-productos?page=99999999999999999999").status_code == 200


def test_price_filter_error_is_shown(client, make_listing):
    make_listing()
    html = text_of(client.get("/catalogo?price_min=abc"))
    assert "Escriba el monto con números" in html


def test_owner_previews_a_draft_others_do_not_see_it(client, login, make_user, make_listing):
    supplier = make_user("supplier")
    draft = make_listing(supplier.organization, status="draft", title="Borrador secreto")
    assert client.get(f"/catalogo/{draft.id}").status_code == 404
    login(supplier)
    html = text_of(client.get(f"/catalogo/{draft.id}"))
    assert "Los productores todavía no ven esta página." in html and ">Pedir<" not in html


# --- every route x every role ----------------------------------------------------------------

ROLES = [
    "anonymous",
    "producer",
    "technician",
    "owner",  # a supplier-role member of the organization that owns the listing
    "other_supplier",  # a member of another supplier organization
    "ta_provider",  # a member of a technical-assistance provider (another organization)
    "buyer",
    "lender",
    "admin",
]
EVERYONE = dict.fromkeys(ROLES, 200)
SUPPLIERS = {role: 403 for role in ROLES} | {
    "anonymous": 302,
    "owner": 200,
    "other_supplier": 200,
    "ta_provider": 200,
}
OWN_LISTING = {role: 403 for role in ROLES} | {
    "anonymous": 302,
    "owner": 200,
    "other_supplier": 404,
    "ta_provider": 404,
}
OWNER_ONLY = {role: 404 for role in ROLES} | {"owner": 200}

PAGES = [
    ("/catalogo", EVERYONE),
    ("/catalogo/{published}", EVERYONE),
    ("/catalogo/{draft}", OWNER_ONLY),
    ("/catalogo/999999", dict.fromkeys(ROLES, 404)),
    ("/mis-productos", SUPPLIERS),
    ("/mis-productos/nuevo", SUPPLIERS),
    ("/mis-productos/{published}/editar", OWN_LISTING),
    ("/mis-productos/{draft}/editar", OWN_LISTING),
    ("/mis-productos/{published}/eliminar", OWN_LISTING),
]
# State-changing posts, in the order the owner makes them, and the status that follows.
POSTS = [
    ("/mis-productos/{draft}/editar", "published"),  # FORM says "save and publish"
    ("/mis-productos/{published}/pausar", "paused"),
    ("/mis-productos/{paused}/reanudar", "published"),
    ("/mis-productos/{published}/eliminar", "deleted"),
    ("/mis-productos/{draft}/publicar", None),  # already published: refused, no change
    ("/mis-productos/nuevo", None),
]


@pytest.fixture
def world(make_user, make_org, make_listing):
    owner = make_user("supplier")
    org = owner.organization
    users = {
        "producer": make_user("producer"),
        "technician": make_user("technician"),
        "owner": owner,
        "other_supplier": make_user("supplier"),
        "ta_provider": make_user("supplier", organization=make_org("ta_provider")),
        "buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    listings = {
        "published": make_listing(org).id,
        "draft": make_listing(org, status="draft").id,
        "paused": make_listing(org, status="paused").id,
    }
    return {"users": users, "listings": listings}


def _client_as(app, world, role):
    return signed_in_client(app, world["users"].get(role))


@pytest.mark.parametrize("role", ROLES)
def test_every_catalogue_page_for_every_role(app, world, role):
    client = _client_as(app, world, role)
    for template, expected in PAGES:
        url = template.format(**world["listings"])
        response = client.get(url)
        assert response.status_code == expected[role], f"{role} GET {url}"
        if response.status_code == 302:
            assert "/ingresar" in response.location


@pytest.mark.parametrize("role", [r for r in ROLES if r != "owner"])
def test_outsiders_change_nothing(app, db, world, role):
    client = _client_as(app, world, role)
    before = {i: db.session.get(Listing, i).status for i in world["listings"].values()}
    count = len(before)
    for template, _status in POSTS:
        if template == "/mis-productos/nuevo" and role in ("other_supplier", "ta_provider"):
            continue  # they may create listings for their own organization
        url = template.format(**world["listings"])
        response = client.post(url, data=FORM)
        expected = {"anonymous": 302, "other_supplier": 404, "ta_provider": 404}.get(role, 403)
        assert response.status_code == expected, f"{role} POST {url}"
    db.session.expire_all()
    after = {i: db.session.get(Listing, i).status for i in world["listings"].values()}
    assert after == before
    assert db.session.query(Listing).count() == count


def test_the_owner_changes_each_status(app, db, world):
    client = _client_as(app, world, "owner")
    for template, status in POSTS:
        url = template.format(**world["listings"])
        assert client.post(url, data=FORM).status_code == 302, url
        if status is not None:
            listing_id = int(url.split("/")[2])
            db.session.expire_all()
            assert db.session.get(Listing, listing_id).status == status, url
