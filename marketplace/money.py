"""Money typed by people and shown back in forms: integer minor units, never floats.

Minor units come from Minka's own currency table (marketplace.currencies); typed amounts are
read by the one number reader (marketplace.numbers), where a lone group of three digits is
thousands ("45.000" is forty-five thousand, as a price is never typed with three decimals).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from marketplace import currencies
from marketplace.i18n import plain_amount
from marketplace.numbers import NumberError, read_number

UNREADABLE = _l("Escriba el monto con números, por ejemplo 45.50 o 45,50.")
_SYMBOL = re.compile(r"^\s*(S/\.?|US\$|MX\$|COL\$|\$|[A-Za-z]{3})")

#: Kept for the callers that catch it: an unreadable amount is a NumberError.
AmountError = NumberError


def parse_money(text: str | None, currency: str) -> int:
    """An amount typed in `currency` ("45,50", "S/ 1.234,56", "1,500,000") as minor units.

    Raises NumberError with a message for the user when it cannot be read or is not above 0.
    """
    cur = currencies.get(currency)
    raw = _SYMBOL.sub("", text or "", count=1)
    if raw.strip().startswith("-"):
        raise NumberError(_l("Escriba un monto mayor que 0."))
    value = read_number(raw, places=cur.minor_units, thousands=True, unreadable=UNREADABLE)
    return int(value.scaleb(cur.minor_units))


def amount_text(minor: int | None, currency: str, locale=None) -> str:
    """Minor units back as a person types them in the viewer's locale ("45.50", "1.500.000"
    in Colombia), to refill a form; parse_money reads it back to the same amount."""
    if minor is None:
        return ""
    return plain_amount(minor, currency, locale)


# The highest unit price a listing may have, in major units: a solar dryer or an irrigation
# kit fits, a typo with three extra zeros does not.
MAX_PRICE_MAJOR = {"PEN": 100_000, "USD": 30_000, "MXN": 600_000, "COP": 120_000_000}


def max_price_minor(currency: str) -> int:
    """The highest unit price accepted in `currency`, in minor units."""
    return currencies.to_minor(MAX_PRICE_MAJOR.get(currency, 30_000), currency)
