"""Paying where cards do not reach, in the browser, in Spanish on a 360x740 phone: a Mexican
producer pays in cash at OXXO (voucher, then Stripe's signed async success), and a Peruvian
producer pays by Yape and the supplier confirms it arrived."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from marketplace.models import Order
from marketplace.payments import transfers
from tests import stripe_fake
from tests.browser.conftest import RESULTS, log_in
from tests.browser.test_card_payment import live_stripe, post_webhook  # noqa: F401
from tests.browser.test_orders import check_phone_page


def test_a_mexican_producer_pays_at_oxxo(app, db, live, live_stripe, card_shop, new_context):  # noqa: F811
    card_shop.listing.title = "Compost de pulpa de café"
    db.session.commit()
    problems: list[str] = []

    rosa = new_context().new_page()
    log_in(rosa, card_shop.user)
    rosa.goto(f"/catalogo/{card_shop.listing.id}/pedir")
    rosa.get_by_role("radio", name="Efectivo en tiendas OXXO").check()
    rosa.get_by_label("Cantidad").fill("2")
    check_phone_page(rosa, "order form with OXXO", problems)
    rosa.get_by_role("button", name="Ver el total").click()
    rosa.get_by_role("button", name="Confirmar pedido").click()
    main = rosa.get_by_role("main")
    expect(main).to_contain_text("Ahora pida su ficha para pagar en OXXO")
    expect(rosa.locator("#payment-status")).to_have_text("Sin pagar")

    rosa.get_by_role("button", name=re.compile(r"Pagar en OXXO")).click()
    rosa.get_by_role("button", name="Generar ficha OXXO").click()
    expect(main).to_contain_text("Estamos confirmando su pago")
    order = db.session.scalar(db.select(Order))
    session = live_stripe.sessions[order.last_payment.stripe_checkout_session_id]
    voucher = post_webhook(live.url, stripe_fake.event("checkout.session.completed", session))
    assert voucher["result"] == "voucher_issued"

    rosa.goto(f"/pedidos/{order.id}")
    number = live_stripe.intents[session["payment_intent"]]["next_action"][
        "oxxo_display_details"]["number"]  # fmt: skip
    expect(rosa.locator("#oxxo-voucher")).to_contain_text(number)
    expect(rosa.locator("#oxxo-voucher")).to_contain_text("Pague antes del")
    expect(rosa.locator("#payment-status")).to_have_text("Pago en curso")
    expect(main).not_to_contain_text("Pagar en OXXO")  # one voucher at a time
    check_phone_page(rosa, "OXXO voucher", problems)
    RESULTS.mkdir(exist_ok=True)
    rosa.screenshot(path=str(RESULTS / "oxxo-voucher.png"), full_page=True)

    live_stripe.pay_voucher(session["id"])
    paid = post_webhook(
        live.url, stripe_fake.event("checkout.session.async_payment_succeeded", session)
    )
    assert paid["result"] == "paid"
    rosa.reload()
    expect(rosa.locator("#payment-status")).to_have_text("Pagado")
    expect(rosa.locator("#oxxo-voucher")).to_have_count(0)
    check_phone_page(rosa, "order paid at OXXO", problems)
    assert not problems, problems


@pytest.fixture
def yape_shop(make_user, make_org, make_producer, make_farm, make_listing, make_center):
    org = make_org("supplier", country="PE", name="Agroinsumos El Huallaga")
    supplier = make_user("supplier", name="Milagros Del Águila", organization=org)
    transfers.save_details(supplier, org, "yape", "Milagros Del Águila", "987654321")
    listing = make_listing(org, title="Abono orgánico compost", price_minor=4500, stock=20)
    make_center(make_org("cooperative"))  # where the order is picked up
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(user_id=user.id)
    make_farm(producer)
    return SimpleNamespace(supplier=supplier, listing=listing, user=user)


def test_a_peruvian_producer_pays_by_yape_and_the_supplier_confirms(
    app, db, live, yape_shop, new_context
):
    problems: list[str] = []
    rosa = new_context().new_page()
    log_in(rosa, yape_shop.user)
    rosa.goto(f"/catalogo/{yape_shop.listing.id}/pedir")
    expect(rosa.get_by_role("radio", name="Tarjeta (pago en línea)")).to_have_count(0)
    rosa.get_by_role("radio", name=re.compile("Transferencia o billetera")).check()
    rosa.get_by_label("Cantidad").fill("2")
    rosa.get_by_role("button", name="Ver el total").click()
    rosa.get_by_role("button", name="Confirmar pedido").click()
    main = rosa.get_by_role("main")
    expect(main).to_contain_text("Pague al proveedor y registre aquí su pago")
    expect(rosa.locator("#transfer-details")).to_contain_text("987654321")
    check_phone_page(rosa, "order to pay by Yape", problems)

    rosa.get_by_label("Número de operación").fill("08213345")
    rosa.get_by_role("button", name="Registrar mi pago").click()
    expect(main).to_contain_text("avisamos al proveedor")
    expect(rosa.locator("#payment-status")).to_have_text("Pago en curso")
    order = db.session.scalar(db.select(Order))

    milagros = new_context().new_page()
    log_in(milagros, yape_shop.supplier)
    milagros.goto(f"/proveedor/pedidos/{order.id}")
    expect(milagros.get_by_role("main")).to_contain_text("Operación: 08213345")
    check_phone_page(milagros, "supplier checks the Yape payment", problems)
    milagros.get_by_role("button", name="Sí, llegó").click()
    expect(milagros.get_by_role("main")).to_contain_text("Pago confirmado")
    expect(milagros.locator("#payment-status")).to_have_text("Pagado")
    RESULTS.mkdir(exist_ok=True)
    milagros.screenshot(path=str(RESULTS / "yape-confirmed.png"), full_page=True)

    rosa.reload()
    expect(rosa.locator("#payment-status")).to_have_text("Pagado")
    check_phone_page(rosa, "order paid by Yape", problems)
    assert not problems, problems
