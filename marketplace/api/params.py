"""Strict reading of the API's query strings: every parameter known, single, typed and bounded.

A bad parameter raises `BadParameter` (a DomainError naming the field), which the API answers
with a 400 JSON body. The filters built here are the catalogue's and the commitments' own.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from marketplace import currencies, gazetteer
from marketplace.catalog import taxonomy
from marketplace.catalog.search import SORTS, CatalogFilters
from marketplace.commitments.queries import CommitmentFilters
from marketplace.config import LANGUAGES
from marketplace.errors import DomainError
from marketplace.models import ValueChain
from marketplace.money import MAX_PRICE_MAJOR

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# A search shows its first 10,000 results at most (page x per_page): deeper OFFSETs make the
# database walk and drop every row before them, for pages no person reads.
MAX_RESULTS = 10_000
MAX_QUERY_LENGTH = 200
TRUE, FALSE = ("true", "1"), ("false", "0")
# An amount in major units: digits, then a point and at most the currencies' decimals; no
# more whole digits than the highest price any currency accepts (OpenAPI's pattern too).
AMOUNT_PATTERN = (
    rf"^[0-9]{{1,{len(str(max(MAX_PRICE_MAJOR.values())))}}}"
    rf"(\.[0-9]{{1,{max(c.minor_units for c in currencies.CURRENCIES.values())}}})?$"
)
PAGING = ("page", "per_page")
LISTING_PARAMS = (
    *("q", "kind", "category", "value_chain", "country", "region"),
    *("price_min", "price_max", "in_stock", "sort", "lat", "lon", *PAGING),
)
COMMITMENT_PARAMS = ("value_chain", "country", "region", "deforestation_free", *PAGING)
#: The query parameters of each endpoint besides `lang` (the language of the answer, one of
#: LANGUAGES, on every endpoint); any other parameter is refused.
ENDPOINT_PARAMS: dict[str, tuple[str, ...]] = {
    "listings": LISTING_PARAMS,
    "listing": (),
    "commitments": COMMITMENT_PARAMS,
    "commitment": (),
    "openapi_document": (),
}


class BadParameter(DomainError):
    """A query parameter the API refuses; `field` names it."""


def _choice_message(name: str, options) -> str:
    return _(
        "Valor no válido para %(name)s. Valores posibles: %(values)s.",
        name=name,
        values=", ".join(options),
    )


def check_query_string(endpoint: str, args: MultiDict) -> None:
    """Refuse (BadParameter) a parameter `endpoint` does not take, a parameter given twice
    and a `lang` that is not one of LANGUAGES: the one check every endpoint passes."""
    allowed = (*ENDPOINT_PARAMS[endpoint], "lang")
    for name in args:
        if name not in allowed:
            raise BadParameter(_("Parámetro desconocido: %(name)s.", name=name), name)
        if len(args.getlist(name)) > 1:
            raise BadParameter(_("Indique %(name)s una sola vez.", name=name), name)
    if args.get("lang", LANGUAGES[0]) not in LANGUAGES:
        raise BadParameter(_choice_message("lang", LANGUAGES), "lang")


class Query:
    """One request's query string, read parameter by parameter (check_query_string has
    already refused unknown and repeated parameters)."""

    def __init__(self, args: MultiDict) -> None:
        self.args = args

    def raw(self, name: str) -> str | None:
        """The parameter's text exactly as sent ("" is a value, refused where it is not
        valid); None when absent."""
        return self.args.get(name)

    def text(self, name: str, max_length: int = MAX_QUERY_LENGTH) -> str:
        """Free text of at most `max_length` characters ("" when absent)."""
        value = self.raw(name) or ""
        if len(value) > max_length:
            raise BadParameter(
                _("%(name)s admite hasta %(max)s caracteres.", name=name, max=max_length), name
            )
        return value

    def choice(self, name: str, options) -> str | None:
        """One of `options`, or None when absent."""
        value = self.raw(name)
        if value is not None and value not in options:
            raise BadParameter(_choice_message(name, options), name)
        return value

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        """A whole number between `low` and `high` (both included), or `default`."""
        value = self.raw(name)
        if value is None:
            return default
        digits_only = value.isascii() and value.isdigit() and len(value) <= 12
        if not digits_only or not low <= int(value) <= high:
            raise BadParameter(
                _(
                    "%(name)s debe ser un número entero entre %(low)s y %(high)s.",
                    name=name,
                    low=low,
                    high=high,
                ),
                name,
            )
        return int(value)

    def boolean(self, name: str) -> bool | None:
        """true/1 or false/0, or None when absent."""
        value = self.raw(name)
        if value is None:
            return None
        if value not in (*TRUE, *FALSE):
            raise BadParameter(_("%(name)s debe ser true o false.", name=name), name)
        return value in TRUE

    def coordinate(self, name: str, limit: float) -> float | None:
        """Decimal degrees between -limit and limit, or None when absent."""
        value = self.raw(name)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not -limit <= number <= limit:  # NaN fails too
            raise BadParameter(
                _(
                    "%(name)s debe ser un número en grados decimales entre -%(limit)s y %(limit)s.",
                    name=name,
                    limit=int(limit),
                ),
                name,
            )
        return number

    def minor_units(self, name: str, currency: str | None) -> int | None:
        """A non-negative amount in major units ("12.50") as integer minor units of
        `currency` (of any currency when None), or None when absent.

        The ceiling is the catalogue's highest accepted price in that currency (in any
        currency when None)."""
        value = self.raw(name)
        if value is None:
            return None
        digits = currencies.minor_units(currency or "USD")
        ceiling = MAX_PRICE_MAJOR[currency] if currency else max(MAX_PRICE_MAJOR.values())
        amount = Decimal(value) if re.fullmatch(AMOUNT_PATTERN, value) else None
        if amount is None or amount > ceiling or -amount.as_tuple().exponent > digits:
            raise BadParameter(
                _(
                    "%(name)s debe ser un importe entre 0 y %(max)s con punto decimal y "
                    "hasta %(digits)s decimales, p. ej. 12.50.",
                    name=name,
                    max=ceiling,
                    digits=digits,
                ),
                name,
            )
        return int(amount.scaleb(digits))

    def place(self) -> tuple[str | None, str | None]:
        """country and region, the region checked against the gazetteer."""
        country = self.choice("country", gazetteer.COUNTRIES)
        region = self.raw("region")
        if region is not None:
            countries = [country] if country else list(gazetteer.COUNTRIES)
            if not any(region in gazetteer.regions(c) for c in countries):
                raise BadParameter(
                    _("Región desconocida: escriba el nombre tal como lo da el catálogo."),
                    "region",
                )
        return country, region

    def paging(self) -> tuple[int, int]:
        """page and per_page (1..100, 20 by default), within the first MAX_RESULTS results."""
        per_page = self.integer("per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)
        page = self.integer("page", 1, MAX_RESULTS // per_page, 1)
        return page, per_page


def listing_query(args: MultiDict) -> tuple[CatalogFilters, int, int]:
    """The catalogue filters, page and page size of GET /api/v1/listings."""
    query = Query(args)
    country, region = query.place()
    currency = currencies.of_country(country) if country else None
    price_min = query.minor_units("price_min", currency)
    price_max = query.minor_units("price_max", currency)
    if price_min is not None and price_max is not None and price_min > price_max:
        raise BadParameter(_("price_min no puede ser mayor que price_max."), "price_min")
    lat, lon = query.coordinate("lat", 90), query.coordinate("lon", 180)
    if (lat is None) != (lon is None):
        raise BadParameter(_("Indique lat y lon juntas."), "lon" if lon is None else "lat")
    sort = query.choice("sort", SORTS) or "newest"
    if sort == "nearest" and lat is None:
        raise BadParameter(_("Para ordenar por cercanía indique lat y lon."), "lat")
    filters = CatalogFilters(
        q=query.text("q"),
        kind=query.choice("kind", taxonomy.KINDS),
        category=query.choice("category", tuple(taxonomy.CATEGORIES)),
        value_chain=query.choice("value_chain", ValueChain.codes()),
        country=country,
        region=region,
        price_min_minor=price_min,
        price_max_minor=price_max,
        in_stock=bool(query.boolean("in_stock")),
        sort=sort,
        near=(lat, lon) if lat is not None and lon is not None else None,
    )
    return filters, *query.paging()


def commitment_query(args: MultiDict) -> tuple[CommitmentFilters, int, int]:
    """The filters, page and page size of GET /api/v1/commitments (open commitments)."""
    query = Query(args)
    country, region = query.place()
    filters = CommitmentFilters(
        value_chain=query.choice("value_chain", ValueChain.codes()),
        country=country,
        region=region,
        deforestation_free=query.boolean("deforestation_free"),
    )
    return filters, *query.paging()
