"""Fixtures: the app on SQLite (or PostgreSQL with MINKA_TEST_DATABASE_URL), clean tables per
test, a client, a CLI runner, and factories that return callables."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import delete
from werkzeug.security import generate_password_hash

from marketplace import create_app, tax_ids
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from marketplace.models import (
    Consent,
    Farm,
    Organization,
    Producer,
    User,
)
from marketplace.models.base import local_today, utcnow
from tests.processes import stop

PASSWORD = "clave-segura-123"
# A cheap hash for the factories: checking the real (scrypt) one costs ~0.1 s per sign-in.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_counter = itertools.count(1)


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when MINKA_TEST_DATABASE_URL is set, else a throw-away SQLite file."""
    url = os.environ.get("MINKA_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def app_config(url: str, **overrides) -> dict:
    """Settings for a test app."""
    return {
        "TESTING": True,
        "MINKA_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MINKA_CATALOG_CACHE_SECONDS": 0,
        "MINKA_IMPACT_CACHE_SECONDS": 0,
        "MINKA_COUNTS_CACHE_SECONDS": 0,
        **overrides,
    }


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _schema_app(db_url: str) -> Iterator[Flask]:
    app = create_app(app_config(db_url))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _clear_tables() -> None:
    _db.session.rollback()
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(delete(table))
    _db.session.commit()


def _fresh_globals(sender: Flask, **extra) -> None:
    """Start each request with an empty `g`, as in production.

    The test's app context outlives its requests, so without this the signed-in user and the
    locale that Flask-Login and Flask-Babel cache on `g` would leak from one request to the next.
    """
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def app(_schema_app: Flask) -> Iterator[Flask]:
    """The test app inside an app context; every table is emptied after the test."""
    request_started.connect(_fresh_globals, _schema_app)
    with _schema_app.app_context():
        yield _schema_app
        _clear_tables()
        _db.session.remove()
    request_started.disconnect(_fresh_globals, _schema_app)


@pytest.fixture
def make_app(db_url: str, _schema_app: Flask) -> Iterator[Callable[..., Flask]]:
    """Another app on the test database with other settings (CSRF on, rate limits...)."""
    made: list[Flask] = []

    def make(**overrides) -> Flask:
        other = create_app(app_config(db_url, **overrides))
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            _db.engine.dispose()
    # Flask-Limiter keeps `enabled` on the one shared limiter: give it back to the test app.
    limiter.enabled = _schema_app.config["RATELIMIT_ENABLED"]


@pytest.fixture
def racing_app(make_app) -> Flask:
    """An app on the test database whose pool has a connection for every racing thread
    (tests/integration/races.py)."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 5})


@pytest.fixture
def db(app: Flask):
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def _unique() -> int:
    return next(_counter)


def example_tax_id(country: str, n: int) -> str:
    """A valid tax id of `country` that no other test organization has."""
    if country == "MX":
        return tax_ids.with_check_digit("MX", f"TST{n % 100:02d}0101{n // 100 % 100:02d}")
    return tax_ids.with_check_digit(country, f"9{n:08d}" if country == "CO" else f"20{n:08d}")


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organization]:
    def make(kind: str = "cooperative", verified: bool = True, **overrides) -> Organization:
        n = _unique()
        country = overrides.pop("country", "PE")
        org = Organization(
            name=overrides.pop("name", f"Organización {n}"),
            kind=kind,
            country=country,
            tax_id=overrides.pop("tax_id", example_tax_id(country, n)),
            # submitted for verification (the file itself is only there when a test writes it)
            document_path=overrides.pop("document_path", f"uploads/organizations/test{n}.pdf"),
            verified_at=utcnow() if verified else None,
            **overrides,
        )
        _db.session.add(org)
        _db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(app: Flask, make_org) -> Callable[..., User]:
    default_kind = {
        "supplier": "supplier",
        "buyer": "buyer",
        "lender": "lender",
        "technician": "cooperative",
    }

    def make(role: str = "producer", **overrides) -> User:
        n = _unique()
        if "organization" not in overrides and role in default_kind:
            overrides["organization"] = make_org(default_kind[role])
        user = User(
            name=overrides.pop("name", f"Usuario {n}"),
            email=overrides.pop("email", f"user{n}@example.org"),
            role=role,
            country=overrides.pop("country", "PE"),
            password_hash=PASSWORD_HASH,
            **overrides,
        )
        _db.session.add(user)
        _db.session.commit()
        return user

    return make


@pytest.fixture
def make_producer(app: Flask) -> Callable[..., Producer]:
    def make(**overrides) -> Producer:
        n = _unique()
        producer = Producer(
            first_name=overrides.pop("first_name", "Rosa"),
            last_name=overrides.pop("last_name", f"Quispe {n}"),
            gender=overrides.pop("gender", "female"),
            country=overrides.pop("country", "PE"),
            national_id=overrides.pop("national_id", f"{40000000 + n:08d}"),
            **overrides,
        )
        _db.session.add(producer)
        _db.session.commit()
        return producer

    return make


@pytest.fixture
def make_farm(app: Flask) -> Callable[..., Farm]:
    def make(producer: Producer, **overrides) -> Farm:
        values = {
            "name": "La Esperanza",
            "country": "PE",
            "region": "San Martín",
            "district_code": "220601",
            "lat": -7.18,
            "lon": -76.73,
            "total_ha": 6.0,
            "productive_ha": 4.0,
            "forest_ha": 1.0,
            "value_chain": "cacao",
            "yield_kg_ha": 700.0,
            "plant_age_years": 8,
            "agroforestry": True,
            "certifications": ["organic"],
            "land_title": True,
            "cleared_after_cutoff": "no",
        }
        values.update(overrides)
        farm = Farm(producer=producer, **values)
        _db.session.add(farm)
        _db.session.commit()
        return farm

    return make


def signed_in_client(app: Flask, user: User | None) -> FlaskClient:
    """A new test client signed in as `user` through the login form (anonymous for None)."""
    client = app.test_client()
    if user is not None:
        response = client.post("/ingresar", data={"identifier": user.login, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign `user` in on the test client (through the real login form)."""

    def do_login(user: User) -> FlaskClient:
        response = client.post("/ingresar", data={"identifier": user.login, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


__all__ = ["Consent", "PASSWORD"]


# --- marketplace factories (catalogue, orders, commitments) -----------------------------------


@pytest.fixture
def make_listing(app: Flask, make_org) -> Callable[..., object]:
    """A listing, published by default: an input with stock picked up at a collection centre.

    `org` defaults to a new verified supplier; `regions` is a list of region names (in the
    listing's country) and `value_chains` a list of codes. A service gets no stock.
    """
    from marketplace.models import Listing, ListingRegion, ListingValueChain
    from marketplace.text import fold

    def make(org: Organization | None = None, **overrides) -> Listing:
        org = org or make_org("supplier")
        n = _unique()
        kind = overrides.pop("kind", "input")
        regions = overrides.pop("regions", ["San Martín"])
        chains = overrides.pop("value_chains", ["cacao"])
        values = {
            "category": "abonos_organicos" if kind == "input" else "poda",
            "title": f"Abono orgánico compost {n}" if kind == "input" else f"Poda de cacao {n}",
            "description": "Producto de prueba",
            "price_minor": 4500,
            "currency": "PEN",
            "unit": "saco_50kg" if kind == "input" else "jornal",
            "stock": 20 if kind == "input" else None,
            "delivery_mode": "pickup" if kind == "input" else "on_farm_service",
            "lead_time_days": 3,
            "country": "PE",
            "lat": -7.18,
            "lon": -76.73,
            "status": "published",
        }
        values.update(overrides)
        values.setdefault(
            "search_text", fold(f"{values['title']} {values['description']} {values['category']}")
        )
        listing = Listing(organization_id=org.id, kind=kind, **values)
        listing.regions = [ListingRegion(country=values["country"], region=r) for r in regions]
        listing.value_chains = [ListingValueChain(value_chain=c) for c in chains]
        _db.session.add(listing)
        _db.session.commit()
        return listing

    return make


@pytest.fixture
def make_center(app: Flask, make_org) -> Callable[..., object]:
    """An active collection centre in Juanjuí (San Martín) run by a new verified cooperative."""
    from marketplace.models import CollectionCenter

    def make(org: Organization | None = None, **overrides) -> CollectionCenter:
        org = org or make_org("cooperative")
        values = {
            "name": f"Centro de acopio {_unique()}",
            "operator_name": "Equipo de acopio",
            "country": "PE",
            "region": "San Martín",
            "district_code": "220601",
            "lat": -7.18,
            "lon": -76.73,
            "opening_hours": "Lunes a sábado, de 7:00 a 16:00",
            "active": True,
        }
        values.update(overrides)
        center = CollectionCenter(organization_id=org.id, **values)
        _db.session.add(center)
        _db.session.commit()
        return center

    return make


@pytest.fixture
def make_commitment(app: Flask, make_org) -> Callable[..., object]:
    """An open purchase commitment: 10,000 kg of dried cacao beans from San Martín at
    S/ 9.50 per kg, 100-3,000 kg per producer, deforestation-free (EUDR cut-off), delivered
    between 60 and 120 days from today. `org` defaults to a new verified buyer organization;
    `regions` is a list of region names in the commitment's country."""
    from datetime import date, timedelta

    from marketplace.models import CommitmentRegion, PurchaseCommitment

    def make(org: Organization | None = None, **overrides) -> PurchaseCommitment:
        org = org or make_org("buyer")
        creator = overrides.pop("created_by", None) or (org.members[0] if org.members else None)
        if creator is None:
            creator = User(
                name=f"Comprador {_unique()}",
                email=f"buyer{_unique()}@example.org",
                role="buyer",
                country=org.country,
                password_hash=PASSWORD_HASH,
                organization=org,
            )
            _db.session.add(creator)
            _db.session.flush()
        today = local_today()
        regions = overrides.pop("regions", ["San Martín"])
        values = {
            "product": "Cacao en grano seco",
            "value_chain": "cacao",
            "country": "PE",
            "volume_kg": 10_000,
            "pledged_kg": 0,
            "min_kg_per_producer": 100,
            "max_kg_per_producer": 3_000,
            "price_type": "fixed",
            "price_minor_per_kg": 950,
            "currency": "PEN",
            "deforestation_free": True,
            "cutoff_date": date(2020, 12, 31),
            "delivery_start": today + timedelta(days=60),
            "delivery_end": today + timedelta(days=120),
            "status": "open",
        }
        values.update(overrides)
        commitment = PurchaseCommitment(organization_id=org.id, created_by_id=creator.id, **values)
        commitment.regions = [
            CommitmentRegion(country=values["country"], region=r) for r in regions
        ]
        _db.session.add(commitment)
        _db.session.commit()
        return commitment

    return make


@pytest.fixture
def make_credit_product(app: Flask, make_org) -> Callable[..., object]:
    """An active credit product of a verified lender for cacao in Tarapoto's province (San
    Martín, PE): S/ 2,000-8,000 per producer, TEA 28 %, TCEA 31 %, 12 months, S/ 500,000 of
    budget. `org` defaults to a new verified lender organization."""
    from marketplace.models import CreditProduct

    def make(org: Organization | None = None, **overrides) -> CreditProduct:
        org = org or make_org("lender")
        values = {
            "name": f"Crédito cacao {_unique()}",
            "value_chains": ["cacao"],
            "coverage_country": "PE",
            "coverage_districts": ["220601", "220602", "220603", "220604", "220605"],
            "min_amount_minor": 200_000,
            "max_amount_minor": 800_000,
            "currency": "PEN",
            "annual_rate_bp": 2_800,
            "total_cost_bp": 3_100,
            "term_months": 12,
            "grace_months": 2,
            "repayment": "harvest",
            "requires_offtake": False,
            "budget_minor": 50_000_000,
            "min_readiness": 0.0,
            "active": True,
        }
        values.update(overrides)
        product = CreditProduct(organization_id=org.id, **values)
        _db.session.add(product)
        _db.session.commit()
        return product

    return make


@pytest.fixture
def make_group(app: Flask, make_producer, make_farm) -> Callable[..., list]:
    """`n` cacao producers with farms a few hundred metres apart around Tarapoto (district
    220601), each with a live consent to share with lenders unless `consent` is False (or a
    list of booleans per producer). Returns the producers."""
    from marketplace.models import Consent

    def make(n: int = 6, consent: bool | list[bool] = True, **farm) -> list[Producer]:
        flags = consent if isinstance(consent, list) else [consent] * n
        producers = []
        for i in range(n):
            producer = make_producer()
            make_farm(producer, lat=-7.18 + 0.002 * i, lon=-76.73 + 0.002 * i, **farm)
            _db.session.add(Consent(producer_id=producer.id, scope="lenders", granted=flags[i]))
            producers.append(producer)
        _db.session.commit()
        return producers

    return make


def run_matching():
    """Run the matching now, in the test's thread; returns the finished MatchingRun."""
    from marketplace.credit import runs

    run = runs.start_run(None, backend="cli")
    return runs.execute(run.id)


# --- Redis for the matching job queue -------------------------------------------------------

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throw-away redis-server on a free loopback port (no persistence); its URL."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    if not os.path.exists(REDIS_SERVER):
        pytest.fail(
            "redis-server is missing: `make test` installs it (apt-get install redis-server)"
        )
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    command = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--daemonize", "no", "--dir", str(workdir)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    try:
        for _ in range(200):  # up to ~10 s on a busy machine
            if process.poll() is not None:
                pytest.fail(f"redis-server exited at start (code {process.returncode})")
            try:
                client.ping()
                break
            except RedisConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer within 10 s")
        yield url
    finally:
        client.close()
        stop(process)


@pytest.fixture
def redis_url(app: Flask, redis_server: str) -> Iterator[str]:
    """The test app with MINKA_REDIS_URL set (runs go through RQ), on an empty Redis."""
    from redis import Redis

    connection = Redis.from_url(redis_server)
    connection.flushdb()
    previous = app.config.get("MINKA_REDIS_URL")
    app.config["MINKA_REDIS_URL"] = redis_server
    try:
        yield redis_server
    finally:
        app.config["MINKA_REDIS_URL"] = previous
        connection.flushdb()
        connection.close()


@pytest.fixture
def make_match(app: Flask, make_group, make_credit_product) -> Callable[..., object]:
    """A proposed rank-0 match of a credit group of `n` producers (made by make_group, with
    `consent`) to `product` (a new make_credit_product by default), stored as a succeeded run
    would store it, without running the pipeline: each member asks S/ 7,200 (above the
    product's maximum when `requested_minor` says so), readiness 0.6 + 0.05 x i."""
    from marketplace.models import Assessment, Cluster, Match, MatchingRun

    def make(n: int = 4, consent: bool | list[bool] = True, product=None, **options):
        product = product or make_credit_product()
        producers = make_group(n, consent=consent)
        requested = options.pop("requested_minor", 720_000)
        run = options.pop("run", None)
        if run is None:
            run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
            _db.session.add(run)
            _db.session.flush()
        cluster = Cluster(
            run_id=run.id,
            code=f"PE-{_unique()}",
            country="PE",
            value_chain=options.pop("value_chain", "cacao"),
            district_code="220601",
            size=n,
            lat=-7.18,
            lon=-76.73,
            total_ha=4.0 * n,
            expected_kg=2800.0 * n,
            pledged_share=0.25,
            readiness_mean=0.6 + 0.025 * (n - 1),
            readiness_min=0.6,
            requested_minor=requested * n,
            currency="PEN",
        )
        _db.session.add(cluster)
        _db.session.flush()
        for i, producer in enumerate(producers):
            _db.session.add(
                Assessment(
                    run_id=run.id,
                    producer_id=producer.id,
                    farm_id=producer.farms[0].id,
                    eligible=True,
                    reasons=[],
                    archetype="consolidated_associated" if i % 2 else "emerging_independent",
                    cluster_id=cluster.id,
                    readiness=0.6 + 0.05 * i,
                    explanation=[["market", "+"], ["area", "+"], ["certified", "-"]],
                    requested_minor=requested,
                    currency="PEN",
                    productive_ha=4.3,
                    expected_kg=2800.0,
                    pledged_kg=700.0,
                )
            )
        match = Match(
            run_id=run.id,
            cluster_id=cluster.id,
            credit_product_id=product.id,
            lender_id=product.organization_id,
            rank=options.pop("rank", 0),
            score=0.7,
            amount_minor=requested * n,
            status=options.pop("status", "proposed"),
        )
        _db.session.add(match)
        _db.session.commit()
        return match

    return make


# --- card payments: the official stripe library against a loopback fake ---------------------


@pytest.fixture(scope="session")
def stripe_server():
    """localstripe (subprocess) behind the Checkout/Connect fake (thread), both on loopback."""
    from tests import stripe_fake

    process, local_url = stripe_fake.start_localstripe()
    fake, shutdown = stripe_fake.serve(local_url)
    try:
        yield fake
    finally:
        shutdown()
        stop(process)


@pytest.fixture(scope="session")
def twilio_server():
    """The loopback stand-in of Twilio's Messages API (a thread)."""
    from tests import twilio_fake

    fake, shutdown = twilio_fake.serve()
    try:
        yield fake
    finally:
        shutdown()


@pytest.fixture
def twilio(app: Flask, twilio_server):
    """The test app with SMS and WhatsApp on, talking to an emptied stand-in of Twilio;
    messages are sent when the test drains the outbox (sms.outbox.drain). A test fails when
    Minka sent a request Twilio would refuse (a test sending one on purpose empties
    `twilio.refusals` once it has checked them)."""
    from tests import twilio_fake

    twilio_server.reset()
    settings = {**twilio_fake.settings(twilio_server), "MINKA_SMS_SEND_AFTER_COMMIT": False}
    previous = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    try:
        yield twilio_server
    finally:
        app.config.update(previous)
    assert twilio_server.refusals == [], "requests Twilio would refuse"


STRIPE_SETTINGS = (
    "MINKA_STRIPE_SECRET_KEY",
    "MINKA_STRIPE_WEBHOOK_SECRET",
    "MINKA_STRIPE_API_BASE",
    "MINKA_STRIPE_TIMEOUT",
    "MINKA_STRIPE_RETRIES",
    "MINKA_STRIPE_PLATFORM_COUNTRY",
)


def stripe_config(fake) -> dict:
    """The settings that point an app at the fake Stripe."""
    from tests import stripe_fake

    return {
        "MINKA_STRIPE_SECRET_KEY": stripe_fake.SECRET_KEY,
        "MINKA_STRIPE_WEBHOOK_SECRET": stripe_fake.WEBHOOK_SECRET,
        "MINKA_STRIPE_API_BASE": fake.url,
        "MINKA_STRIPE_TIMEOUT": 1.0,
        "MINKA_STRIPE_RETRIES": 0,
    }


@pytest.fixture
def stripe(app: Flask, stripe_server):
    """The test app with card payments on, talking to an emptied fake Stripe. A test fails
    when Minka sent a request Stripe would refuse (a test sending one on purpose empties
    `stripe.refusals` once it has checked them)."""
    stripe_server.reset()
    previous = {key: app.config.get(key) for key in STRIPE_SETTINGS}
    app.config.update(stripe_config(stripe_server))
    try:
        yield stripe_server
    finally:
        app.config.update(previous)
    assert stripe_server.refusals == [], "requests Stripe would refuse"


@pytest.fixture
def card_shop(stripe, make_user, make_org, make_producer, make_farm, make_listing, make_center):
    """A Mexican supplier (card payments reach Mexico) whose connected account takes cards,
    a listing of 20 sacks at MX$45.00, a centre, and a producer with a farm; `stripe` is the
    fake Stripe."""
    from types import SimpleNamespace

    from marketplace.models import PaymentAccount

    org = make_org("supplier", country="MX")
    supplier = make_user("supplier", name="Milagros Proveedora", organization=org, country="MX")
    account = PaymentAccount(
        organization_id=supplier.organization_id,
        stripe_account_id=f"acct_test{_unique():08d}",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )
    _db.session.add(account)
    _db.session.commit()
    listing = make_listing(supplier.organization, price_minor=4500, currency="MXN", stock=20)
    center = make_center(make_org("cooperative"))
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(user_id=user.id)
    make_farm(producer)
    return SimpleNamespace(
        stripe=stripe, supplier=supplier, account=account, listing=listing, center=center,
        user=user, producer=producer,
    )  # fmt: skip
