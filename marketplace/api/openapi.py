"""The OpenAPI 3.1 description of /api/v1, built from the same vocabularies the API checks.

The enums come from the catalogue's taxonomy, the value chains, the gazetteer's countries and
the catalogue's sorts, so the document cannot drift from what the parameters accept.
The descriptions are for developers and stay in English, like the parameter names.
"""

from __future__ import annotations

from marketplace import currencies, gazetteer
from marketplace.api import params
from marketplace.catalog import taxonomy
from marketplace.catalog.search import SORTS
from marketplace.config import LANGUAGES
from marketplace.labels import UNITS
from marketplace.models import CommitmentStatus, DeliveryMode, PriceType, ValueChain
from marketplace.money import MAX_PRICE_MAJOR
from marketplace.web import CONTROL_CHARACTERS

REF = "#/components/schemas/"
ERROR_REF = "#/components/responses/"


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """An object schema whose properties are all required except `optional`."""
    return {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }


def _param(name: str, description: str, schema: dict, where: str = "query") -> dict:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }


def _enum(values) -> dict:
    return {"type": "string", "enum": list(values)}


PLACE = _object({"country": _enum(gazetteer.COUNTRIES), "region": {"type": "string"}})
ORGANIZATION = _object({"id": {"type": "integer"}, "name": {"type": "string"}})
MINOR = {"type": "integer", "minimum": 0}
REGION = _enum(sorted({name for code in gazetteer.COUNTRIES for name in gazetteer.regions(code)}))


def _decimal(currency: currencies.Currency) -> dict:
    """An amount of `currency` in major units as the API writes it: as many decimals as the
    currency has minor units, always ("1500000.00" COP, "12.50" PEN)."""
    digits = currency.minor_units
    decimals = rf"\.[0-9]{{{digits}}}" if digits else ""
    return {
        "type": "string",
        "pattern": rf"^[0-9]+{decimals}$",
        "description": f"Major units with {digits} decimals",
    }


def _by_currency(properties) -> dict:
    """One object schema per currency (`properties(currency)` gives its properties, the
    `currency` among them): amounts are written with that currency's decimals."""
    return {"oneOf": [_object(properties(c)) for c in currencies.CURRENCIES.values()]}


def _money(currency: currencies.Currency) -> dict:
    code = {"const": currency.code}
    return {"amount_minor": MINOR, "currency": code, "amount": _decimal(currency)}


def _price_per_kg(currency: currencies.Currency) -> dict:
    amount = {**_decimal(currency), "type": ["string", "null"]}
    return {
        "type": _enum(PriceType),
        "currency": {"const": currency.code},
        "amount_minor": _nullable("integer", minimum=0, description="per kg, when type is fixed"),
        "amount": {**amount, "description": "amount_minor in major units"},
        "premium_minor": _nullable("integer", minimum=0, description="per kg, when premium"),
        "premium": {**amount, "description": "premium_minor in major units"},
        "reference": {"type": "string", "description": "reference price the premium is over"},
    }


