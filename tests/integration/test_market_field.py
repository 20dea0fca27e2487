"""The marketplace in the field (issue 18): sold-out items, a supplier's way to the farm,
forgiving search, commitments by distance and deliveries at the cooperative's centres."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select

from marketplace.models import Order
from marketplace.orders import services as orders
from tests.conftest import signed_in_client

# --- sold-out items -----------------------------------------------------------------------


def test_a_sold_out_item_has_no_order_button_and_its_form_offers_others(
    db, client, login, make_user, make_producer, make_farm, make_listing
):
    supplier = make_user("supplier")
    gone = make_listing(supplier.organization, title="Fertilizante orgánico premium", stock=0)
    other = make_listing(supplier.organization, title="Humus de lombriz", stock=8)
    user = make_user("producer")
    make_farm(make_producer(user_id=user.id))
    login(user)

    detail = client.get(f"/catalogo/{gone.id}").get_data(as_text=True)
    assert "Agotado" in detail and "/pedir" not in detail

    page = client.get(f"/catalogo/{gone.id}/pedir")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "se agotó" in html
    assert "Ver el total" not in html and 'name="quantity"' not in html
    assert f"/catalogo/{other.id}" in html and "Humus de lombriz" in html

    posted = client.post(
        f"/catalogo/{gone.id}/pedir",
        data={
            "quantity": "1",
            "payment_method": "cash",
            "step": "confirm",
            "idempotency_key": secrets.token_urlsafe(24),
        },
    )
    assert posted.status_code == 409 and "se agotó" in posted.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0


def test_sold_out_items_come_last_in_the_catalogue(db, client, make_listing, make_org):
    org = make_org("supplier")
    second = make_listing(org, title="En stock", stock=5)
    service = make_listing(org, kind="service", title="Poda de cacao")
    first = make_listing(org, title="Agotado, el más nuevo", stock=0)
    html = client.get("/catalogo?place=PE").get_data(as_text=True)
    positions = [html.index(f'/catalogo/{item.id}"') for item in (second, service, first)]
    assert positions[2] > max(positions[:2])
    # Past the last page of items in stock, the sold-out ones follow
    from marketplace.catalog import search

    ids = [
        search.page_ids(search.CatalogFilters(country="PE"), page, 1)[0] for page in (1, 2, 3, 4)
    ]
    assert ids[2] == [first.id] and ids[3] == []
    assert search.page_ids(search.CatalogFilters(country="PE"), 2, 1)[1] is True
    assert search.page_ids(search.CatalogFilters(country="PE"), 3, 1)[1] is False


# --- a supplier delivering to a farm --------------------------------------------------------


def test_the_supplier_sees_the_farms_phone_and_the_way_there(
    app, db, client, login, make_user, make_producer, make_farm, make_listing
):
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization, delivery_mode="farm_delivery")
    user = make_user("producer")
    producer = make_producer(user_id=user.id, phone="+51942000111")
    farm = make_farm(producer, lat=-7.1801, lon=-76.7302)
    order = orders.place_order(
        actor=user,
        producer=producer,
        listing_id=listing.id,
        quantity=1,
        delivery_point="farm",
        center_id=None,
        farm_id=farm.id,
        note="",
        idempotency_key=secrets.token_urlsafe(24),
    )
    login(supplier)
    html = client.get(f"/proveedor/pedidos/{order.id}").get_data(as_text=True)
    assert "+51942000111" in html and "Cómo llegar" in html
    link = re.search(r'href="(https://www\.openstreetmap\.org/directions[^"]+)"', html)
    assert link and "-7.1801" in link.group(1) and "-76.7302" in link.group(1)

    # A supplier the producer never ordered from cannot open the order
    stranger = make_user("supplier")
    other = signed_in_client(app, stranger)
    assert other.get(f"/proveedor/pedidos/{order.id}").status_code in (403, 404)


# --- forgiving search ---------------------------------------------------------------------


def test_the_light_spanish_stemmer():
    from marketplace.text import stem

    assert stem("Fertilizantes") == stem("fertilizante") == "fertilizant"
    assert stem("orgánicos") == stem("organica") == "organic"
    assert stem("abonos") == "abon"
    assert stem("fumigaciones") == stem("fumigación") == "fumigac"
    assert stem("poda") == "poda" and stem("podas") == "poda"
    assert stem("plantones") == "planton"


def test_search_forgives_accents_plurals_and_gender(db, client, make_listing, make_org):
    org = make_org("supplier")
    premium = make_listing(org, title="Fertilizante orgánico premium", category="abonos_organicos")
    compost = make_listing(org, title="Abono orgánico compost", category="abonos_organicos")
    tool = make_listing(org, title="Tijera de podar", category="herramientas")
    from marketplace.catalog import search

    def found(q):
        return set(search.page_ids(search.CatalogFilters(q=q, country="PE"), 1, 20)[0])

    assert found("fertilizante organico") == {premium.id}
    assert found("FERTILIZANTES ORGÁNICOS") == {premium.id}
    assert found("abonos organicos") == {premium.id, compost.id}
    assert tool.id not in found("abonos")


def test_no_match_suggests_categories_with_products_near_her(
    db, client, login, make_listing, make_org, make_user, make_producer, make_farm
):
    org = make_org("supplier")
    make_listing(org, title="Humus de lombriz", category="abonos_organicos", regions=["San Martín"])
    make_listing(org, title="Urea agrícola", category="fertilizantes", regions=["Cusco"])
    user = make_user("producer")
    make_farm(make_producer(user_id=user.id))  # in San Martín
    login(user)
    html = client.get("/catalogo?q=bioinsumos+organicos+liquidos").get_data(as_text=True)
    assert "No encontramos" in html and "Abonos orgánicos y bioinsumos" in html
    assert "category=abonos_organicos" in html
    # Fertilizantes are sold only in Cusco: suggested for all Peru, not for her region
    html = client.get("/catalogo?q=fertilizantes+azules").get_data(as_text=True)
    link = re.search(r'href="([^"]*category=fertilizantes[^"]*)"', html)
    assert link and "San+Mart" not in link.group(1) and "place=PE" in link.group(1)


# --- deliveries at the centres of the pledging producers' cooperative -----------------------


def test_a_technician_records_his_members_pledges_at_his_cooperatives_centre(
    db, client, login, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    from datetime import timedelta

    import pytest

    from marketplace.errors import DomainError
    from marketplace.models.base import local_today
    from marketplace.traceability import deliveries, lots
    from tests.integration.deliveries import pledge

    buyer_org = make_org("buyer")
    far_centre = make_center(name="Centro del comprador en Satipo", region="Junín")
    commitment = make_commitment(
        buyer_org, collection_center_id=far_centre.id, deforestation_free=False
    )
    coop = make_org("cooperative")
    own_centre = make_center(coop, name="Centro de acopio de la cooperativa")
    technician = make_user("technician", organization=coop)
    member = make_producer(cooperative_id=coop.id)
    member_pledge = pledge(commitment, make_farm(member), 800)
    stranger = make_producer(cooperative_id=make_org("cooperative").id)
    stranger_pledge = pledge(commitment, make_farm(stranger), 500)

    # The form of his centre offers his member's pledge, not the stranger's
    login(technician)
    dashboard = client.get("/").get_data(as_text=True)
    assert f"/acopio/centros/{own_centre.id}" in dashboard
    html = client.get(f"/acopio/centros/{own_centre.id}").get_data(as_text=True)
    assert f'value="{member_pledge.id}"' in html and f'value="{stranger_pledge.id}"' not in html

    def data(p, kg):
        return deliveries.DeliveryData(
            pledge_id=p.id, kg=kg, delivered_on=local_today() - timedelta(days=1)
        )

    delivery = deliveries.record_delivery(technician, own_centre, data(member_pledge, 300))
    assert delivery.collection_center_id == own_centre.id and delivery.kg == 300
    with pytest.raises(DomainError, match="no se entrega en este centro"):
        deliveries.record_delivery(technician, own_centre, data(stranger_pledge, 100))
    with pytest.raises(DomainError, match="supera lo comprometido"):
        deliveries.record_delivery(technician, own_centre, data(member_pledge, 501))

    # A lot of that commitment at his centre takes the delivery
    lot = lots.create_lot(technician, own_centre, commitment.id)
    assert [d.id for d in lots.addable_deliveries(lot)] == [delivery.id]
    lots.add_deliveries(technician, lot, [delivery.id])
    assert lots.lot_kg(lot.id) == 300

    # Another cooperative's centre does not take his member's pledge
    other_centre = make_center(name="Centro ajeno")
    with pytest.raises(DomainError, match="no se entrega en este centro"):
        deliveries.record_delivery(technician, other_centre, data(member_pledge, 100))


def test_the_demo_technician_can_record_a_delivery(runner):
    from marketplace.extensions import db
    from marketplace.models import CollectionCenter, User
    from marketplace.traceability import deliveries

    result = runner.invoke(args=["demo-data", "--producers", "200", "--seed", "2026"])
    assert result.exit_code == 0, result.output
    technician = db.session.scalar(select(User).where(User.email == "tecnico@minka.demo"))
    centres = db.session.scalars(
        select(CollectionCenter).where(
            CollectionCenter.organization_id == technician.organization_id,
            CollectionCenter.active.is_(True),
        )
    ).all()
    assert centres
    left = []
    for centre in centres:
        left += deliveries.open_pledges(centre).shown  # those with kilos left
    assert left, "no pledge of his members is open at his cooperative's centres"
    members = [p for p in left if p.producer.cooperative_id == technician.organization_id]
    assert members, "none of the open pledges is of his members"


# --- commitments by distance from her farm --------------------------------------------------


def test_commitments_are_sorted_and_labelled_by_distance_from_her_farm(
    db, client, login, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    from marketplace.commitments import offers

    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer, lat=-7.18, lon=-76.73)  # Juanjuí, San Martín
    # Padre Abad (Ucayali), 248 km away, delivered soonest
    far = make_commitment(
        product="Cacao para Padre Abad",
        collection_center_id=make_center(name="Centro Aguaytía", lat=-9.04, lon=-75.51).id,
    )
    near = make_commitment(
        product="Cacao para Juanjuí",
        collection_center_id=make_center(name="Centro Juanjuí", lat=-7.0, lon=-76.5).id,
        delivery_start=far.delivery_start + __import__("datetime").timedelta(days=5),
    )
    page = offers.matching_page(producer)
    assert [c.id for c in page.items] == [near.id, far.id]
    km = offers.delivery_km(producer, page.items)
    assert 30 < km[near.id] < 35 and 240 < km[far.id] < 260

    login(user)
    html = client.get("/compromisos").get_data(as_text=True)
    assert html.index("Cacao para Juanjuí") < html.index("Cacao para Padre Abad")
    assert "a 32 km de su finca" in html
    assert re.search(r"Lejos.{0,80}a 2[45]\d km de su finca", html, re.S)
    offer = client.get(f"/compromisos/{far.id}").get_data(as_text=True)
    assert re.search(r"Lejos.{0,80}a 247 km de su finca", offer, re.S)
