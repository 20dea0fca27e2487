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
from marketplace.labels import UNITS
from marketplace.models import CommitmentStatus, DeliveryMode, PriceType, ValueChain

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
DECIMAL = {"type": "string", "pattern": r"^\d+\.\d+$", "description": "Major units, e.g. 12.50"}
CURRENCY = _enum(currencies.CODES)


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
    price_per_kg = _object(
        {
            "type": _enum(PriceType),
            "currency": CURRENCY,
            "amount_minor": _nullable("integer", description="per kg, when type is fixed"),
            "amount": _nullable("string", description="amount_minor in major units"),
            "premium_minor": _nullable("integer", description="per kg, when type is premium"),
            "premium": _nullable("string", description="premium_minor in major units"),
            "reference": {"type": "string", "description": "reference price the premium is over"},
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
            "price_per_kg": price_per_kg,
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
        "Money": _object(
            {"amount_minor": {"type": "integer"}, "currency": CURRENCY, "amount": DECIMAL}
        ),
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


def _errors(*statuses: int) -> dict:
    names = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 429: "TooManyRequests"}
    return {str(status): {"$ref": ERROR_REF + names[status]} for status in statuses}


def _ok(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


PAGING = [
    _param(
        "page",
        "Page number; page x per_page may not exceed 10000.",
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
    _param(
        "region", "Region served (name as in the gazetteer, e.g. San Martín).", {"type": "string"}
    ),
]
LANG = _param("lang", "Language of error messages (also Accept-Language).", _enum(("es", "en")))
BOOLEAN = _enum(("true", "false", "1", "0"))
AMOUNT = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}


def _listing_params() -> list[dict]:
    return [
        _param(
            "q",
            "Words to find in title, description or category (accents ignored).",
            {"type": "string", "maxLength": params.MAX_QUERY_LENGTH},
        ),
        _param("kind", "input or service.", _enum(taxonomy.KINDS)),
        _param("category", "Category of the taxonomy.", _enum(taxonomy.CATEGORIES)),
        *PLACE_PARAMS,
        _param("price_min", "Lowest price, major units (12.50).", AMOUNT),
        _param("price_max", "Highest price, major units.", AMOUNT),
        _param("in_stock", "true: only inputs in stock, and services.", BOOLEAN),
        _param("sort", "Order; nearest needs lat and lon.", {**_enum(SORTS), "default": "newest"}),
        _param(
            "lat", "Latitude for sort=nearest.", {"type": "number", "minimum": -90, "maximum": 90}
        ),
        _param(
            "lon",
            "Longitude for sort=nearest.",
            {"type": "number", "minimum": -180, "maximum": 180},
        ),
        *PAGING,
        LANG,
    ]


def document() -> dict:
    """The whole OpenAPI 3.1 document as a dict (jsonify-able)."""
    bad, missing = "Invalid parameter", "Not found"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Minka API",
            "version": "1.0.0",
            "description": (
                "Read-only, public: the catalogue of inputs and technical-assistance services "
                "and buyers' purchase commitments. Money is integer minor units plus an ISO "
                "currency. Unknown or repeated parameters are refused with 400. Rate limit: "
                "120 requests per minute per address."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/listings": {
                "get": {
                    "operationId": "listListings",
                    "summary": "Search published listings",
                    "parameters": _listing_params(),
                    "responses": {
                        "200": _ok("ListingPage", "A page of listings"),
                        **_errors(400, 405, 429),
                    },
                }
            },
            "/api/v1/listings/{listing_id}": {
                "get": {
                    "operationId": "getListing",
                    "summary": "One published listing",
                    "parameters": [
                        _param("listing_id", "Listing id.", {"type": "integer"}, "path"),
                        LANG,
                    ],
                    "responses": {"200": _ok("Listing", "The listing"), **_errors(404, 405, 429)},
                }
            },
            "/api/v1/commitments": {
                "get": {
                    "operationId": "listCommitments",
                    "summary": "Open purchase commitments, newest first",
                    "parameters": [
                        *PLACE_PARAMS,
                        _param(
                            "deforestation_free",
                            "Only those requiring (or not) deforestation-free produce.",
                            BOOLEAN,
                        ),
                        *PAGING,
                        LANG,
                    ],
                    "responses": {
                        "200": _ok("CommitmentPage", "A page of commitments"),
                        **_errors(400, 405, 429),
                    },
                }
            },
            "/api/v1/commitments/{commitment_id}": {
                "get": {
                    "operationId": "getCommitment",
                    "summary": "One purchase commitment (any status)",
                    "parameters": [
                        _param("commitment_id", "Commitment id.", {"type": "integer"}, "path"),
                        LANG,
                    ],
                    "responses": {
                        "200": _ok("Commitment", "The commitment"),
                        **_errors(404, 405, 429),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "getOpenAPI",
                    "summary": "This document",
                    "parameters": [LANG],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "responses": {
                name: {
                    "description": text,
                    "content": {"application/json": {"schema": _ref("Error")}},
                }
                for name, text in (
                    ("BadRequest", bad),
                    ("NotFound", missing),
                    ("MethodNotAllowed", "Only GET (and HEAD) are allowed"),
                    ("TooManyRequests", "Rate limit exceeded; retry later"),
                )
            },
        },
    }
