"""Fixtures: the app on SQLite (or PostgreSQL with MINKA_TEST_DATABASE_URL), clean tables per
test, a client, a CLI runner, and factories that return callables."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from sqlalchemy import delete
from werkzeug.security import generate_password_hash

from marketplace import create_app
from marketplace.extensions import db as _db
from marketplace.models import (
    Consent,
    Farm,
    Organization,
    Producer,
    User,
)
from marketplace.models.base import utcnow

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


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organization]:
    def make(kind: str = "cooperative", verified: bool = True, **overrides) -> Organization:
        n = _unique()
        org = Organization(
            name=overrides.pop("name", f"Organización {n}"),
            kind=kind,
            country=overrides.pop("country", "PE"),
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


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign `user` in on the test client (through the real login form)."""

    def do_login(user: User) -> FlaskClient:
        response = client.post("/ingresar", data={"identifier": user.login, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


__all__ = ["Consent", "PASSWORD"]
