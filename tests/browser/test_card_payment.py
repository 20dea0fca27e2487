"""Paying an order by card in the browser, in Spanish on a 360x740 phone: the producer
chooses card, is sent to the (test) payment page, comes back; once Stripe's signed webhook
arrives the order shows paid, and the supplier sees what they receive net of Minka's fee."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from marketplace.models import Order
from tests import stripe_fake
from tests.browser.conftest import RESULTS, log_in
from tests.browser.test_orders import check_phone_page
from tests.conftest import stripe_config


@pytest.fixture
def live_stripe(live, stripe):
    """The live app pointed at the fake Stripe too."""
    previous = {key: live.app.config.get(key) for key in stripe_config(stripe)}
    live.app.config.update(stripe_config(stripe))
    try:
        yield stripe
    finally:
        live.app.config.update(previous)


def post_webhook(url: str, event: dict) -> dict:
    """Stripe's delivery: a signed POST to the live app."""
    payload = json.dumps(event).encode()
    request = urllib.request.Request(
        url + "/stripe/webhook",
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": stripe_fake.sign(payload),
        },  # fmt: skip
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_producer_pays_by_card_and_the_supplier_sees_the_payout(
    app, db, live, live_stripe, card_shop, new_context
) -> None:
    card_shop.listing.title = "Compost de pulpa de café"
    db.session.commit()
    problems: list[str] = []

    rosa = new_context().new_page()
    log_in(rosa, card_shop.user)
    rosa.goto(f"/catalogo/{card_shop.listing.id}/pedir")
    rosa.get_by_role("radio", name="Tarjeta (pago en línea)").check()
    rosa.get_by_label("Cantidad").fill("2")
    check_phone_page(rosa, "order form with card", problems)
    rosa.get_by_role("button", name="Ver el total").click()
    rosa.get_by_role("button", name="Confirmar pedido").click()
    main = rosa.get_by_role("main")
    expect(main).to_contain_text("Ahora páguelo con su tarjeta")
    expect(rosa.locator("#payment-status")).to_have_text("Sin pagar")
    check_phone_page(rosa, "order to pay", problems)

    rosa.get_by_role("button", name=re.compile(r"Pagar con tarjeta (MXN|\$)\s?90\.00")).click()
    expect(rosa.get_by_role("heading", level=1)).to_have_text("Pago de prueba")
    assert rosa.url.startswith(live_stripe.url + "/pay/cs_test_")
    rosa.get_by_role("button", name="Pagar").click()
    expect(main).to_contain_text("Estamos confirmando su pago")
    order = db.session.scalar(db.select(Order))
    assert rosa.url.endswith(f"/pedidos/{order.id}?pago=ok")

    session = live_stripe.sessions[order.last_payment.stripe_checkout_session_id]
    assert session["status"] == "complete"
    result = post_webhook(live.url, stripe_fake.event("checkout.session.completed", session))
    assert result["result"] == "paid"
    rosa.goto(f"/pedidos/{order.id}")
    expect(rosa.locator("#payment-status")).to_have_text("Pagado")
    expect(main).not_to_contain_text("Pagar con tarjeta")
    check_phone_page(rosa, "paid order", problems)
    RESULTS.mkdir(exist_ok=True)
    rosa.screenshot(path=str(RESULTS / "card-paid-order.png"), full_page=True)

    milagros = new_context().new_page()
    log_in(milagros, card_shop.supplier)
    milagros.goto(f"/proveedor/pedidos/{order.id}")
    payout = milagros.get_by_role("main")
    expect(payout).to_contain_text(re.compile(r"Comisión de Minka\s*\$\s?4\.50"))
    expect(milagros.locator("#payout-net")).to_have_text(re.compile(r"\$\s?85\.50"))
    expect(milagros.locator("#payment-status")).to_have_text("Pagado")
    check_phone_page(milagros, "supplier's paid order", problems)
    milagros.screenshot(path=str(RESULTS / "card-payout.png"), full_page=True)
    assert not problems, problems
