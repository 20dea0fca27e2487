"""Alembic migrations: they run up and down on an empty database, and the head matches the
models (SecureDrop's test_alembic). Each test gets a database of its own: a SQLite file, and
a fresh PostgreSQL database beside MINKA_TEST_DATABASE_URL when that is set."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, make_url

from marketplace import create_app
from marketplace.config import ROOT
from marketplace.extensions import db
from tests.conftest import app_config

VERSIONS = ROOT / "migrations" / "versions"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    base = os.environ.get("MINKA_TEST_DATABASE_URL")
    if not base:
        pytest.skip("MINKA_TEST_DATABASE_URL is not set")
    url = make_url(base)
    name = f"minka_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app bound to an empty database, inside its app context."""
    url = request.getfixturevalue(f"{request.param}_url")
    app = create_app(app_config(url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def model_tables() -> set[str]:
    return set(db.metadata.tables)


def test_upgrade_creates_every_table(empty_app: Flask) -> None:
    assert table_names() == set()
    upgrade()
    assert table_names() == model_tables() | {"alembic_version"}


def test_head_matches_models(empty_app: Flask) -> None:
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], (
        "the models differ from the Alembic head: run "
        '`make migration MESSAGE="..."` and review the new file'
    )


def test_downgrade_to_base_and_upgrade_again(empty_app: Flask) -> None:
    upgrade()
    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    upgrade()
    assert table_names() == model_tables() | {"alembic_version"}


def test_revision_files_are_date_prefixed() -> None:
    names = [p.name for p in VERSIONS.glob("*.py")]
    assert names, "no migrations under migrations/versions"
    for name in names:
        assert re.fullmatch(r"\d{8}_[0-9a-f]+_\w+\.py", name), name
