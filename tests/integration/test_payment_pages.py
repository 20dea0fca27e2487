"""Card payment pages through the test client: choosing card, paying, the supplier's payout
and refund form, onboarding, the admin's settings, and who may use each route."""

from __future__ import annotations

import re

from marketplace.models import PaymentAccount
from tests import stripe_fake
from tests.conftest import signed_in_client
from tests.integration.cards import fresh, pay, pending_order, place_card_order
from tests.integration.pages import html_of


def text(response) -> str:
    return re.sub(r"\s+", " ", html_of(response))


def test_the_order_form_offers_card_only_when_the_supplier_takes_cards(app, db, card_shop):
    client = signed_in_client(app, card_shop.user)
    page = text(client.get(f"/catalogo/{card_shop.listing.id}/pedir"))
    assert 'value="card"' in page and "Tarjeta (pago en línea)" in page
    card_shop.account.charges_enabled = False
    db.session.commit()
    assert 'value="card"' not in text(client.get(f"/catalogo/{card_shop.listing.id}/pedir"))


def test_without_a_key_there_is_no_card_and_the_admin_is_told(app, make_user, make_listing):
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization)
    producer_client = signed_in_client(app, make_user("producer"))
    assert 'value="card"' not in text(producer_client.get(f"/catalogo/{listing.id}/pedir"))
    admin = signed_in_client(app, make_user("admin"))
    assert "Pagos con tarjeta no configurados" in text(admin.get("/admin/pagos"))
    org_page = text(signed_in_client(app, supplier).get("/organizacion"))
    assert "Minka todavía no recibe pagos con tarjeta." in org_page


def test_the_producer_pays_and_comes_back(app, db, card_shop):
    order = place_card_order(card_shop)
    client = signed_in_client(app, card_shop.user)
    detail = text(client.get(f"/pedidos/{order.id}"))
    assert "Pagar con tarjeta" in detail and "Sin pagar" in detail

    response = client.post(f"/pedidos/{order.id}/pagar")
    assert response.status_code == 303
    session_id = fresh(order).last_payment.stripe_checkout_session_id
    assert response.location == card_shop.stripe.sessions[session_id]["url"]
    sent = card_shop.stripe.sessions[session_id]
    assert sent["success_url"].endswith(f"/pedidos/{order.id}?pago=ok")

    back = text(client.get(f"/pedidos/{order.id}?pago=ok"))
    assert "Estamos confirmando su pago" in back
    pay(app.test_client(), card_shop.stripe, session_id)
    paid = text(client.get(f"/pedidos/{order.id}"))
    assert "Pagado" in paid and "Pagar con tarjeta" not in paid


def test_a_stripe_error_shows_a_spanish_message_and_changes_nothing(app, card_shop):
    order = place_card_order(card_shop)
    client = signed_in_client(app, card_shop.user)
    card_shop.stripe.fail_next("/v1/checkout/sessions", 503)
    response = client.post(f"/pedidos/{order.id}/pagar", follow_redirects=True)
    assert "Intente de nuevo más tarde" in text(response)
    assert fresh(order).payment_status == "unpaid"


def test_another_producer_cannot_pay_it_and_a_cash_order_is_not_paid_by_card(
    app, card_shop, make_user, make_producer
):
    order = place_card_order(card_shop)
    other = make_user("producer")
    make_producer(user_id=other.id)
    assert signed_in_client(app, other).post(f"/pedidos/{order.id}/pagar").status_code == 404
    assert (
        signed_in_client(app, card_shop.supplier).post(f"/pedidos/{order.id}/pagar").status_code
        == 403
    )
    assert card_shop.stripe.sessions == {}


def test_the_supplier_sees_the_payout_net_of_the_fee_and_refunds_part(app, card_shop):
    order, session_id = pending_order(card_shop)
    pay(app.test_client(), card_shop.stripe, session_id)
    client = signed_in_client(app, card_shop.supplier)
    page = text(client.get(f"/proveedor/pedidos/{order.id}"))
    assert "Comisión de Minka" in page and "Usted recibe" in page
    assert re.search(r'id="payout-net"><strong>\$\s?85[.,]50', page), page
    assert "Monto a devolver a la tarjeta" in page

    bad = client.post(
        f"/proveedor/pedidos/{order.id}/estado",
        data={"to": "cancelled", "reason": "Falta stock", "refund_amount": "abc"},
    )
    assert bad.status_code == 200
    assert "Escriba el monto con números" in text(bad) and fresh(order).status == "placed"

    done = client.post(
        f"/proveedor/pedidos/{order.id}/estado",
        data={"to": "cancelled", "reason": "Falta stock", "refund_amount": "30"},
    )
    assert done.status_code == 302
    order = fresh(order)
    assert (order.status, order.payment_status, order.refunded_minor) == (
        "cancelled", "partially_refunded", 3000)  # fmt: skip


def test_supplier_onboarding_from_the_organization_page(app, db, stripe, make_user, make_org):
    supplier = make_user("supplier", organization=make_org("supplier", country="MX"))
    client = signed_in_client(app, supplier)
    page = text(client.get("/organizacion"))
    assert "Cobros con tarjeta" in page and "Activar cobros con tarjeta" in page

    response = client.post("/organizacion/cobros")
    assert response.status_code == 303
    assert response.location.startswith(stripe.url + "/onboard/acct_")
    account = db.session.scalar(db.select(PaymentAccount))
    stripe.enable_account(account.stripe_account_id)

    back = client.get("/organizacion/cobros/volver", follow_redirects=True)
    assert "ya puede cobrar con tarjeta" in text(back)
    assert "Activo" in text(client.get("/organizacion"))


def test_the_admin_sets_the_fee_with_errors_next_to_the_field(app, stripe, make_user):
    client = signed_in_client(app, make_user("admin"))
    page = text(client.get("/admin/pagos"))
    assert "Configurados" in page and 'value="5"' in page
    bad = text(client.post("/admin/pagos", data={"percent": "cuarenta"}))
    assert 'id="percent-error"' in bad and "Escriba un porcentaje" in bad
    assert client.post("/admin/pagos", data={"percent": "2,5"}).status_code == 302
    assert 'value="2.5"' in text(client.get("/admin/pagos"))


def test_the_webhook_needs_no_session_but_a_signature(app, stripe):
    client = app.test_client()
    assert client.post("/stripe/webhook", data=b"{}").status_code == 400
    payload = b'{"id": "evt_1", "type": "ping", "data": {"object": {}}}'
    signed = client.post(
        "/stripe/webhook", data=payload, headers={"Stripe-Signature": stripe_fake.sign(payload)}
    )
    assert signed.status_code == 200 and signed.get_json()["result"] == "ignored"


def test_forms_may_be_redirected_to_stripe_only_when_configured(app, client, stripe):
    policy = client.get("/ingresar").headers["Content-Security-Policy"]
    assert f"form-action 'self' {stripe.url}" in policy
    app.config["MINKA_STRIPE_API_BASE"] = None
    assert (
        "form-action 'self' https://checkout.stripe.com https://connect.stripe.com"
        in (client.get("/ingresar").headers["Content-Security-Policy"])
    )
    app.config["MINKA_STRIPE_SECRET_KEY"] = None
    assert client.get("/ingresar").headers["Content-Security-Policy"].endswith("form-action 'self'")
