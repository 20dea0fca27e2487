"""Money typed by people and shown back in forms: integer minor units, never floats."""

from __future__ import annotations

import re

from babel.numbers import get_currency_precision
from flask_babel import lazy_gettext as _l

_AMOUNT = re.compile(r"[\d.,]+")
MAX_AMOUNT_CHARS = 20
UNREADABLE = _l("Escriba el monto con números, por ejemplo 45.50 o 45,50.")


class AmountError(ValueError):
    """Money typed in a way that cannot be read; the message is for the user."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def parse_amount(text: str, digits: int = 2) -> int:
    """Read a typed amount as integer minor units: "45.50", "45,50", "1.500,5", "1,500.50".

    With both separators the last one is the decimal mark; a separator that repeats, or a
    lone one followed by exactly three digits, groups thousands ("45.000" is 45 thousand).
    """
    raw = re.sub(r"[\s\u00a0]", "", (text or "").strip())
    raw = re.sub(r"^(S/\.?|US\$|\$|[A-Z]{3})", "", raw)
    if raw.startswith("-"):
        raise AmountError(_l("Escriba un monto mayor que 0."))
    if not raw or len(raw) > MAX_AMOUNT_CHARS or not _AMOUNT.fullmatch(raw):
        raise AmountError(UNREADABLE)
    marks = [i for i, ch in enumerate(raw) if ch in ".,"]
    whole, fraction = raw, ""
    if marks:
        last = marks[-1]
        head, tail = raw[:last], raw[last + 1 :]
        if len({raw[i] for i in marks}) == 2:
            if any(raw[i] == raw[last] for i in marks[:-1]):
                raise AmountError(UNREADABLE)
            whole, fraction = head, tail
        elif len(marks) == 1 and not (len(tail) == 3 and head.strip("0")):
            whole, fraction = head, tail
        groups = re.split(r"[.,]", whole)
        if len(groups) > 1 and (
            not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])
        ):
            raise AmountError(UNREADABLE)
        whole = "".join(groups)
    if len(fraction) > digits:
        raise AmountError(_l("Use como máximo %(digits)d decimales.", digits=digits))
    return int(whole or "0") * 10**digits + int(fraction.ljust(digits, "0") or "0")


def amount_text(minor: int | None, currency: str) -> str:
    """Minor units back to what a supplier types ("45.50"), to refill a form."""
    if minor is None:
        return ""
    digits = get_currency_precision(currency)
    whole, fraction = divmod(minor, 10**digits)
    return f"{whole}.{fraction:0{digits}d}" if digits else str(whole)


def parse_money(text: str, currency: str) -> int:
    """Read an amount typed in `currency` as minor units (AmountError if unreadable)."""
    return parse_amount(text, get_currency_precision(currency))


# The highest unit price a listing may have, in major units: a solar dryer or an irrigation
# kit fits, a typo with three extra zeros does not.
MAX_PRICE_MAJOR = {"PEN": 100_000, "USD": 30_000, "MXN": 600_000, "COP": 120_000_000}


def max_price_minor(currency: str) -> int:
    """The highest unit price accepted in `currency`, in minor units."""
    return MAX_PRICE_MAJOR.get(currency, 30_000) * 10 ** get_currency_precision(currency)
