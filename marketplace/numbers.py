"""Numbers typed by people: the one reader for hectares, kilos, percentages, prices, yields
and coordinates, on every form and in every country.

How a typed number is read:

- spaces (also no-break spaces) are ignored, so "1 500" is one thousand five hundred;
- "4,5" and "4.5" both mean four and a half: a lone mark followed by anything other than
  three digits is the decimal mark;
- with both marks, the last one is the decimal mark and the other groups thousands
  ("1.500,50" and "1,500.50");
- a mark that repeats groups thousands ("1.500.000" and "1,500,000");
- a lone mark followed by exactly three digits ("1.500", "1,500") is the ambiguous case, and
  the field decides, the same way in Peru, Mexico and Colombia. A field that groups
  thousands (money, kilos, yields) reads one thousand five hundred: that is how people write
  prices and weights in all three countries, and a price or a weight in kilos never has three
  decimals. A field that does not group thousands (hectares, percentages, coordinates) reads
  one and a half: nobody groups hectares, and a smallholder's farm is not 1,500 ha.
  "0.500" is always a half.
- groups after the first must have three digits ("1.50.000" is refused, not guessed).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from flask_babel import lazy_gettext as _l

MAX_CHARS = 32
UNREADABLE = _l("Escriba un número, por ejemplo 4,5 o 4.5.")
UNREADABLE_WHOLE = _l("Escriba un número entero, por ejemplo 12.")
WHOLE = _l("Escriba un número entero, sin decimales.")
NEGATIVE = _l("Escriba un número mayor o igual que 0.")
_SPACES = re.compile(r"[\s\u00a0\u202f]")
_SHAPE = re.compile(r"-?[\d.,]+")


class NumberError(ValueError):
    """Typed text that is not a number this field takes; `message` is for the user."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


def read_number(
    text: str | None,
    *,
    places: int,
    thousands: bool,
    signed: bool = False,
    rounds: bool = False,
    unreadable=UNREADABLE,
) -> Decimal:
    """The exact number typed in `text` (NumberError with a message for the user otherwise).

    `places` is the most decimals the field takes; `thousands` says whether a lone mark
    followed by three digits groups thousands (see the module's docstring); `signed` allows
    a leading minus; `rounds` rounds extra decimals to `places` instead of refusing them
    (coordinates pasted from a map carry more decimals than the ground needs).
    """
    raw = _SPACES.sub("", text or "")
    if not raw or len(raw) > MAX_CHARS or not _SHAPE.fullmatch(raw):
        raise NumberError(unreadable)
    negative = raw.startswith("-")
    if negative and not signed:
        raise NumberError(NEGATIVE)
    whole, fraction = _split(raw.lstrip("-"), thousands, unreadable)
    fraction = fraction.rstrip("0")
    if fraction and places == 0:
        raise NumberError(WHOLE)
    value = Decimal(f"{whole or '0'}.{fraction or '0'}")
    if len(fraction) > places:
        if not rounds:
            raise NumberError(_too_many_decimals(places))
        value = value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    return -value if negative else value


def _too_many_decimals(places: int):
    if places == 1:
        return _l("Use como máximo un decimal.")
    return _l("Use como máximo %(digits)d decimales.", digits=places)


def _split(raw: str, thousands: bool, unreadable) -> tuple[str, str]:
    """(whole digits, fraction digits) of an unsigned number with marks."""
    marks = [i for i, ch in enumerate(raw) if ch in ".,"]
    if not marks:
        return raw, ""
    last = marks[-1]
    head, tail = raw[:last], raw[last + 1 :]
    kinds = {raw[i] for i in marks}
    if len(kinds) == 2:
        if any(raw[i] == raw[last] for i in marks[:-1]) or not tail:
            raise NumberError(unreadable)
        return _ungroup(head, unreadable), tail
    if len(marks) > 1:
        return _ungroup(raw, unreadable), ""
    if thousands and len(tail) == 3 and head.strip("0"):
        return _ungroup(raw, unreadable), ""
    if not head and not tail:
        raise NumberError(unreadable)
    return head, tail


def _ungroup(text: str, unreadable) -> str:
    """Digits of a number grouped in thousands by one mark ("1.500.000" -> "1500000")."""
    groups = re.split(r"[.,]", text)
    if not 1 <= len(groups[0]) <= 3 or any(len(group) != 3 for group in groups[1:]):
        raise NumberError(unreadable)
    return "".join(groups)


def read_integer(text: str | None, *, unreadable=UNREADABLE_WHOLE) -> int:
    """A whole number typed with or without thousands marks ("1.500", "1,500", "1500")."""
    return int(read_number(text, places=0, thousands=True, unreadable=unreadable))
