"""National identity numbers: Peru's DNI, Colombia's cédula, Mexico's CURP."""

from __future__ import annotations

import re
from datetime import date

# CURP: 4 letters, birth date YYMMDD, sex H/M (X since 2022), state, 3 consonants,
# a homonymy character and a check digit.
_CURP = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}(\d{2})(\d{2})(\d{2})[HMX]([A-Z]{2})[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d$"
)
_CURP_STATES = frozenset(
    re.findall(r"\w\w", "ASBCBSCCCLCMCSCHDFDGGTGRHGJCMCMNMSNTNLOCPLQTQRSPSLSRTCTSTLVZYNZSNE")
)
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def normalize(country: str, raw: str) -> str:
    """Strip spaces, dots and dashes people type; upper-case letters."""
    return re.sub(r"[\s.\-]", "", raw or "").upper()


def _curp_check_digit(curp: str) -> int:
    total = sum(_CURP_ALPHABET.index(ch) * (18 - i) for i, ch in enumerate(curp[:17]))
    return (10 - total % 10) % 10


def _valid_curp(value: str) -> bool:
    match = _CURP.match(value)
    if not match:
        return False
    yy, mm, dd, state = match.groups()
    if state not in _CURP_STATES:
        return False
    century = 1900 if value[16].isdigit() else 2000
    try:
        date(century + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    return _curp_check_digit(value) == int(value[17])


def is_valid(country: str, value: str) -> bool:
    """True when `value` (already normalized) has the form of the country's national id."""
    if country == "PE":
        return re.fullmatch(r"\d{8}", value) is not None
    if country == "CO":
        return re.fullmatch(r"\d{6,10}", value) is not None and not value.startswith("0")
    if country == "MX":
        return _valid_curp(value)
    return False
