"""How producers pay suppliers in each country, and the smallest charge Stripe takes:
Minka's own data (no Flask here; the app reads its settings and passes them in).

Suppliers are paid as Stripe connected accounts. An account can take card payments only in
a country where Stripe operates (https://stripe.com/global). Mexico is one. Peru and
Colombia are not: an account there could only be a cross-border payout recipient, and
recipient accounts cannot take card payments, so Minka never offers them card onboarding.
There, producers pay by transfer or wallet straight to the supplier (Yape and Plin in Peru;
Nequi, Daviplata and PSE in Colombia; a bank transfer in both), and the supplier confirms the
money arrived. In Mexico, Stripe also takes cash at OXXO stores (a voucher paid later).
Cash on delivery and credit are offered everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CountryMethods:
    """The payment methods (PaymentMethod codes) and transfer channels (PaymentChannel
    codes) of one supplier country."""

    methods: tuple[str, ...]
    channels: tuple[str, ...] = ()


#: THE table: which methods a supplier in each country may offer. Card and OXXO go through
#: Stripe (the supplier needs a connected account); a transfer needs the supplier's declared
#: details for at least one channel.
METHODS: dict[str, CountryMethods] = {
    "MX": CountryMethods(("cash", "credit", "card", "oxxo")),
    "PE": CountryMethods(("cash", "credit", "transfer"), ("yape", "plin", "bank")),
    "CO": CountryMethods(("cash", "credit", "transfer"), ("nequi", "daviplata", "pse", "bank")),
}
#: Where a country is not in the table: what needs no provider.
ANYWHERE = CountryMethods(("cash", "credit"))

#: Supplier countries whose organizations can take card payments through Stripe.
CARD_COUNTRIES = frozenset(code for code, row in METHODS.items() if "card" in row.methods)


def methods_of(country: str | None) -> CountryMethods:
    """The methods and channels of a supplier country (ISO 3166 alpha-2)."""
    return METHODS.get((country or "").upper(), ANYWHERE)


#: The smallest card charge Stripe takes, in the currency's minor units. USD and MXN are
#: Stripe's published minimums (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts:
#: US$0.50, MX$10.00). PEN and COP are not settlement currencies: Stripe's minimum is the
#: settlement currency's (US$0.50) after conversion, so Minka asks for a rounded-up
#: equivalent that stays above it when the exchange rate moves (S/ 2.00, $ 2.500).
MINIMUM_CHARGE_MINOR = {"USD": 50, "MXN": 1_000, "PEN": 200, "COP": 250_000}


def takes_cards(country: str | None) -> bool:
    """True when a supplier in `country` (ISO 3166 alpha-2) can take card payments."""
    return (country or "").upper() in CARD_COUNTRIES


def minimum_charge(currency: str) -> int:
    """The smallest card payment in `currency`, in Minka's minor units."""
    return MINIMUM_CHARGE_MINOR[currency.upper()]


def needs_on_behalf_of(platform_country: str, account_country: str | None) -> bool:
    """True when a charge must be made on behalf of the connected account: Stripe requires
    it when the platform and the account are in different countries (the account's country
    then decides the settlement, fees and the statement descriptor)."""
    return (account_country or "").upper() != platform_country.upper()
