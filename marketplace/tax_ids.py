"""Organizations' tax ids and their check digits: Peru's RUC, Colombia's NIT, Mexico's RFC.

The rules are SUNAT's, DIAN's and SAT's published algorithms, kept here as the project's own
code (never a library's incidental behaviour). `parse` answers the normalised id or raises a
DomainError whose message says, in Spanish, what is wrong.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError

FIELD = "tax_id"

# --- Peru: RUC -------------------------------------------------------------------------------

_RUC_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_RUC_PREFIXES = ("10", "15", "17", "20")


def ruc_check_digit(first_ten: str) -> int:
    """SUNAT's check digit: 11 - (weighted sum mod 11), where 10 -> 0 and 11 -> 1."""
    total = sum(int(digit) * weight for digit, weight in zip(first_ten, _RUC_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def _ruc(raw: str) -> str:
    value = re.sub(r"[\s.\-]", "", raw)
    if not re.fullmatch(r"\d{11}", value):
        raise DomainError(_l("El RUC debe tener 11 dígitos."), FIELD)
    if not value.startswith(_RUC_PREFIXES):
        raise DomainError(_l("El RUC debe empezar por 10, 15, 17 o 20."), FIELD)
    if ruc_check_digit(value[:10]) != int(value[10]):
        raise DomainError(_l("El dígito verificador del RUC no corresponde."), FIELD)
    return value


# --- Colombia: NIT ---------------------------------------------------------------------------

_NIT_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)


def nit_check_digit(number: str) -> int:
    """DIAN's verification digit: weights from the rightmost digit, r = sum mod 11, and the
    digit is r when r is 0 or 1, else 11 - r."""
    total = sum(int(d) * w for d, w in zip(reversed(number), _NIT_WEIGHTS, strict=False))
    remainder = total % 11
    return remainder if remainder in (0, 1) else 11 - remainder


def _nit(raw: str) -> str:
    text = re.sub(r"[\s.]", "", raw)
    number, _sep, digit = text.rpartition("-")
    if not number:  # written without the hyphen: the last digit is the verification digit
        number, digit = text[:-1], text[-1:]
    if not re.fullmatch(r"\d{6,15}", number) or not re.fullmatch(r"\d", digit):
        raise DomainError(
            _l(
                "El NIT tiene de 6 a 15 dígitos y el dígito de verificación, "
                "por ejemplo 900123456-8."
            ),
            FIELD,
        )
    if nit_check_digit(number) != int(digit):
        raise DomainError(_l("El dígito verificador del NIT no corresponde."), FIELD)
    return f"{number}-{digit}"


# --- Mexico: RFC -----------------------------------------------------------------------------

_RFC = re.compile(r"^([A-ZÑ&]{3,4})(\d{2})(\d{2})(\d{2})([A-Z\d]{2})([A\d])$")
_RFC_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def rfc_check_digit(first: str) -> str:
    """SAT's mod-11 check character over the first 11 (moral) or 12 (física) characters."""
    padded = first.rjust(12)  # a persona moral's RFC is read with a leading space
    total = sum(_RFC_ALPHABET.index(ch) * (13 - i) for i, ch in enumerate(padded))
    remainder = total % 11
    if remainder == 0:
        return "0"
    digit = 11 - remainder
    return "A" if digit == 10 else str(digit)


def _real_date(yy: str, mm: str, dd: str) -> bool:
    try:
        date(2000 + int(yy), int(mm), int(dd))  # "00" may be 2000, a leap year
    except ValueError:
        return False
    return True


def _rfc(raw: str) -> str:
    value = re.sub(r"[\s\-]", "", raw).upper()
    match = _RFC.match(value)
    if match is None:
        raise DomainError(
            _l(
                "El RFC tiene 12 caracteres (persona moral, por ejemplo CFE370814QI0) "
                "o 13 (persona física)."
            ),
            FIELD,
        )
    _letters, yy, mm, dd, _homoclave, digit = match.groups()
    if not _real_date(yy, mm, dd):
        raise DomainError(_l("La fecha del RFC no es una fecha real."), FIELD)
    if rfc_check_digit(value[:-1]) != digit:
        raise DomainError(_l("El dígito verificador del RFC no corresponde."), FIELD)
    return value


# --- all countries ---------------------------------------------------------------------------

_PARSERS = {"PE": _ruc, "CO": _nit, "MX": _rfc}
NAMES = {"PE": "RUC", "CO": "NIT", "MX": "RFC"}


def name(country: str) -> str:
    """What the country calls an organization's tax id (RUC, NIT, RFC)."""
    return NAMES.get(country, "")


def parse(country: str, raw: str) -> str:
    """The tax id written the one way Minka stores it; DomainError (field "tax_id") if the
    form or the check digit is wrong."""
    text = (raw or "").strip()
    if not text:
        raise DomainError(_l("Escriba el número de identificación tributaria."), FIELD)
    parser = _PARSERS.get(country)
    if parser is None:
        raise DomainError(_l("Elija un país de la lista."), "country")
    return parser(text)


def with_check_digit(country: str, body: str) -> str:
    """A tax id completed with its check digit: `body` is a RUC's first 10 digits, a NIT's
    number, or an RFC without its last character (for demo data and tests)."""
    if country == "PE":
        return body + str(ruc_check_digit(body))
    if country == "CO":
        return f"{body}-{nit_check_digit(body)}"
    return body + rfc_check_digit(body)


def is_valid(country: str, value: str | None) -> bool:
    """True when `value` is a well-formed tax id of `country` with the right check digit."""
    try:
        return value is not None and parse(country, value) == value
    except DomainError:
        return False
