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
