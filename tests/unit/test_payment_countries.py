"""Where card payments reach and Stripe's smallest charge: Minka's own table."""

from __future__ import annotations

import pytest

from marketplace.payments import countries, gateway


@pytest.mark.parametrize(
    ("country", "takes"), [("MX", True), ("mx", True), ("PE", False), ("CO", False), (None, False)]
)
def test_only_suppliers_in_stripe_countries_take_cards(country, takes):
    assert countries.takes_cards(country) is takes


@pytest.mark.parametrize(
    ("platform", "account", "needed"),
    [("MX", "MX", False), ("MX", "mx", False), ("US", "MX", True), ("MX", None, True)],
)
def test_a_charge_is_on_behalf_of_an_account_in_another_country(platform, account, needed):
    assert countries.needs_on_behalf_of(platform, account) is needed


def test_every_currency_minka_prices_in_has_a_minimum_stripe_can_charge():
    for currency in ("PEN", "MXN", "COP", "USD"):
        minimum = countries.minimum_charge(currency)
        assert gateway.chargeable(minimum, currency)
    assert countries.minimum_charge("mxn") == 1_000  # MX$10.00, Stripe's published minimum


def test_the_methods_table_offers_cash_and_credit_everywhere_and_cards_only_in_mexico():
    from marketplace.models import PaymentChannel, PaymentMethod

    for code, row in countries.METHODS.items():
        assert {"cash", "credit"} <= set(row.methods), code
        assert set(row.methods) <= set(PaymentMethod.codes())
        assert set(row.channels) <= set(PaymentChannel.codes())
        assert ("transfer" in row.methods) == bool(row.channels), code
    assert {c for c, r in countries.METHODS.items() if "card" in r.methods} == {"MX"}
    assert countries.METHODS["MX"].methods == ("cash", "credit", "card", "oxxo")
    assert countries.METHODS["PE"].channels == ("yape", "plin", "bank")
    assert countries.METHODS["CO"].channels == ("nequi", "daviplata", "pse", "bank")
    assert countries.methods_of("pe") == countries.METHODS["PE"]
    assert countries.methods_of("US") == countries.ANYWHERE
    assert {"MX"} == countries.CARD_COUNTRIES
