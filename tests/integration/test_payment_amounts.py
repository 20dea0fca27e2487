"""Card amounts at Stripe's scale: Colombian pesos in centavos, Stripe's minimum charge per
currency, and the webhook's amount check comparing the right figures."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.errors import DomainError
from marketplace.money import parse_money
from marketplace.payments import checkout, countries, gateway
from tests.integration.cards import LINKS, fresh, pay, place_card_order


def colombian(shop, price: str):
    shop.listing.currency = "COP"
    shop.listing.price_minor = parse_money(price, "COP")
    return shop


def test_a_colombian_price_reaches_stripe_in_centavos(db, card_shop):
    shop = colombian(card_shop, "125.000")
    assert shop.listing.price_minor == 12_500_000
    order = place_card_order(shop, 1)
    checkout.start_checkout(shop.user, order, LINKS)
    sent = shop.stripe.calls_to("POST", "/v1/checkout/sessions")[0]["data"]
    price = sent["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("cop", "12500000")
    assert sent["payment_intent_data"]["application_fee_amount"] == "625000"  # 5 %


def test_the_webhook_marks_a_colombian_order_paid_only_for_its_real_amount(app, db, card_shop):
    shop = colombian(card_shop, "125.000")
    order = place_card_order(shop, 1)
    checkout.start_checkout(shop.user, order, LINKS)
    session_id = fresh(order).last_payment.stripe_checkout_session_id
    assert pay(app.test_client(), shop.stripe, session_id)["result"] == "paid"
    assert fresh(order).paid_minor == 12_500_000


def test_a_hundredth_of_the_amount_is_a_mismatch_not_a_payment(app, db, card_shop):
    shop = colombian(card_shop, "125.000")
    order = place_card_order(shop, 1)
    checkout.start_checkout(shop.user, order, LINKS)
    session_id = fresh(order).last_payment.stripe_checkout_session_id
    answer = pay(app.test_client(), shop.stripe, session_id, amount=125_000)
    assert answer["result"] == "amount_mismatch"
    assert fresh(order).payment_status != "paid"


@pytest.mark.parametrize(
    ("currency", "price_minor", "minimum"),
    [("PEN", 150, "S/ 2.00"), ("COP", 200_000, "$ 2.500"), ("MXN", 900, "$10.00")],
)
def test_an_order_below_stripes_minimum_is_refused_with_a_clear_message(
    app, db, card_shop, currency, price_minor, minimum
):
    card_shop.listing.currency = currency
    card_shop.listing.price_minor = price_minor
    locale = {"PEN": "es_PE", "COP": "es_CO", "MXN": "es_MX"}[currency]
    with app.test_request_context(), force_locale(locale), pytest.raises(DomainError) as refused:
        place_card_order(card_shop, 1)
    message = str(refused.value.message).replace("\xa0", " ")
    assert f"Con tarjeta se paga desde {minimum}" in message
    assert refused.value.field == "payment_method"


def test_the_minimum_is_checked_before_stripe_is_asked(db, card_shop):
    order = place_card_order(card_shop, 1)  # MX$45.00: fine
    order.total_minor = 150
    with pytest.raises(DomainError):
        checkout.start_checkout(card_shop.user, order, LINKS)
    assert card_shop.stripe.calls_to("POST", "/v1/checkout/sessions") == []


def test_stripe_itself_refuses_a_total_below_its_minimum(db, card_shop):
    order = place_card_order(card_shop, 1)
    order.total_minor = 100
    params = checkout.session_params(order, 5, card_shop.account.stripe_account_id, LINKS)
    with pytest.raises(gateway.GatewayError) as refused:
        gateway.create_checkout_session(params, "minka-test-too-small")
    assert refused.value.code == "amount_too_small"


def test_minka_never_asks_for_less_than_stripes_minimum():
    for code, minimum in countries.MINIMUM_CHARGE_MINOR.items():
        assert gateway.chargeable(minimum, code)
        assert gateway.to_stripe_amount(minimum, code) >= {
            "USD": 50, "MXN": 1_000, "PEN": 185, "COP": 200_000
        }[code]  # fmt: skip
