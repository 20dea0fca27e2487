"""Orders: placing them (stock, price snapshot, idempotency, validation), the state machine,
the producer's and the supplier's pages, and who may open what."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from marketplace.errors import DomainError
from marketplace.models import AuditLog, Listing, Notification, Order
from marketplace.models.base import utcnow
from marketplace.orders import queries, services, states
from marketplace.orders.states import Side
from tests.conftest import PASSWORD, signed_in_client


def key() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def shop(make_user, make_org, make_producer, make_farm, make_listing, make_center):
    """A supplier with a listing of 20 sacks, a centre in Juanjuí, and a producer with a farm."""
    supplier = make_user("supplier", name="Milagros Proveedora")
    listing = make_listing(supplier.organization, price_minor=4500, stock=20)
    coop = make_org("cooperative")
    center = make_center(coop, name="Centro de acopio Juanjuí")
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(user_id=user.id, cooperative_id=coop.id)
    farm = make_farm(producer)
    return SimpleNamespace(
        supplier=supplier, listing=listing, center=center, user=user, producer=producer, farm=farm
    )


def place(shop, quantity=3, **overrides) -> Order:
    args = {
        "actor": shop.user,
        "producer": shop.producer,
        "listing_id": shop.listing.id,
        "quantity": quantity,
        "delivery_point": "collection_center",
        "center_id": shop.center.id,
        "farm_id": None,
        "note": "",
        "idempotency_key": key(),
    }
    args.update(overrides)
    return services.place_order(**args)


def stock_of(db, listing_id: int) -> int | None:
    return db.session.scalar(select(Listing.stock).where(Listing.id == listing_id))


def order_count(db) -> int:
    return db.session.scalar(select(func.count(Order.id)))


# --- placing an order -------------------------------------------------------------------------


def test_place_order_takes_stock_and_snapshots_the_price(db, shop):
    order = place(shop, 3, note="  Por favor antes del viernes  ")

    assert order.status == "placed"
    assert (order.quantity, order.unit_price_minor, order.total_minor) == (3, 4500, 13500)
    assert (order.currency, order.unit, order.title) == ("PEN", "saco_50kg", shop.listing.title)
    assert order.supplier_id == shop.supplier.organization_id
    assert order.placed_by_id == shop.user.id
    assert order.payment_method == "cash"
    assert order.note == "Por favor antes del viernes"
    assert order.collection_center_id == shop.center.id and order.farm_id is None
    assert stock_of(db, shop.listing.id) == 17

    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "order.placed"))
    assert (audit.entity_type, audit.entity_id, audit.actor_id) == ("order", order.id, shop.user.id)
    note = db.session.scalar(select(Notification).where(Notification.kind == "order.placed"))
    assert note.organization_id == shop.supplier.organization_id
    assert note.params == {"order": order.id, "quantity": 3, "title": order.title}
    assert note.link == f"/proveedor/pedidos/{order.id}"

    # The snapshot does not follow later price changes.
    shop.listing.price_minor = 9900
    db.session.commit()
    db.session.refresh(order)
    assert order.total_minor == 13500


def test_the_same_form_submitted_twice_makes_one_order(db, shop):
    token = key()
    first = place(shop, 2, idempotency_key=token)
    second = place(shop, 2, idempotency_key=token)
    assert first.id == second.id
    assert order_count(db) == 1
    assert stock_of(db, shop.listing.id) == 18


def test_another_producers_key_is_refused(db, shop, make_user, make_producer):
    token = key()
    place(shop, 1, idempotency_key=token)
    other_user = make_user("producer")
    other = make_producer(user_id=other_user.id)
    with pytest.raises(DomainError):
        place(shop, 1, idempotency_key=token, actor=other_user, producer=other)
    assert order_count(db) == 1


@pytest.mark.parametrize(
    "quantity",
    [0, -1, "0", "-3", "", "abc", "2.5", "1e3", 1.5, None, True, "9" * 30, 10**9, 21],
    ids=repr,
)
def test_wrong_quantities_are_refused_and_change_nothing(db, shop, quantity):
    with pytest.raises(DomainError) as refused:
        place(shop, quantity)
    assert refused.value.field == "quantity"
    assert str(refused.value.message)
    assert order_count(db) == 0
    assert stock_of(db, shop.listing.id) == 20


def test_more_than_the_stock_says_how_many_are_left(shop):
    with pytest.raises(services.NotEnoughStock) as refused:
        place(shop, 21)
    assert str(refused.value.message) == "No hay suficiente stock: quedan 20."
    place(shop, 20)
    with pytest.raises(services.NotEnoughStock) as refused:
        place(shop, 1)
    assert "se agotó" in str(refused.value.message)


def test_a_quantity_typed_as_text_is_accepted(shop):
    assert place(shop, " 4 ").quantity == 4


def test_services_are_ordered_up_to_1000_without_stock(db, shop, make_listing):
    service = make_listing(
        shop.supplier.organization, kind="service", price_minor=100, regions=["San Martín"]
    )
    args = {
        "listing_id": service.id,
        "delivery_point": "farm",
        "center_id": None,
        "farm_id": shop.farm.id,
    }
    with pytest.raises(DomainError, match="como máximo 1,000"):
        place(shop, 1001, **args)
    order = place(shop, 1000, **args)
    assert order.total_minor == 100_000 and order.farm_id == shop.farm.id
    assert stock_of(db, service.id) is None
    services.cancel(shop.supplier, order, "Sin técnicos disponibles")
    assert stock_of(db, service.id) is None


def test_a_total_too_large_for_one_order_is_refused(db, shop, make_listing):
    dear = make_listing(shop.supplier.organization, price_minor=2_000_000_000, stock=100_000)
    with pytest.raises(DomainError, match="demasiado grande"):
        place(shop, 1_000, listing_id=dear.id)
    assert stock_of(db, dear.id) == 100_000


@pytest.mark.parametrize("status", ["draft", "paused", "deleted"])
def test_listings_not_published_cannot_be_ordered(db, shop, status):
    shop.listing.status = status
    db.session.commit()
    with pytest.raises(DomainError, match="ya no está disponible"):
        place(shop, 1)
    assert order_count(db) == 0


def test_listings_of_unverified_or_suspended_organizations_cannot_be_ordered(
    db, shop, make_org, make_listing
):
    pending = make_listing(make_org("supplier", verified=False))
    suspended = make_listing(make_org("supplier", suspended_at=utcnow()))
    for listing in (pending, suspended):
        with pytest.raises(DomainError, match="ya no está disponible"):
            place(shop, 1, listing_id=listing.id)
    assert order_count(db) == 0
    assert stock_of(db, pending.id) == 20


def test_another_producers_farm_is_not_a_delivery_point(
    db, shop, make_listing, make_producer, make_farm
):
    to_farm = make_listing(shop.supplier.organization, delivery_mode="farm_delivery")
    strangers_farm = make_farm(make_producer())
    with pytest.raises(DomainError, match="Elija una de sus fincas") as refused:
        place(
            shop,
            1,
            listing_id=to_farm.id,
            delivery_point="farm",
            center_id=None,
            farm_id=strangers_farm.id,
        )
    assert refused.value.field == "farm_id"
    assert order_count(db) == 0 and stock_of(db, to_farm.id) == 20


def test_farm_delivery_only_where_the_supplier_serves(shop, make_listing):
    cusco_only = make_listing(
        shop.supplier.organization, delivery_mode="farm_delivery", regions=["Cusco"]
    )
    with pytest.raises(DomainError, match="no atiende en San Martín"):
        place(
            shop,
            1,
            listing_id=cusco_only.id,
            delivery_point="farm",
            center_id=None,
            farm_id=shop.farm.id,
        )


def test_pickup_needs_an_active_centre_of_the_country(db, shop, make_center):
    inactive = make_center(active=False)
    colombian = make_center(country="CO", region="Cauca", district_code="19001")
    for center_id in (inactive.id, colombian.id, None, 999_999):
        with pytest.raises(DomainError, match="centro de acopio") as refused:
            place(shop, 1, center_id=center_id)
        assert refused.value.field == "center_id"
    with pytest.raises(DomainError, match="se recoge en un centro"):
        place(shop, 1, delivery_point="farm", center_id=None, farm_id=shop.farm.id)
    assert order_count(db) == 0


def test_only_the_producer_or_their_technician_orders_for_them(db, shop, make_user, make_producer):
    stranger = make_user("producer")
    make_producer(user_id=stranger.id)
    with pytest.raises(DomainError):
        place(shop, 1, actor=stranger)
    with pytest.raises(DomainError):
        place(shop, 1, actor=shop.supplier)
    technician = make_user("technician", organization=shop.producer.cooperative)
    order = place(shop, 1, actor=technician)
    assert order.placed_by_id == technician.id


def test_listings_of_another_country_cannot_be_ordered(db, shop, make_listing):
    mexican = make_listing(
        shop.supplier.organization, country="MX", currency="MXN", regions=["Chiapas"]
    )
    with pytest.raises(DomainError, match="no se vende en su país"):
        place(shop, 1, listing_id=mexican.id)
    assert order_count(db) == 0


def test_a_changed_price_must_be_reviewed_again(db, shop):
    with pytest.raises(DomainError, match="El precio cambió"):
        place(shop, 1, expected_unit_price_minor=4000)
    assert order_count(db) == 0
    assert place(shop, 1, expected_unit_price_minor=4500).total_minor == 4500


def test_card_is_not_offered_yet_and_credit_needs_a_loan(db, shop):
    with pytest.raises(DomainError, match="forma de pago"):
        place(shop, 1, payment_method="card")
    with pytest.raises(DomainError, match="sus préstamos"):
        place(shop, 1, payment_method="credit")
    assert order_count(db) == 0


def test_a_missing_or_forged_form_key_is_refused(db, shop):
    for token in ("", "short", "x" * 65, "<script>alert(1)</script>-padding"):
        with pytest.raises(DomainError):
            place(shop, 1, idempotency_key=token)
    assert order_count(db) == 0


# --- the state machine --------------------------------------------------------------------------


def test_supplier_moves_an_order_to_completion_and_the_producer_is_told(db, shop):
    order = place(shop, 2)
    services.confirm(shop.supplier, order)
    services.mark_delivered(shop.supplier, order)
    services.complete(shop.supplier, order)
    assert order.status == "completed"
    assert stock_of(db, shop.listing.id) == 18

    actions = [step.action for step in queries.timeline(order)]
    assert actions == ["order.placed", "order.confirmed", "order.delivered", "order.completed"]
    told = db.session.scalars(
        select(Notification.kind)
        .where(Notification.user_id == shop.user.id)
        .order_by(Notification.id)
    ).all()
    assert told == ["order.confirmed", "order.delivered", "order.completed"]


SUPPLIER_MOVES = [
    (current, target, target in states.TRANSITIONS[current])
    for current in states.TRANSITIONS
    for target in states.ORDERED_TARGETS
]
PRODUCER_MOVES = [
    (current, states.CANCELLED, current == states.PLACED) for current in states.TRANSITIONS
]


@pytest.mark.parametrize(
    ("side", "current", "target", "allowed"),
    [("supplier", *move) for move in SUPPLIER_MOVES] + [("producer", *m) for m in PRODUCER_MOVES],
)
def test_every_transition_is_allowed_or_refused(db, shop, side, current, target, allowed):
    order = place(shop, 2)
    db.session.execute(update(Order).where(Order.id == order.id).values(status=current))
    db.session.commit()
    db.session.refresh(order)
    actor = shop.supplier if side == "supplier" else shop.user
    if allowed:
        services.transition(actor, order, target, "Motivo de prueba")
        assert order.status == target
    else:
        with pytest.raises(DomainError) as refused:
            services.transition(actor, order, target, "Motivo de prueba")
        assert str(refused.value.message)
        db.session.refresh(order)
        assert order.status == current


def test_refusals_say_why_in_spanish(db, shop):
    order = place(shop, 1)
    services.confirm(shop.supplier, order)
    with pytest.raises(DomainError, match="comuníquese con el proveedor"):
        services.cancel(shop.user, order)
    services.mark_delivered(shop.supplier, order)
    with pytest.raises(DomainError) as refused:
        services.cancel(shop.supplier, order, "Tarde")
    assert str(refused.value.message) == "Este pedido ya fue entregado: no se puede cancelar."
    assert states.refusal("placed", "completed", Side.SUPPLIER) == (
        "Solo se completa un pedido que ya fue entregado."
    )


def test_supplier_cancels_with_a_reason_and_the_stock_returns(db, shop):
    order = place(shop, 5)
    assert stock_of(db, shop.listing.id) == 15
    with pytest.raises(DomainError, match="por qué cancela"):
        services.cancel(shop.supplier, order, "   ")
    assert order.status == "placed"
    services.confirm(shop.supplier, order)
    services.cancel(shop.supplier, order, "Se nos acabó el compost")
    assert order.status == "cancelled" and order.cancel_reason == "Se nos acabó el compost"
    assert stock_of(db, shop.listing.id) == 20
    note = db.session.scalar(
        select(Notification).where(
            Notification.user_id == shop.user.id, Notification.kind == "order.cancelled"
        )
    )
    assert note.params["reason"] == "Se nos acabó el compost"


def test_producer_cancels_while_placed_and_the_supplier_is_told(db, shop):
    order = place(shop, 4)
    services.cancel(shop.user, order)
    assert order.status == "cancelled" and order.cancel_reason is None
    assert stock_of(db, shop.listing.id) == 20
    note = db.session.scalar(
        select(Notification).where(Notification.kind == "order.cancelled_by_producer")
    )
    assert note.organization_id == shop.supplier.organization_id
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "order.cancelled"))
    assert audit.detail == {"from": "placed", "by": "producer"}


def test_members_of_other_organizations_cannot_move_an_order(db, shop, make_user):
    order = place(shop, 1)
    for outsider in (make_user("supplier"), make_user("buyer"), make_user("admin")):
        with pytest.raises(DomainError):
            services.confirm(outsider, order)
    db.session.refresh(order)
    assert order.status == "placed"


def test_a_move_made_meanwhile_by_someone_else_wins(db, shop):
    order = place(shop, 1)
    # Another request confirms it after this one read the order.
    db.session.execute(update(Order).where(Order.id == order.id).values(status="confirmed"))
    with pytest.raises(DomainError, match="comuníquese con el proveedor"):
        services.cancel(shop.user, order)
    db.session.refresh(order)
    assert order.status == "confirmed"
    assert stock_of(db, shop.listing.id) == 19


# --- dashboards -------------------------------------------------------------------------------


def test_summaries_for_the_dashboards(db, shop):
    first, second, third = (place(shop, 1) for _ in range(3))
    services.confirm(shop.supplier, second)
    services.cancel(shop.user, third)
    mine = queries.producer_order_summary(shop.producer)
    assert mine["open_count"] == 2 and mine["total"] == 3
    assert [o.id for o in mine["open"]] == [second.id, first.id]
    assert mine["counts"]["cancelled"] == 1
    theirs = queries.supplier_order_summary(shop.supplier.organization_id)
    assert theirs["counts"] == {
        "placed": 1,
        "confirmed": 1,
        "delivered": 0,
        "completed": 0,
        "cancelled": 1,
    }
    assert theirs["to_handle"] == 2
    assert [o.id for o in theirs["oldest"]] == [first.id, second.id]


# --- pages ------------------------------------------------------------------------------------


def test_order_page_preselects_the_nearest_centre(db, client, login, shop, make_center):
    far = make_center(name="Acopio Tocache", district_code="221001", lat=-8.188, lon=-76.509)
    near = make_center(name="Acopio Pajarillo", district_code="220605", lat=-7.1767, lon=-76.6886)
    shop.center.active = False
    db.session.commit()
    login(shop.user)
    page = client.get(f"/catalogo/{shop.listing.id}/pedir").get_data(as_text=True)
    assert "Acopio Pajarillo — 4,6 km" in page or "Acopio Pajarillo — 4.6 km" in page
    assert page.index("Acopio Pajarillo") < page.index("Acopio Tocache")
    assert re.search(rf'<input checked id="center_id-0"[^>]*value="{near.id}"', page)
    assert f'value="{far.id}" checked' not in page and page.count("checked") == 2
    assert "Pago en efectivo al recibir o en el centro de acopio" in page


def test_ordering_through_the_pages(db, client, login, shop):
    login(shop.user)
    url = f"/catalogo/{shop.listing.id}/pedir"
    token = key()
    form = {
        "quantity": "3",
        "center_id": str(shop.center.id),
        "payment_method": "cash",
        "note": "",
        "idempotency_key": token,
    }
    review = client.post(url, data={**form, "step": "review"})
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "Revise su pedido" in html
    assert "135.00" in html and "Confirmar pedido" in html
    assert order_count(db) == 0

    done = client.post(url, data={**form, "step": "confirm", "unit_price": "4500"})
    assert done.status_code == 302
    order = db.session.scalar(select(Order))
    assert done.location.endswith(f"/pedidos/{order.id}")
    # Pressing the button again (or going back and resubmitting) does not order twice.
    again = client.post(url, data={**form, "step": "confirm", "unit_price": "4500"})
    assert again.location.endswith(f"/pedidos/{order.id}")
    assert order_count(db) == 1 and stock_of(db, shop.listing.id) == 17

    detail = client.get(f"/pedidos/{order.id}").get_data(as_text=True)
    assert "Pedido enviado" in detail and "Enviado" in detail and "Cancelar el pedido" in detail
    assert shop.listing.title in client.get("/pedidos").get_data(as_text=True)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("abc", "número entero"),
        ("0", "al menos 1"),
        ("-5", "al menos 1"),
        ("500", "quedan 20"),
        ("99999999999999999999", "demasiado grande"),
        ("", "Escriba cuántos quiere"),
    ],
)
def test_wrong_quantities_on_the_page_are_explained(db, client, login, shop, quantity, message):
    login(shop.user)
    response = client.post(
        f"/catalogo/{shop.listing.id}/pedir",
        data={"quantity": quantity, "center_id": str(shop.center.id), "idempotency_key": key()},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'id="quantity-error"' in html
    assert f'value="{quantity}"' in html  # what was typed is kept
    assert order_count(db) == 0


def test_a_producer_without_profile_is_sent_to_complete_it(client, login, shop, make_user):
    login(make_user("producer"))
    response = client.get(f"/catalogo/{shop.listing.id}/pedir")
    assert response.status_code == 302 and response.location.endswith("/mis-datos")
    assert client.get("/pedidos").location.endswith("/mis-datos")


def test_a_sold_out_listing_says_so_and_offers_no_button(db, client, login, shop):
    shop.listing.stock = 0
    db.session.commit()
    login(shop.user)
    html = client.get(f"/catalogo/{shop.listing.id}/pedir").get_data(as_text=True)
    assert "Este producto se agotó" in html and "Ver el total" not in html


def test_a_paused_listing_has_no_order_page(db, client, login, shop):
    shop.listing.status = "paused"
    db.session.commit()
    login(shop.user)
    assert client.get(f"/catalogo/{shop.listing.id}/pedir").status_code == 404
    assert client.get("/catalogo/999999/pedir").status_code == 404


def test_farm_delivery_without_a_farm_asks_to_register_one(
    client, login, shop, make_listing, make_user, make_producer
):
    to_farm = make_listing(shop.supplier.organization, delivery_mode="farm_delivery")
    user = make_user("producer")
    make_producer(user_id=user.id)
    login(user)
    html = client.get(f"/catalogo/{to_farm.id}/pedir").get_data(as_text=True)
    assert "primero registre una" in html and "Ver el total" not in html


def test_supplier_handles_orders_on_its_pages(db, app, shop):
    order = place(shop, 2)
    done = place(shop, 1)
    for move in (services.confirm, services.mark_delivered, services.complete):
        move(shop.supplier, done)
    client = app.test_client()
    client.post("/ingresar", data={"identifier": shop.supplier.email, "password": PASSWORD})

    listing_page = client.get("/proveedor/pedidos").get_data(as_text=True)
    assert f"Pedido #{order.id}" in listing_page and f"Pedido #{done.id}" not in listing_page
    completed = client.get("/proveedor/pedidos?estado=completed").get_data(as_text=True)
    assert f"Pedido #{done.id}" in completed and f"Pedido #{order.id}" not in completed

    detail = client.get(f"/proveedor/pedidos/{order.id}").get_data(as_text=True)
    assert "Confirmar pedido" in detail and "Marcar como entregado" not in detail
    response = client.post(f"/proveedor/pedidos/{order.id}/estado", data={"to": "confirmed"})
    assert response.status_code == 302
    db.session.refresh(order)
    assert order.status == "confirmed"
    detail = client.get(f"/proveedor/pedidos/{order.id}").get_data(as_text=True)
    assert "Marcar como entregado" in detail and "Confirmar pedido" not in detail

    # Cancelling needs a reason; without one the page explains it and nothing changes.
    response = client.post(
        f"/proveedor/pedidos/{order.id}/estado", data={"to": "cancelled", "reason": ""}
    )
    assert response.status_code == 200
    assert "Explique al productor por qué cancela el pedido." in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == "confirmed"
    client.post(
        f"/proveedor/pedidos/{order.id}/estado",
        data={"to": "cancelled", "reason": "Camino cortado por lluvias"},
    )
    db.session.refresh(order)
    assert order.status == "cancelled" and stock_of(db, shop.listing.id) == 19

    # An illegal move is explained, not a 500.
    response = client.post(
        f"/proveedor/pedidos/{done.id}/estado", data={"to": "cancelled", "reason": "x"}
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "completado: no se puede cancelar" in page
    response = client.post(f"/proveedor/pedidos/{order.id}/estado", data={"to": "nonsense"})
    assert response.status_code == 302


def test_producer_cancels_on_the_page_and_sees_the_reason_later(db, client, login, shop):
    order = place(shop, 2)
    login(shop.user)
    assert client.post(f"/pedidos/{order.id}/cancelar", data={"reason": ""}).status_code == 302
    db.session.refresh(order)
    assert order.status == "cancelled"
    page = client.get(f"/pedidos/{order.id}").get_data(as_text=True)
    assert "Cancelado" in page and "Cancelar el pedido" not in page


# --- who may open what ------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "owner",  # the producer who ordered
    "other_producer",
    "technician",  # of the owner's cooperative
    "other_technician",
    "supplier",  # member of the organization that sells the listing
    "other_supplier",  # member of another supplier organization
    "buyer",
    "lender",
    "admin",
]


def expect(**allowed) -> dict[str, int]:
    return {role: 403 for role in ROLES} | {"anonymous": 302} | allowed


PAGES = [
    ("/catalogo/{listing}/pedir", expect(owner=200, other_producer=200)),
    ("/pedidos", expect(owner=200, other_producer=200)),
    ("/pedidos/{order}", expect(owner=200, other_producer=404)),
    ("/proveedor/pedidos", expect(supplier=200, other_supplier=200)),
    ("/proveedor/pedidos/{order}", expect(supplier=200, other_supplier=404)),
]
POSTS = [
    ("/pedidos/{order}/cancelar", {}, expect(owner=302, other_producer=404)),
    (
        "/proveedor/pedidos/{order}/estado",
        {"to": "confirmed"},
        expect(supplier=302, other_supplier=404),
    ),
    (
        "/catalogo/{listing}/pedir",
        {"quantity": "1", "step": "confirm", "idempotency_key": "k" * 32},
        expect(owner=200, other_producer=200),
    ),
]


@pytest.fixture
def world(shop, make_user, make_producer):
    users = {
        "owner": shop.user,
        "other_producer": make_user("producer"),
        "technician": make_user("technician", organization=shop.producer.cooperative),
        "other_technician": make_user("technician"),
        "supplier": shop.supplier,
        "other_supplier": make_user("supplier"),
        "buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    make_producer(user_id=users["other_producer"].id)
    order = place(shop, 1)
    return {"users": users, "order": order.id, "listing": shop.listing.id}


def client_as(app, world, role):
    return signed_in_client(app, world["users"].get(role))


@pytest.mark.parametrize("role", ROLES)
def test_every_order_page_for_every_role(app, world, role):
    client = client_as(app, world, role)
    for template, expected in PAGES:
        url = template.format(**world)
        response = client.get(url)
        assert response.status_code == expected[role], f"{role} GET {url}"
        if response.status_code == 302:
            assert "/ingresar" in response.location


@pytest.mark.parametrize("role", ROLES)
def test_every_order_post_for_every_role(app, db, world, role):
    client = client_as(app, world, role)
    for template, data, expected in POSTS:
        url = template.format(**world)
        response = client.post(url, data=data)
        assert response.status_code == expected[role], f"{role} POST {url}"
    order = db.session.get(Order, world["order"])
    db.session.refresh(order)
    changed = {"owner": "cancelled", "supplier": "confirmed"}
    assert order.status == changed.get(role, "placed")
    # The forged order post (a made-up key, no delivery point) never makes an order.
    assert order_count(db) == 1


# --- the demo world ---------------------------------------------------------------------------


def test_demo_orders_are_consistent(db, runner):
    from collections import Counter

    from marketplace.models import Producer, User

    result = runner.invoke(args=["demo-data", "--producers", "300"])
    assert result.exit_code == 0, result.output
    orders = db.session.scalars(select(Order)).all()
    assert 25 <= len(orders) <= 40
    assert set(Counter(o.status for o in orders)) == set(states.TRANSITIONS)
    assert db.session.scalar(select(func.count()).where(Listing.stock < 0)) == 0
    steps = Counter(
        db.session.execute(
            select(AuditLog.entity_id).where(
                AuditLog.entity_type == "order", AuditLog.action.like("order.%")
            )
        ).scalars()
    )
    expected_steps = {"placed": 1, "confirmed": 2, "delivered": 3, "completed": 4}
    for order in orders:
        assert order.total_minor == order.unit_price_minor * order.quantity
        assert order.listing.status == "published" and order.supplier.can_publish
        assert order.supplier_id == order.listing.organization_id
        assert order.created_at <= order.updated_at
        if order.delivery_point == "farm":
            assert order.farm.producer_id == order.producer_id
        else:
            assert order.collection_center.active
            assert order.collection_center.country == order.listing.country
        if order.producer.user_id is not None:
            assert order.placed_by_id == order.producer.user_id
        else:
            assert order.placed_by.role == "technician"
            assert order.placed_by.organization_id == order.producer.cooperative_id
        if order.status in expected_steps:
            assert steps[order.id] == expected_steps[order.status]
        else:
            assert steps[order.id] in (2, 3)

    demo = db.session.scalar(
        select(Producer)
        .join(User, User.id == Producer.user_id)
        .where(User.email == "productora@minka.demo")
    )
    theirs = sorted(o.status for o in orders if o.producer_id == demo.id)
    assert theirs == ["confirmed", "delivered", "placed"]
    supplier = db.session.scalar(select(User).where(User.email == "proveedor@minka.demo"))
    assert all(
        o.supplier_id == supplier.organization_id for o in orders if o.producer_id == demo.id
    )
