"""The API fuzzed from its own OpenAPI document (schemathesis): every operation, every check.

Requests are drawn from /api/v1/openapi.json (valid and invalid parameters, repeated and
unknown ones, other methods) against a small world with real ids, so the detail endpoints
answer 200 as well as 404. Every response must be what the document promises: never a 5xx,
a documented status, content type and body, and invalid input refused. Derandomized and
bounded: the same requests on every run, in seconds.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from marketplace import currencies, gazetteer
from marketplace.api import openapi, params
from marketplace.money import MAX_PRICE_MAJOR

API = "/api/v1"
EXAMPLES_PER_OPERATION = 40


@pytest.fixture
def api_world(make_org, new_listing, new_commitment):
    """Listings in each country's currency and commitments of each price type, with their
    ids: the detail paths are drawn from these ids as well as from the whole integer range."""
    listings = [
        new_listing(),
        new_listing(
            "Asesoría en poda de cafetales",
            kind="service",
            category="poda",
            stock=None,
            price_minor=150_000_000,  # 1.500.000 pesos
            currency="COP",
            country="CO",
            org=make_org("ta_provider", country="CO"),
            regions=[("CO", "Huila")],
            value_chains=["cafe"],
            delivery_mode="on_farm_service",
        ),
        new_listing(
            "Composta de lombriz",
            currency="MXN",
            country="MX",
            price_minor=32_000,
            org=make_org("supplier", country="MX"),
            regions=[("MX", "Oaxaca")],
        ),
    ]
    commitments = [
        new_commitment(),
        new_commitment(
            product="Café pergamino",
            value_chain="cafe",
            country="CO",
            currency="COP",
            price_minor_per_kg=1_850_000,
            regions=[("CO", "Huila")],
            collection_center_id=None,
        ),
        new_commitment(
            price_type="premium",
            price_minor_per_kg=None,
            premium_minor_per_kg=80,
            currency="USD",
            reference_price="Bolsa de Nueva York",
            cutoff_date=None,
            deforestation_free=False,
            max_humidity_pct=None,
        ),
        new_commitment(status="closed"),
    ]
    return listings, commitments


# The document as a dict: the schema must exist when pytest collects the tests (one per
# operation); test_the_served_document_is_the_fuzzed_one checks the app serves this very one.
schema = schemathesis.openapi.from_dict(openapi.document())
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, deterministic=True)
schema.config.phases.coverage.generate_duplicate_query_parameters = True


def undeclared_or_repeated_parameter_refused(ctx, response, case) -> None:
    """OpenAPI cannot say that a query takes no other parameters, nor each one once; the
    document says so in words and the API must answer 400 (404 when the path names no
    resource at all)."""
    declared = {parameter.name for parameter in case.operation.query}
    sent = parse_qs(urlsplit(response.request.url).query, keep_blank_values=True)
    odd = [name for name, values in sent.items() if name not in declared or len(values) > 1]
    if odd and response.status_code not in (400, 404):
        raise AssertionError(f"{odd} answered {response.status_code}, not 400")


CHECKS = [undeclared_or_repeated_parameter_refused]  # besides every built-in check


def follow_the_rules_between_parameters(query: dict) -> None:
    """Make a schema-valid query also keep the rules the document gives in words, between
    parameters, which a parameter's schema cannot say (the API refuses their breaking)."""
    if ("lat" in query) != ("lon" in query):
        query.pop("lat", None), query.pop("lon", None)
    if query.get("sort") == "nearest" and "lat" not in query:
        query.update(lat=-6.49, lon=-76.37)
    country = query.get("country")
    if country is not None and query.get("region", "") not in gazetteer.regions(country):
        query.pop("region", None)
    currency = currencies.of_country(country) if country else None
    ceiling = MAX_PRICE_MAJOR[currency] if currency else max(MAX_PRICE_MAJOR.values())
    for name in ("price_min", "price_max"):
        if name in query and Decimal(query[name]) > ceiling:
            query[name] = str(ceiling)
    if "price_min" in query and "price_max" in query:
        low, high = sorted((query["price_min"], query["price_max"]), key=Decimal)
        query.update(price_min=low, price_max=high)
    per_page = int(query.get("per_page", params.DEFAULT_PER_PAGE))
    if int(query.get("page", 1)) * per_page > params.MAX_RESULTS:
        query["page"] = params.MAX_RESULTS // per_page


# Schemathesis asks for gzip like an HTTP library but, calling the app in-process, does not
# unpack it as one would: ask for the plain body (compression has its own tests).
IDENTITY = {"Accept-Encoding": "identity"}


@schema.parametrize()
# The world is only read: building it once for all the examples is what is wanted.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_document(case, app, api_world):
    if case.meta.generation.mode.is_positive and case.query:
        follow_the_rules_between_parameters(case.query)
    case.call_and_validate(app=app, additional_checks=CHECKS, headers=IDENTITY)
    if case.path_parameters:  # the same request for a resource that exists
        listings, commitments = api_world
        real = listings if "listing_id" in case.path_parameters else commitments
        (name,) = case.path_parameters
        value = case.path_parameters[name]
        if isinstance(value, int) and not isinstance(value, bool):
            case.path_parameters[name] = real[value % len(real)].id
            case.call_and_validate(app=app, additional_checks=CHECKS, headers=IDENTITY)


def test_the_served_document_is_the_fuzzed_one(client):
    assert client.get(f"{API}/openapi.json").json == schema.raw_schema
