"""Card payments only where Stripe takes them, as Stripe expects them: no card onboarding or
card payment for Peruvian and Colombian suppliers, charges on the supplier's behalf across
countries, only real Stripe pages redirected to, and https links behind a trusted proxy."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from flask import request_started
from flask_limiter.util import get_remote_address

from marketplace import _trust_proxies, create_app
from marketplace.errors import DomainError
from marketplace.models import PaymentAccount
from marketplace.payments import accounts, checkout
from tests.conftest import app_config, signed_in_client
from tests.integration.cards import LINKS, fresh, place_card_order


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize("country", ["PE", "CO"])
def test_a_supplier_outside_stripes_countries_never_sees_or_starts_card_onboarding(
    app, db, stripe, make_user, make_org, country
):
    supplier = make_user("supplier", organization=make_org("supplier", country=country))
    client = signed_in_client(app, supplier)
    page = text(client.get("/organizacion"))
    assert "todavía no están disponibles en su país" in page
    assert "en efectivo" in page and "crédito" in page
    assert "Activar cobros con tarjeta" not in page and "/organizacion/cobros" not in page

    response = client.post("/organizacion/cobros", follow_redirects=True)
    assert "todavía no están disponibles en su país" in text(response)
    with pytest.raises(DomainError):
        accounts.onboarding_link(supplier, supplier.organization, "https://m/a", "https://m/b")
    assert stripe.calls == [] and db.session.scalar(db.select(PaymentAccount)) is None


def test_a_mexican_supplier_is_offered_card_onboarding(app, stripe, make_user, make_org):
    supplier = make_user("supplier", organization=make_org("supplier", country="MX"))
    page = text(signed_in_client(app, supplier).get("/organizacion"))
    assert "Activar cobros con tarjeta" in page and "disponibles en su país" not in page


def test_a_peruvian_suppliers_orders_are_never_paid_by_card(app, db, card_shop):
    order = place_card_order(card_shop, 1)
    card_shop.supplier.organization.country = "PE"  # even with an account that takes cards
    db.session.commit()
    client = signed_in_client(app, card_shop.user)
    form = text(client.get(f"/catalogo/{card_shop.listing.id}/pedir"))
    assert 'value="card"' not in form and "Tarjeta (pago en línea)" not in form
    assert "Pagar con tarjeta" not in text(client.get(f"/pedidos/{order.id}"))
    assert not checkout.can_pay(order)
    response = client.post(f"/pedidos/{order.id}/pagar", follow_redirects=True)
    assert "no puede recibir pagos con tarjeta" in text(response)
    assert card_shop.stripe.calls_to("POST", "/v1/checkout/sessions") == []


@pytest.mark.parametrize(("platform", "on_behalf"), [("MX", False), ("US", True)])
def test_a_charge_is_made_on_the_suppliers_behalf_when_the_countries_differ(
    app, db, card_shop, platform, on_behalf
):
    app.config["MINKA_STRIPE_PLATFORM_COUNTRY"] = platform
    checkout.start_checkout(card_shop.user, place_card_order(card_shop, 1), LINKS)
    sent = card_shop.stripe.calls_to("POST", "/v1/checkout/sessions")[0]["data"]
    intent = sent["payment_intent_data"]
    expected = card_shop.account.stripe_account_id if on_behalf else None
    assert intent.get("on_behalf_of") == expected
    assert intent["transfer_data"]["destination"] == card_shop.account.stripe_account_id


def test_a_session_without_a_page_is_an_error_not_a_redirect_to_none(app, db, card_shop):
    order = place_card_order(card_shop, 1)
    card_shop.stripe.omit_next_url = True
    client = signed_in_client(app, card_shop.user)
    response = client.post(f"/pedidos/{order.id}/pagar")
    assert response.status_code == 302
    assert response.location.endswith(f"/pedidos/{order.id}")
    assert "None" not in response.location
    page = text(client.get(response.location))
    assert "Stripe no devolvió una página de pago válida" in page
    assert fresh(order).payment_status == "unpaid"
    [session] = card_shop.stripe.sessions.values()
    assert session["status"] == "expired"  # closed, so it cannot be paid unseen


@pytest.mark.parametrize(
    ("url", "takes"),
    [
        ("https://checkout.stripe.com/c/pay/cs_live_1", True),
        ("https://connect.stripe.com/setup/e/acct_1/x", True),
        ("http://checkout.stripe.com/c/pay/cs_live_1", False),
        ("https://checkout.stripe.com.example.net/c/pay/cs_1", False),
        (None, False),
        ("", False),
    ],
)
def test_only_a_stripe_page_on_https_is_redirected_to(app, stripe, url, takes):
    from marketplace.payments import gateway

    app.config["MINKA_STRIPE_API_BASE"] = None  # as in production
    with app.test_request_context():
        if takes:
            assert gateway.hosted_page(url) == url
        else:
            with pytest.raises(gateway.GatewayError) as refused:
                gateway.hosted_page(url)
            assert refused.value.code == "no_url"


# --- behind a proxy ----------------------------------------------------------------------------

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "minka.example.org",
}


@contextmanager
def proxies(app, hops: int):
    """The app as create_app builds it with MINKA_TRUSTED_PROXIES=hops."""
    original = app.wsgi_app
    app.config["MINKA_TRUSTED_PROXIES"] = hops
    _trust_proxies(app)
    try:
        yield
    finally:
        app.wsgi_app = original
        app.config["MINKA_TRUSTED_PROXIES"] = 0


@pytest.mark.parametrize(("hops", "base"), [(1, "https://minka.example.org/"), (0, "http://")])
def test_stripes_return_links_are_https_behind_a_trusted_https_proxy(
    app, db, card_shop, hops, base
):
    order = place_card_order(card_shop, 1)
    client = signed_in_client(app, card_shop.user)
    with proxies(app, hops):
        response = client.post(f"/pedidos/{order.id}/pagar", headers=FORWARDED)
    assert response.status_code == 303
    sent = card_shop.stripe.calls_to("POST", "/v1/checkout/sessions")[0]["data"]
    assert sent["success_url"].startswith(base) and sent["cancel_url"].startswith(base)
    assert sent["success_url"].endswith(f"/pedidos/{order.id}?pago=ok")


@pytest.mark.parametrize(("hops", "seen"), [(1, "203.0.113.7"), (0, "127.0.0.1")])
def test_rate_limits_count_the_forwarded_address_only_from_trusted_proxies(app, hops, seen):
    addresses = []

    def remember(sender, **extra):
        addresses.append(get_remote_address())

    request_started.connect(remember, app)
    try:
        with proxies(app, hops):
            app.test_client().get("/ingresar", headers=FORWARDED)
    finally:
        request_started.disconnect(remember, app)
    assert addresses == [seen]


def test_the_app_factory_trusts_as_many_proxies_as_configured(db_url):
    from werkzeug.middleware.proxy_fix import ProxyFix

    trusting = create_app(app_config(db_url, MINKA_TRUSTED_PROXIES=2))
    assert isinstance(trusting.wsgi_app, ProxyFix)
    assert (trusting.wsgi_app.x_for, trusting.wsgi_app.x_proto, trusting.wsgi_app.x_host) == (
        2, 2, 2)  # fmt: skip
    assert not isinstance(create_app(app_config(db_url)).wsgi_app, ProxyFix)
