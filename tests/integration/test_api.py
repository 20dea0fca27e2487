"""The read-only JSON API: filters, pagination, strict parameters, JSON errors, no personal data,
constant query counts, and an OpenAPI document that matches the routes and the responses."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import event

from marketplace.api import params
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from marketplace.models import Consent, Pledge
from marketplace.models.base import local_today, utcnow

API = "/api/v1"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.json["items"]]


# -- listings ----------------------------------------------------------------------------------


def test_listing_fields(client, new_listing, supplier):
    listing = new_listing(regions=[("PE", "San Martín"), ("PE", "Amazonas")])
    body = client.get(f"{API}/listings").json
    assert body["page"] == 1 and body["per_page"] == 20 and body["has_next"] is False
    assert "total" not in body  # the catalogue does not count: no COUNT over 100,000 rows
    (item,) = body["items"]
    assert item == client.get(f"{API}/listings/{listing.id}").json
    assert item["price"] == {"amount_minor": 8500, "currency": "PEN", "amount": "85.00"}
    assert item["supplier"] == {"id": supplier.id, "name": "Agroinsumos del Huallaga"}
    assert item["regions"] == [
        {"country": "PE", "region": "Amazonas"},
        {"country": "PE", "region": "San Martín"},
    ]
    assert item["value_chains"] == ["cacao"] and item["stock"] == 40
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", item["created_at"])
    assert {"kind", "category", "title", "description", "unit", "delivery_mode"} <= set(item)


def test_only_published_listings_of_organizations_that_may_publish(client, new_listing, make_org):
    shown = new_listing()
    hidden = [new_listing(status=status) for status in ("draft", "paused", "deleted")]
    hidden.append(new_listing(org=make_org("supplier", verified=False)))
    hidden.append(new_listing(org=make_org("supplier", suspended_at=utcnow())))
    assert ids(client.get(f"{API}/listings")) == [shown.id]
    for listing in hidden:
        response = client.get(f"{API}/listings/{listing.id}")
        assert response.status_code == 404 and response.json["status"] == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=fertilizante+organico", ["organic"]),
        ("q=PODA", ["service", "tool"]),  # "podar" too
        ("kind=service", ["service"]),
        ("category=herramientas", ["tool"]),
        ("value_chain=cafe", ["tool"]),
        ("country=MX", ["mexico"]),
        ("region=Amazonas", ["tool"]),
        ("country=PE&region=Amazonas", ["tool"]),
        ("price_min=100&price_max=200.5", ["tool"]),
        ("price_max=85&country=PE", ["organic", "service", "empty"]),
        ("price_min=85.00&price_max=85", ["organic", "mexico"]),
        ("in_stock=true&country=PE", ["organic", "service", "tool"]),
        ("in_stock=false&country=PE", ["organic", "service", "tool", "empty"]),
        # sold-out items come after those in stock, whatever the order
        ("sort=price_asc&country=PE", ["service", "organic", "tool", "empty"]),
        ("sort=price_desc&country=PE", ["tool", "organic", "service", "empty"]),
        ("sort=newest&kind=input&country=PE", ["tool", "organic", "empty"]),
        ("sort=nearest&lat=19.4&lon=-99.1&country=MX", ["mexico"]),
    ],
)
def test_listing_filters(client, new_listing, make_org, query, expected):
    made = {
        "organic": new_listing("Fertilizante Orgánico"),
        "service": new_listing(
            "Poda de cacaotales",
            kind="service",
            category="poda",
            stock=None,
            price_minor=5_000,
            delivery_mode="on_farm_service",
        ),
        "tool": new_listing(
            "Tijera de podar",
            category="herramientas",
            price_minor=20_050,
            regions=[("PE", "Amazonas")],
            value_chains=["cafe"],
        ),
        "mexico": new_listing(
            "Composta",
            org=make_org("supplier", country="MX"),
            country="MX",
            currency="MXN",
            lat=17.06,
            lon=-96.72,
            regions=[("MX", "Oaxaca")],
        ),
        "empty": new_listing("Urea agotada", stock=0, price_minor=6_000),
    }
    names = {listing.id: name for name, listing in made.items()}
    found = [names[i] for i in ids(client.get(f"{API}/listings?{query}"))]
    if "sort=" in query:
        assert found == expected
    else:
        assert sorted(found) == sorted(expected)


def test_nearest_sorts_by_distance_to_the_point(client, new_listing):
    far = new_listing("Lejos", lat=-12.05, lon=-77.04)
    near = new_listing("Cerca", lat=-6.5, lon=-76.4)
    assert ids(client.get(f"{API}/listings?sort=nearest&lat=-6.49&lon=-76.37")) == [
        near.id,
        far.id,
    ]


def test_pagination_edges(client, new_listing):
    made = [new_listing(f"Producto {n}") for n in range(5)]
    newest_first = [listing.id for listing in reversed(made)]
    first = client.get(f"{API}/listings?per_page=2").json
    assert [i["id"] for i in first["items"]] == newest_first[:2] and first["has_next"] is True
    last = client.get(f"{API}/listings?per_page=2&page=3").json
    assert [i["id"] for i in last["items"]] == newest_first[4:] and last["has_next"] is False
    exact = client.get(f"{API}/listings?per_page=5").json
    assert len(exact["items"]) == 5 and exact["has_next"] is False
    beyond = client.get(f"{API}/listings?per_page=2&page=5000")  # the last allowed
    assert beyond.status_code == 200 and beyond.json["items"] == []
    assert beyond.json["has_next"] is False
    assert len(client.get(f"{API}/listings?per_page=100").json["items"]) == 5
    assert client.get(f"{API}/listings?per_page=1").json["per_page"] == 1


# -- commitments -------------------------------------------------------------------------------


def test_commitment_fields(client, new_commitment, buyer, centre):
    commitment = new_commitment()
    body = client.get(f"{API}/commitments").json
    assert body["total"] == 1 and body["has_next"] is False
    (item,) = body["items"]
    assert item == client.get(f"{API}/commitments/{commitment.id}").json
    assert item["volume_kg"] == 10_000 and item["pledged_kg"] == 2_500
    assert item["remaining_kg"] == 7_500 and item["fill"] == 0.25
    assert item["price_per_kg"] == {
        "type": "fixed",
        "currency": "PEN",
        "amount_minor": 1250,
        "amount": "12.50",
        "premium_minor": None,
        "premium": None,
        "reference": "",
    }
    assert item["quality"] == {
        "max_humidity_pct": 7.5,
        "min_fermentation_pct": 70.0,
        "notes": "Sin moho",
    }
    assert item["cutoff_date"] == "2020-12-31" and item["deforestation_free"] is True
    assert item["delivery_window"]["start"] == commitment.delivery_start.isoformat()
    assert item["collection_centre"] == {
        "id": centre.id,
        "name": "Centro de acopio Juanjuí",
        "country": "PE",
        "region": "San Martín",
    }
    assert item["buyer"] == {"id": buyer.organization_id, "name": buyer.organization.name}
    assert item["regions"] == [{"country": "PE", "region": "San Martín"}]
    assert item["status"] == "open" and item["min_kg_per_producer"] == 100


def test_premium_price_and_no_centre(client, new_commitment):
    commitment = new_commitment(
        price_type="premium",
        price_minor_per_kg=None,
        premium_minor_per_kg=80,
        reference_price="Bolsa de Nueva York, contrato de marzo",
        collection_center_id=None,
        currency="USD",
    )
    item = client.get(f"{API}/commitments/{commitment.id}").json
    assert item["price_per_kg"]["premium"] == "0.80"
    assert item["price_per_kg"]["reference"].startswith("Bolsa de Nueva York")
    assert item["price_per_kg"]["amount_minor"] is None and item["collection_centre"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["cacao", "coffee", "honey_mx"]),
        ("value_chain=cafe", ["coffee"]),
        ("country=MX", ["honey_mx"]),
        ("region=Cusco", ["coffee"]),
        ("country=PE&region=San+Martín", ["cacao"]),
        ("deforestation_free=false", ["honey_mx"]),
        ("deforestation_free=1", ["cacao", "coffee"]),
    ],
)
def test_commitment_filters(client, new_commitment, query, expected):
    made = {
        "cacao": new_commitment(),
        "coffee": new_commitment(
            product="Café pergamino", value_chain="cafe", regions=[("PE", "Cusco")]
        ),
        "honey_mx": new_commitment(
            product="Miel",
            value_chain="miel",
            country="MX",
            currency="MXN",
            deforestation_free=False,
            cutoff_date=None,
            regions=[("MX", "Chiapas")],
        ),
        "closed": new_commitment(status="closed"),
        "ended": new_commitment(
            delivery_start=local_today() - timedelta(days=60),
            delivery_end=local_today() - timedelta(days=1),
        ),
    }
    names = {c.id: name for name, c in made.items()}
    assert sorted(names[i] for i in ids(client.get(f"{API}/commitments?{query}"))) == sorted(
        expected
    )
    # the detail still answers for closed commitments, with their status
    assert client.get(f"{API}/commitments/{made['closed'].id}").json["status"] == "closed"


def test_commitments_of_suspended_buyers_are_hidden(client, new_commitment, buyer):
    commitment = new_commitment()
    buyer.organization.suspended_at = utcnow()
    _db.session.commit()
    assert ids(client.get(f"{API}/commitments")) == []
    assert client.get(f"{API}/commitments/{commitment.id}").status_code == 404


def test_commitment_pagination(client, new_commitment):
    for _ in range(3):
        new_commitment()
    body = client.get(f"{API}/commitments?per_page=2&page=2").json
    assert len(body["items"]) == 1 and body["has_next"] is False and body["total"] == 3


# -- bad input: always a 400, 404 or 405 in JSON, never HTML or a 500 --------------------------

BAD_LISTING_QUERIES = [
    ("page=abc", "page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=1.5", "page"),
    ("page=99999999999999999999999", "page"),
    ("page=10001", "page"),
    ("page=101&per_page=100", "page"),  # beyond the first 10,000 results
    ("per_page=0", "per_page"),
    ("per_page=101", "per_page"),
    ("per_page=10000", "per_page"),
    ("per_page=%EF%BC%91", "per_page"),  # a full-width digit
    ("price_min=-1", "price_min"),
    ("price_min=abc", "price_min"),
    ("price_min=1e5", "price_min"),
    ("price_min=NaN", "price_min"),
    ("price_min=12.505", "price_min"),
    ("price_min=12,50", "price_min"),
    ("price_max=120000000.01", "price_max"),  # above the highest price in any currency
    ("country=PE&price_max=100000.01", "price_max"),  # above the highest price in soles
    ("price_min=20&price_max=10", "price_min"),
    ("sort=hack", "sort"),
    ("sort=price_asc;DROP%20TABLE%20listing", "sort"),
    ("sort=nearest", "lat"),
    ("lat=999&lon=0", "lat"),
    ("lat=0&lon=-181", "lon"),
    ("lat=nan&lon=0", "lat"),
    ("lat=inf&lon=0", "lat"),
    ("lat=-7", "lon"),
    ("lon=-76", "lat"),
    ("kind=weapon", "kind"),
    ("category=armas", "category"),
    ("value_chain=coca", "value_chain"),
    ("country=ZZ", "country"),
    ("region=Atlantis", "region"),
    ("country=MX&region=San+Martín", "region"),
    ("in_stock=maybe", "in_stock"),
    ("q=" + "a" * 201, "q"),
    ("kind=input&kind=service", "kind"),
    ("pagina=2", "pagina"),
    ("deforestation_free=true", "deforestation_free"),
]
BAD_COMMITMENT_QUERIES = [
    ("page=abc", "page"),
    ("per_page=10000", "per_page"),
    ("value_chain=coca", "value_chain"),
    ("country=ZZ", "country"),
    ("region=%3Cscript%3E", "region"),
    ("deforestation_free=maybe", "deforestation_free"),
    ("sort=newest", "sort"),
    ("status=closed", "status"),
]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [("/listings", q, f) for q, f in BAD_LISTING_QUERIES]
    + [("/commitments", q, f) for q, f in BAD_COMMITMENT_QUERIES]
    + [("/openapi.json", "x=1", "x")],
)
def test_bad_parameters_are_400_json(client, path, query, field):
    response = client.get(f"{API}{path}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.json["field"] == field
    assert response.json["status"] == 400 and response.json["error"]


def test_error_messages_are_spanish_by_default(client):
    assert "número entero" in client.get(f"{API}/listings?page=abc").json["error"]
    assert "Parámetro desconocido" in client.get(f"{API}/listings?foo=1").json["error"]
    # ?lang= picks the language: it is not an unknown parameter
    assert client.get(f"{API}/listings?lang=en").status_code == 200


def test_error_messages_follow_the_language(client):
    english = {"Accept-Language": "en-US,en;q=0.9"}
    assert "whole number" in client.get(f"{API}/listings?page=abc", headers=english).json["error"]
    assert "Unknown parameter" in client.get(f"{API}/commitments?foo=1&lang=en").json["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/listings/999999",
        "/listings/99999999999999999999999",
        "/listings/abc",
        "/listings/-1",
        "/commitments/999999",
        "/commitments/99999999999999999999999",
        "/nothing-here",
        "/listings/",
    ],
)
def test_unknown_resources_are_404_json(client, path):
    response = client.get(API + path)
    assert response.status_code == 404
    assert response.mimetype == "application/json" and response.json["error"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/listings", "/listings/1", "/commitments", "/openapi.json"])
def test_writing_is_405_json(make_app, path, method):
    # CSRF on, as in production: the answer is still 405, not a CSRF page
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = getattr(client, method)(API + path, json={"title": "x"})
    assert response.status_code == 405
    assert response.mimetype == "application/json" and response.json["error"]
    assert "GET" in response.headers["Allow"]


@pytest.fixture
def limited_client(make_app):
    """A client of an app with a 3-per-minute API limit.

    Flask-Limiter keeps `enabled` on the shared `limiter` object, so turning it on for this
    app turns it on for the next tests' app too: put it back afterwards.
    """
    was_enabled = limiter.enabled
    yield make_app(RATELIMIT_ENABLED=True, MINKA_API_LIMIT="3 per minute").test_client()
    limiter.enabled = was_enabled


def test_the_api_is_rate_limited(limited_client):
    statuses = [limited_client.get(f"{API}/listings").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    response = limited_client.get(f"{API}/commitments")  # one budget for the whole API
    assert response.status_code == 429 and response.mimetype == "application/json"
    assert response.json["error"]


# -- public, and no personal data --------------------------------------------------------------

ROLES = ["anonymous", "producer", "technician", "supplier", "buyer", "lender", "admin"]
PUBLIC_PATHS = ["/listings", "/listings/{listing}", "/commitments", "/commitments/{commitment}"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", [*PUBLIC_PATHS, "/openapi.json"])
def test_every_role_reads_the_api(
    client, login, make_user, new_listing, new_commitment, role, path
):
    url = API + path.format(listing=new_listing().id, commitment=new_commitment().id)
    if role != "anonymous":
        login(make_user(role))
    assert client.get(url).status_code == 200


def test_no_personal_data_of_producers_in_any_response(
    client, new_listing, new_commitment, make_user, make_producer, make_farm, buyer
):
    commitment = new_commitment(pledged_kg=0)
    secrets = ["Teodoro Operador Privado", buyer.name, buyer.email]
    for n in range(3):
        user = make_user("producer", name=f"Usuaria Secreta {n}", email=f"secreta{n}@correo.pe")
        producer = make_producer(
            user_id=user.id,
            first_name=f"Eulalia{n}",
            last_name=f"Ccorimanya{n}",
            phone=f"+5198765432{n}",
            national_id=f"7123456{n}",
        )
        farm = make_farm(producer, name=f"Finca Escondida {n}", lat=-7.1234 - n, lon=-76.4321)
        _db.session.add(Consent(producer_id=producer.id, scope="buyers", granted=True))
        _db.session.add(
            Pledge(
                commitment_id=commitment.id,
                farm_id=farm.id,
                producer_id=producer.id,
                pledged_by_id=user.id,
                kg=300,
            )
        )
        commitment.pledged_kg += 300
        secrets += [
            producer.first_name,
            producer.last_name,
            producer.phone,
            "98765432",
            producer.national_id,
            user.name,
            user.email,
            farm.name,
            str(farm.lat),
        ]
    _db.session.commit()
    listing = new_listing()
    everything = ""
    for url in (
        "/listings",
        f"/listings/{listing.id}",
        "/commitments",
        f"/commitments/{commitment.id}",
        "/openapi.json",
        "/listings?page=abc",
        "/commitments/999",
    ):
        response = client.get(API + url)
        everything += response.get_data(as_text=True)
        everything += json.dumps(response.json, ensure_ascii=False)
    assert client.get(f"{API}/commitments/{commitment.id}").json["pledged_kg"] == 900
    leaked = [secret for secret in secrets if secret in everything]
    assert leaked == []


# -- no N+1 ------------------------------------------------------------------------------------


def _statements(client, url: str) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    event.listen(_db.engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        event.remove(_db.engine, "before_cursor_execute", counter)
    assert response.status_code == 200
    return count


def test_query_count_does_not_grow_with_the_page(client, new_listing, new_commitment, make_org):
    orgs = [make_org("supplier") for _ in range(10)]
    for n in range(50):
        new_listing(
            f"Producto {n}", org=orgs[n % 10], regions=[("PE", "San Martín"), ("PE", "Cusco")]
        )
    for _ in range(50):
        new_commitment()
    _db.session.expunge_all()  # nothing cached in the identity map from the factories
    for path in ("/listings", "/commitments"):
        small = _statements(client, f"{API}{path}?per_page=5")
        _db.session.expunge_all()
        large = _statements(client, f"{API}{path}?per_page=40")
        _db.session.expunge_all()
        assert small == large, path
        assert large <= 6, path
    # A page that reaches the end of the listings in stock also looks for sold-out ones:
    # a fixed number of statements more (a bounded count and one query), not one per row
    whole = _statements(client, f"{API}/listings?per_page=50")
    assert whole <= small + 2


# -- the OpenAPI document ----------------------------------------------------------------------


@pytest.fixture
def spec(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.json


def test_openapi_document_is_valid(spec):
    validate(spec)  # raises on any structural error
    assert spec["openapi"].startswith("3.1")


def test_every_api_route_is_documented(app, spec):
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API)
    }
    assert routes == set(spec["paths"])
    for path, item in spec["paths"].items():
        for name in re.findall(r"{(\w+)}", path):
            declared = [p for p in item["get"]["parameters"] if p["in"] == "path"]
            assert [p["name"] for p in declared] == [name]


def test_documented_query_parameters_are_the_accepted_ones(client, spec):
    for path in ("/listings", "/commitments"):
        documented = [p for p in spec["paths"][API + path]["get"]["parameters"]]
        for parameter in documented:
            name = parameter["name"]
            value = parameter["schema"].get("enum", ["1"])[0]
            query = {
                "region": "region=San Martín",
                "lat": "lat=-7&lon=-76",
                "lon": "lat=-7&lon=-76",
            }.get(name, f"{name}={value}")
            response = client.get(f"{API}{path}?{query}")
            assert response.status_code == 200, (path, query, response.json)


def _validator(spec: dict, name: str) -> Draft202012Validator:
    """A JSON Schema validator for one component schema of the document (OpenAPI 3.1 schemas
    are JSON Schema 2020-12)."""
    registry = Registry().with_resource("urn:minka-api", DRAFT202012.create_resource(spec))
    return Draft202012Validator(
        {"$ref": f"urn:minka-api#/components/schemas/{name}"}, registry=registry
    )


def test_responses_match_the_documented_schemas(client, spec, new_listing, new_commitment):
    listing = new_listing()
    commitment = new_commitment(
        price_type="premium", price_minor_per_kg=None, premium_minor_per_kg=50
    )
    new_commitment(collection_center_id=None, cutoff_date=None, max_humidity_pct=None)
    cases = [
        ("/listings", "ListingPage"),
        (f"/listings/{listing.id}", "Listing"),
        ("/commitments", "CommitmentPage"),
        (f"/commitments/{commitment.id}", "Commitment"),
        ("/listings?page=0", "Error"),
        ("/listings/999999", "Error"),
        ("/nothing", "Error"),
    ]
    for url, schema in cases:
        body = client.get(API + url).json
        errors = [e.message for e in _validator(spec, schema).iter_errors(body)]
        assert errors == [], (url, errors)
    body = client.post(f"{API}/listings").json
    assert list(_validator(spec, "Error").iter_errors(body)) == []


# -- the document and the API agree (issue 14) -------------------------------------------------


def _money_schema_of(spec: dict, currency: str) -> dict:
    (branch,) = [
        b
        for b in spec["components"]["schemas"]["Money"]["oneOf"]
        if b["properties"]["currency"] == {"const": currency}
    ]
    return branch["properties"]["amount"]


@pytest.mark.parametrize(("currency", "minor", "text"), [("COP", 150_000_000, "1500000.00")])
def test_cop_amounts_match_the_documents_pattern_for_cop(
    client, spec, new_listing, currency, minor, text
):
    listing = new_listing(currency=currency, price_minor=minor, country="CO", regions=[])
    amount = client.get(f"{API}/listings/{listing.id}").json["price"]["amount"]
    pattern = _money_schema_of(spec, currency)["pattern"]
    assert amount == text and re.fullmatch(pattern, amount)
    # two decimals, as ISO 4217 gives the peso: neither whole pesos nor three decimals
    assert not re.fullmatch(pattern, "1500000") and not re.fullmatch(pattern, "1500000.000")


@pytest.mark.parametrize("path", ["/listings/{listing}", "/commitments/{commitment}"])
def test_detail_endpoints_refuse_an_unknown_parameter(client, new_listing, new_commitment, path):
    url = API + path.format(listing=new_listing().id, commitment=new_commitment().id)
    response = client.get(f"{url}?expand=supplier")
    assert response.status_code == 400 and response.json["field"] == "expand"
    assert "Parámetro desconocido" in response.json["error"]


@pytest.mark.parametrize("path", ["/listings/{listing}", "/commitments/{commitment}"])
def test_detail_endpoints_refuse_a_repeated_parameter(client, new_listing, new_commitment, path):
    url = API + path.format(listing=new_listing().id, commitment=new_commitment().id)
    response = client.get(f"{url}?lang=es&lang=en")
    assert response.status_code == 400 and response.json["field"] == "lang"
    assert "una sola vez" in response.json["error"]


@pytest.mark.parametrize(
    "path", ["/listings", "/listings/{listing}", "/commitments", "/openapi.json"]
)
@pytest.mark.parametrize("lang", ["fr", "", "ES", "es-PE"])
def test_a_language_other_than_es_or_en_is_400(client, new_listing, path, lang):
    response = client.get(API + path.format(listing=new_listing().id), query_string={"lang": lang})
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.json["field"] == "lang" and "es, en" in response.json["error"]


def test_the_document_lists_the_languages_and_every_parameter_each_endpoint_takes(spec):
    for path, item in spec["paths"].items():
        names = {p["name"]: p for p in item["get"]["parameters"] if p["in"] == "query"}
        endpoint = {
            f"{API}/listings": "listings",
            f"{API}/listings/{{listing_id}}": "listing",
            f"{API}/commitments": "commitments",
            f"{API}/commitments/{{commitment_id}}": "commitment",
            f"{API}/openapi.json": "openapi_document",
        }[path]
        assert set(names) == {*params.ENDPOINT_PARAMS[endpoint], "lang"}, path
        assert names["lang"]["schema"]["enum"] == ["es", "en"]
        assert "400" in item["get"]["responses"] and "405" in item["get"]["responses"]


@pytest.mark.parametrize(
    "query", ["kind=", "in_stock=TRUE", "kind=%20input", "price_min=12.", "price_min=.5"]
)
def test_values_are_read_exactly_as_the_document_writes_them(client, query):
    assert client.get(f"{API}/listings?{query}").status_code == 400
