"""The currencies Minka handles, as Minka's own data: ISO 4217 minor units and how each is
written in its country.

Every amount is stored as integer minor units of its currency. How many minor units a
currency has is read from this table and nowhere else: Babel's CLDR data is for display
conventions only and has changed its idea of a currency's decimals between releases (Babel
2.19 gives COP 0 decimals, ISO 4217 gives it 2), which would change the meaning of every
stored amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class UnknownCurrency(ValueError):
    """A currency code Minka does not handle."""


@dataclass(frozen=True)
class Currency:
    """A currency as Minka stores and writes it."""

    code: str
    #: ISO 4217 minor units ("CcyMnrUnts" in the ISO 4217 list one).
    minor_units: int
    #: The country whose money it is, among Minka's (None for the US dollar).
    country: str | None
    #: The symbol as written at home; shown where it cannot be confused with another.
    symbol: str
    #: True when no other Minka currency is written with the same symbol.
    symbol_is_unique: bool
    #: A space between the symbol and the amount ("S/ 7,560.00" but "$7,560.00" in Mexico).
    spaced: bool
    #: Whole amounts are written without the minor units ("$ 1.500.000" in Colombia, where
    #: centavos are not in circulation).
    drop_zero_minor: bool

    @property
    def factor(self) -> int:
        """How many minor units make one major unit."""
        return 10**self.minor_units


CURRENCIES: dict[str, Currency] = {
    "PEN": Currency("PEN", 2, "PE", "S/", True, True, False),
    "MXN": Currency("MXN", 2, "MX", "$", False, False, False),
    "COP": Currency("COP", 2, "CO", "$", False, True, True),
    "USD": Currency("USD", 2, None, "US$", True, True, False),
}
CODES: tuple[str, ...] = tuple(CURRENCIES)
CURRENCY_OF_COUNTRY: dict[str, str] = {
    currency.country: code for code, currency in CURRENCIES.items() if currency.country
}


def get(code: str) -> Currency:
    """The currency with this ISO code (UnknownCurrency when Minka does not handle it)."""
    try:
        return CURRENCIES[code.upper()]
    except (KeyError, AttributeError):
        raise UnknownCurrency(f"unknown currency {code!r}") from None


def minor_units(code: str) -> int:
    """How many decimals `code` has under ISO 4217 (2 for PEN, MXN, COP and USD)."""
    return get(code).minor_units


def to_minor(major: int | str | Decimal, code: str) -> int:
    """An exact amount in major units as integer minor units (ValueError if it has more
    decimals than the currency)."""
    scaled = Decimal(major).scaleb(minor_units(code))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{major} {code} has more than {minor_units(code)} decimals")
    return int(scaled)


def to_major(minor: int, code: str) -> Decimal:
    """Integer minor units as an exact Decimal in major units."""
    return Decimal(minor).scaleb(-minor_units(code))


def of_country(country: str | None, default: str = "USD") -> str:
    """The currency of one of Minka's countries (`default` for any other)."""
    return CURRENCY_OF_COUNTRY.get(country or "", default)