def _schemas() -> dict:
    """Component schemas: resources, pages and the error body."""
    listing = _object(
        {
            "id": {"type": "integer"},
            "kind": _enum(taxonomy.KINDS),
            "category": _enum(taxonomy.CATEGORIES),
            "title": {"type": "string"},
            "description": {"type": "string"},
            "price": _ref("Money"),
            "unit": _enum(UNITS),
            "stock": _nullable("integer", minimum=0, description="null for services"),
            "delivery_mode": _enum(DeliveryMode.codes()),
            "lead_time_days": {"type": "integer", "minimum": 0},
            "country": _enum(gazetteer.COUNTRIES),
            "regions": {"type": "array", "items": _ref("Place")},
            "value_chains": {"type": "array", "items": _enum(ValueChain.codes())},
            "supplier": _ref("Organization"),
            "created_at": {"type": "string", "format": "date-time"},
        }
    )
    commitment = _object(
        {
            "id": {"type": "integer"},
            "product": {"type": "string"},
            "value_chain": _enum(ValueChain.codes()),
            "country": _enum(gazetteer.COUNTRIES),
            "volume_kg": {"type": "integer", "minimum": 0},
            "pledged_kg": {"type": "integer", "minimum": 0},
            "remaining_kg": {"type": "integer", "minimum": 0},
            "fill": {"type": "number", "minimum": 0, "maximum": 1},
            "min_kg_per_producer": {"type": "integer"},
            "max_kg_per_producer": {"type": "integer"},
            "price_per_kg": _by_currency(_price_per_kg),
            "quality": _object(
                {
                    "max_humidity_pct": _nullable("number"),
                    "min_fermentation_pct": _nullable("number"),
                    "notes": {"type": "string"},
                }
            ),
            "deforestation_free": {"type": "boolean"},
            "cutoff_date": _nullable("string", format="date"),
            "delivery_window": _object(
                {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"},
                }
            ),
            "collection_centre": {
                "oneOf": [
                    _object(
                        {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "country": _enum(gazetteer.COUNTRIES),
                            "region": {"type": "string"},
                        }
                    ),
                    {"type": "null"},
                ]
            },
            "regions": {"type": "array", "items": _ref("Place")},
            "buyer": _ref("Organization"),
            "status": _enum(CommitmentStatus),
            "created_at": {"type": "string", "format": "date-time"},
        }
    )
    return {
        "Money": _by_currency(_money),
        "Place": PLACE,
        "Organization": ORGANIZATION,
        "Listing": listing,
        "ListingPage": _page("Listing", counted=False),
        "Commitment": commitment,
        "CommitmentPage": _page("Commitment", counted=True),
        "Error": _object(
            {
                "error": {"type": "string", "description": "in the request's language"},
                "status": {"type": "integer"},
                "field": {"type": "string", "description": "the parameter at fault (400)"},
            },
            optional=("field",),
        ),
    }


def _page(item: str, counted: bool) -> dict:
    properties = {
        "items": {"type": "array", "items": _ref(item)},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": params.MAX_PER_PAGE},
        "has_next": {"type": "boolean"},
    }
    if counted:
        properties["total"] = {"type": "integer", "minimum": 0}
    return _object(properties, optional=("total",))


ERRORS = {
    400: ("BadRequest", "An unknown, repeated or invalid parameter (field names it)"),
    404: ("NotFound", "No such published listing or commitment"),
    405: ("MethodNotAllowed", "Only GET (and HEAD) are allowed"),
    429: ("TooManyRequests", "Rate limit exceeded; retry later"),
}


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": ERROR_REF + ERRORS[status][0]} for status in statuses}


def _ok(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


PAGING = [
    _param(
        "page",
        f"Page number; page x per_page may not exceed {params.MAX_RESULTS}.",
        {"type": "integer", "minimum": 1, "maximum": params.MAX_RESULTS},
    ),
    _param(
        "per_page",
        "Items per page.",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": params.MAX_PER_PAGE,
            "default": params.DEFAULT_PER_PAGE,
        },
    ),
]
PLACE_PARAMS = [
    _param("value_chain", "Value chain.", _enum(ValueChain.codes())),
    _param("country", "ISO country code.", _enum(gazetteer.COUNTRIES)),
    _param("region", "Region served, as in the gazetteer; within country if given.", REGION),
]
LANG = _param(
    "lang",
    "Language of error messages (a signed-in user's saved one wins; without lang: the "
    "session's, then Accept-Language, then es).",
    _enum(LANGUAGES),
)
BOOLEAN = _enum((*params.TRUE, *params.FALSE))
AMOUNT = {"type": "string", "pattern": params.AMOUNT_PATTERN}


