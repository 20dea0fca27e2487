"""Alembic migrations: they run up and down on an empty database, and the head matches the
models (SecureDrop's test_alembic). Each test gets a database of its own: a SQLite file, and
a fresh PostgreSQL database beside MINKA_TEST_DATABASE_URL when that is set."""

from __future__ import annotations

import importlib.util
import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, make_url, select

from marketplace import create_app
from marketplace.config import ROOT
from marketplace.credit.harvests import DEFAULT_CALENDAR
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


def _load_revision(name: str):
    """A revision file as a module (its helpers are plain functions)."""
    path = next(VERSIONS.glob(f"*_{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"revision_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OLD_NAMES = {
    "Subsistencia / en transición": "subsistence",
    "Consolidado asociado": "consolidated_associated",
    "Diversificado agroforestal (cacao)": "agroforestry:cacao",
    "Diversificado agroforestal (cacao) 2": "agroforestry:cacao:2",
    "Emergente independiente (café), mayor rendimiento": "emerging_independent:cafe:high",
    "Emergente independiente (ganadería), menor rendimiento 3": (
        "emerging_independent:ganaderia:low:3"
    ),
    "Certificado especializado (quinua)": "certified:quinua",  # a chain the app does not know
}


def test_the_archetype_code_rules_read_every_old_name_and_write_it_back():
    revision = _load_revision("a9cde5b241d8")
    for name, code in OLD_NAMES.items():
        assert revision.name_to_code(name) == code
        assert revision.code_to_name(code) == name
    for other in ("Tipo A", "Consolidado asociados", "Emergente asociado (Cacao Fino)", None):
        assert revision.name_to_code(other) == other
        assert revision.code_to_name(other) == other


def test_stored_archetype_names_become_codes_and_back(empty_app: Flask) -> None:
    upgrade(revision="03fd2a76d4be")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    tables = db.metadata.tables
    names = list(OLD_NAMES) + ["Tipo A"]
    rates = {name: {"rate": 0.5, "n": 2} for name in names}
    state = {"PE": {"archetypes": [{"archetype": n, "center_x": 1.0} for n in names]}}
    with db.engine.begin() as conn:
        conn.execute(
            tables["producer"].insert(),
            [
                {"id": i, "first_name": "A", "last_name": "B", "gender": "female",
                 "country": "PE", "national_id": f"4000000{i}", "created_at": now,
                 "updated_at": now}
                for i in range(1, len(names) + 1)
            ],
        )  # fmt: skip
        conn.execute(
            tables["matching_run"].insert(),
            {"id": 1, "status": "succeeded", "backend": "cli", "stage": "done", "progress": 1.0,
             "params": {}, "state": state, "created_at": now,
             "metrics": {"match_rate_by_archetype": rates,
                         "countries": {"PE": {"match_rate_by_archetype": rates}}}},
        )  # fmt: skip
        conn.execute(
            tables["assessment"].insert(),
            [
                {"run_id": 1, "producer_id": i, "eligible": True, "reasons": [],
                 "archetype": name, "readiness": 0.7, "explanation": [], "currency": "PEN",
                 "productive_ha": 3.0, "expected_kg": 1.0, "pledged_kg": 0.0}
                for i, name in enumerate(names, start=1)
            ],
        )  # fmt: skip

    def stored():
        with db.engine.connect() as conn:
            archetypes = conn.execute(
                select(tables["assessment"].c.archetype).order_by(tables["assessment"].c.id)
            ).scalars()
            run = conn.execute(select(tables["matching_run"])).one()
        return list(archetypes), run

    upgrade()
    codes = [*OLD_NAMES.values(), "Tipo A"]  # what no rule wrote is left as it was
    archetypes, run = stored()
    assert archetypes == codes
    assert [row["archetype"] for row in run.state["PE"]["archetypes"]] == codes
    assert run.state["PE"]["archetypes"][0]["center_x"] == 1.0
    assert list(run.metrics["match_rate_by_archetype"]) == codes
    assert list(run.metrics["countries"]["PE"]["match_rate_by_archetype"]) == codes

    downgrade(revision="03fd2a76d4be")
    archetypes, run = stored()
    assert archetypes == names
    assert list(run.metrics["match_rate_by_archetype"]) == names


def test_the_seeded_harvest_calendar_is_the_default_one(empty_app: Flask) -> None:
    # the migration keeps its own copy of the calendar: both must say the same
    upgrade()
    table = db.metadata.tables["harvest_calendar"]
    with db.engine.connect() as conn:
        rows = conn.execute(select(table.c.country, table.c.value_chain, table.c.months))
        seeded = {(r.country, r.value_chain): tuple(r.months) for r in rows}
    assert seeded == DEFAULT_CALENDAR


def _filler(column, now):
    """A value for a NOT NULL column without a default (1 for a key: the rows made first)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    if kind is bool:
        return False
    if kind is int:
        return 1
    if kind is float:
        return 1.0
    if kind is datetime:
        return now
    if kind in (dict, list):
        return kind()
    return "x"


def _insert(conn, name: str, now: datetime, **values) -> None:
    """A row of the table as the database has it now, its required columns filled."""
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    row = {
        c.name: _filler(c, now)
        for c in table.columns
        if not c.nullable and c.server_default is None and not c.primary_key
    }
    conn.execute(table.insert().values(**{**row, **values}))


CARD_COLUMNS = {
    "payment_method": "card",
    "payment_attempt": 1,
    "fee_minor": 450,
    "paid_minor": 0,
    "refunded_minor": 0,
}


def test_card_payments_move_from_the_order_to_payment_rows_and_back(empty_app: Flask) -> None:
    upgrade(revision="af4b28ac3dc0")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        for name in ("organization", "user", "producer", "listing"):
            _insert(conn, name, now, id=1)
        orders = [
            (1, "placed", {"payment_status": "unpaid"}),
            (2, "placed", {"payment_status": "pending", "stripe_checkout_session_id": "cs_2"}),
            (3, "confirmed", {"payment_status": "paid", "stripe_checkout_session_id": "cs_3",
                              "stripe_payment_intent_id": "pi_3", "paid_minor": 9000,
                              "paid_at": now}),
            (4, "cancelled", {"payment_status": "partially_refunded",
                              "stripe_checkout_session_id": "cs_4",
                              "stripe_payment_intent_id": "pi_4", "paid_minor": 9000,
                              "refunded_minor": 3000, "paid_at": now}),
            (5, "placed", {"payment_status": "unpaid", "stripe_checkout_session_id": "cs_5"}),
        ]  # fmt: skip
        for order_id, status, payment in orders:
            _insert(conn, "order", now, id=order_id, status=status, total_minor=9000,
                    currency="MXN", idempotency_key=f"key-{order_id}",
                    **{**CARD_COLUMNS, **payment})  # fmt: skip
        _insert(conn, "order", now, id=6, payment_method="cash", idempotency_key="key-6",
                total_minor=500, currency="PEN")  # fmt: skip

    upgrade()
    with db.engine.connect() as conn:
        payments = conn.execute(
            sa.text("SELECT order_id, state, amount_minor, fee_minor, stripe_checkout_session_id,"
                    " stripe_payment_intent_id FROM order_payment ORDER BY order_id")
        ).all()  # fmt: skip
        refunds = conn.execute(
            sa.text("SELECT order_id, state, amount_minor, reason FROM order_refund")
        ).all()
        columns = {c["name"] for c in inspect(conn).get_columns("order")}
    assert [tuple(p) for p in payments] == [
        (2, "pending", 9000, 450, "cs_2", None),
        (3, "confirmed", 9000, 450, "cs_3", "pi_3"),
        (4, "confirmed", 9000, 450, "cs_4", "pi_4"),
        (5, "expired", 9000, 450, "cs_5", None),
    ]
    assert [tuple(r) for r in refunds] == [(4, "done", 3000, "cancelled")]
    assert not columns & {"payment_status", "paid_minor", "stripe_payment_intent_id"}

    downgrade(revision="af4b28ac3dc0")
    with db.engine.connect() as conn:
        back = conn.execute(
            sa.text('SELECT id, payment_status, paid_minor, refunded_minor, '
                    'stripe_payment_intent_id FROM "order" ORDER BY id')
        ).all()  # fmt: skip
    assert [tuple(b) for b in back] == [
        (1, "unpaid", 0, 0, None),
        (2, "pending", 0, 0, None),
        (3, "paid", 9000, 0, "pi_3"),
        (4, "partially_refunded", 9000, 3000, "pi_4"),
        (5, "unpaid", 0, 0, None),
        (6, None, 0, 0, None),
    ]