def _listing_params() -> list[dict]:
    ceilings = ", ".join(f"{code} {amount}" for code, amount in MAX_PRICE_MAJOR.items())
    return [
        _param(
            "q",
            "Words to find in title, description or category (accents ignored).",
            {
                "type": "string",
                "maxLength": params.MAX_QUERY_LENGTH,
                "pattern": f"^[^{CONTROL_CHARACTERS}]*$",
            },
        ),
        _param("kind", "input or service.", _enum(taxonomy.KINDS)),
        _param("category", "Category of the taxonomy.", _enum(taxonomy.CATEGORIES)),
        *PLACE_PARAMS,
        _param(
            "price_min",
            "Lowest price in major units (12.50), at most the country's currency's highest "
            f"price ({ceilings}; without country, the highest of them); not above price_max.",
            AMOUNT,
        ),
        _param("price_max", "Highest price in major units, bounded as price_min.", AMOUNT),
        _param("in_stock", "true: only inputs in stock, and services.", BOOLEAN),
        _param(
            "sort",
            "Order; nearest needs lat and lon. Sold-out inputs (stock 0) come after the others.",
            {**_enum(SORTS), "default": "newest"},
        ),
        _param(
            "lat",
            "Latitude, with lon: for sort=nearest.",
            {"type": "number", "minimum": -90, "maximum": 90},
        ),
        _param(
            "lon",
            "Longitude, with lat: for sort=nearest.",
            {"type": "number", "minimum": -180, "maximum": 180},
        ),
        *PAGING,
        LANG,
    ]


def _id(name: str, description: str) -> dict:
    return _param(name, description, {"type": "integer", "minimum": 1}, "path")


def _get(operation_id: str, summary: str, parameters: list, ok: dict, *errors: int) -> dict:
    """A GET operation; every one answers 400 (unknown, repeated or invalid parameters, a
    `lang` other than es or en), 405 (another method) and 429 (the rate limit)."""
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": parameters,
            "responses": {"200": ok, **_errors(400, *errors, 405, 429)},
        }
    }


def document() -> dict:
    """The whole OpenAPI 3.1 document as a dict (jsonify-able)."""
    commitment_params = [
        *PLACE_PARAMS,
        _param(
            "deforestation_free",
            "Only those requiring (or not) deforestation-free produce.",
            BOOLEAN,
        ),
        *PAGING,
        LANG,
    ]
    openapi_ok = {
        "description": "OpenAPI 3.1 document",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Minka API",
            "version": "1.0.0",
            "description": (
                "Read-only, public: the catalogue of inputs and technical-assistance services "
                "and buyers' purchase commitments. Money is integer minor units plus an ISO "
                "currency, and the same amount in major units as text with the currency's "
                "decimals (2 for PEN, MXN, COP and USD: 1500000.00 COP). Each operation takes "
                "the parameters listed for it and lang: an unknown parameter, one given twice, "
                "an empty or invalid value or a lang other than es or en is refused with 400. "
                "Rate limit: 120 requests per minute per address."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/listings": _get(
                "listListings",
                "Search published listings",
                _listing_params(),
                _ok("ListingPage", "A page of listings"),
            ),
            "/api/v1/listings/{listing_id}": _get(
                "getListing",
                "One published listing",
                [_id("listing_id", "Listing id."), LANG],
                _ok("Listing", "The listing"),
                404,
            ),
            "/api/v1/commitments": _get(
                "listCommitments",
                "Open purchase commitments, newest first",
                commitment_params,
                _ok("CommitmentPage", "A page of commitments"),
            ),
            "/api/v1/commitments/{commitment_id}": _get(
                "getCommitment",
                "One purchase commitment (any status)",
                [_id("commitment_id", "Commitment id."), LANG],
                _ok("Commitment", "The commitment"),
                404,
            ),
            "/api/v1/openapi.json": _get("getOpenAPI", "This document", [LANG], openapi_ok),
        },
        "components": {
            "schemas": _schemas(),
            "responses": {
                name: {
                    "description": text,
                    "content": {"application/json": {"schema": _ref("Error")}},
                }
                for name, text in ERRORS.values()
            },
        },
    }
