"""Every page of the demo world writes numbers and money one way for its viewer: thousands
grouped, the viewer's separators, the currency's symbol before the amount.

Each role signs in and walks its menu and the pages a click or two away (orders,
commitments, farms, groups, loans, matching runs, the impact page, the CSV exports) in
Spanish, three roles in English, the admin once as a Colombian viewer, and a visitor signed
out. A failure lists each offending text with its URL (tests/integration/pages.py says what
counts as an offence and what is allowed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask, request_started
from flask.testing import FlaskClient
from sqlalchemy import select

from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.models import OrderPayment, Organization, Producer, TransferDetails, User
from marketplace.models.tenure import TenureDocument
from tests.conftest import _clear_tables, _fresh_globals
from tests.integration.pages import findings, walk

MAX_SHOWN = 60
ROLES = {account.role: account.email for account in DEMO_ACCOUNTS}
#: Pages each walk must reach, so that a changed link cannot quietly shrink the walk.
MUST_REACH = {
    "producer": {"orders.detail", "commitments.offer", "producers.detail", "credit.mine"},
    "technician": {"producers.detail", "traceability.center", "commitments.for_producer"},
    "supplier": {"orders.received_detail", "catalog.edit"},
    "buyer": {
        "commitments.buyer_detail",
        "traceability.commitment_trace",
        "traceability.lot_trace",
    },
    "lender": {"credit.group", "credit.group_csv", "credit.loan", "credit.products"},
    "admin": {
        "admin.audit_log",
        "admin.matching_run",
        "traceability.impact_admin",
        "traceability.impact_csv",
    },
    None: {"catalog.detail", "traceability.impact_public"},
}


@pytest.fixture(scope="module")
def world(_schema_app: Flask) -> Iterator[tuple[Flask, frozenset[str]]]:
    """The demo world of `make run` (5,000 producers, a matching run), built once for the
    module, and the identifiers pages write as they are: producers' national ids, transfer
    operation and OXXO voucher numbers, suppliers' wallet numbers and bank accounts, and
    organizations' tax ids (RUC, NIT with its check digit, RFC)."""
    app = _schema_app
    request_started.connect(_fresh_globals, app)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo-data", "--seed", "2026"])
        assert result.exit_code == 0, result.output
        identifiers = {
            *db.session.scalars(select(Producer.national_id)),
            *db.session.scalars(
                select(OrderPayment.reference).where(OrderPayment.reference.is_not(None))
            ),
            *db.session.scalars(select(TransferDetails.account)),
            *db.session.scalars(
                select(Organization.tax_id).where(Organization.tax_id.is_not(None))
            ),
            # registry numbers of tenure documents (partida 11448866, posesión 4691-2016)
            *(
                run
                for number in db.session.scalars(select(TenureDocument.number))
                for run in number.split("-")
            ),
        }
        yield app, frozenset(identifiers)
        _clear_tables()
        db.session.remove()
    request_started.disconnect(_fresh_globals, app)


def _client(app: Flask, role: str | None, language: str) -> tuple[FlaskClient, str]:
    """A client signed in as the role's demo account (a visitor for None) in `language`, and
    the locale its numbers are written in."""
    client = app.test_client()
    country = None
    if role is not None:
        user = db.session.scalar(select(User).where(User.email == ROLES[role]))
        data = {"identifier": user.email, "password": DEMO_PASSWORD}
        assert client.post("/ingresar", data=data).status_code == 302
        country = user.country
    client.post("/idioma", data={"lang": language})
    return client, f"es_{country}" if language == "es" and country else language


def _check(app: Flask, national_ids: frozenset[str], role: str | None, language: str) -> None:
    client, locale = _client(app, role, language)
    pages = walk(app, client, ["/", "/catalogo", "/impacto"] if role is None else ["/"])
    missed = MUST_REACH[role] - {page.endpoint for page in pages}
    assert not missed, f"the walk of {role} did not reach {sorted(missed)}"
    found = [f for page in pages for f in findings(page.url, page.text, locale, national_ids)]
    per_page = Counter(f.url for f in found)
    print(f"\n{role} ({locale}): {len(pages)} pages, {len(found)} findings")
    for url, n in per_page.most_common():
        print(f"  {n:4d}  {url}")
    distinct = list(dict.fromkeys(str(f) for f in found))
    assert not found, f"{len(found)} findings on {len(per_page)} pages:\n" + "\n".join(
        distinct[:MAX_SHOWN]
    )


@pytest.mark.parametrize("role", [*ROLES, None])
def test_spanish_pages_write_numbers_for_the_viewer(world, role):
    _check(*world, role, "es")


@pytest.mark.parametrize("role", ["producer", "lender", "admin"])
def test_english_pages_write_numbers_for_the_viewer(world, role):
    _check(*world, role, "en")


def test_a_colombian_viewer_sees_every_currency_with_colombian_separators(world):
    """The admin's pages hold soles, pesos of both countries and dollars: a Colombian admin
    sees them all as money() writes them in Colombia ("S/ 7.560,00", "$ 1.500.000")."""
    app, _ = world
    admin = db.session.scalar(select(User).where(User.email == ROLES["admin"]))
    admin.country = "CO"
    db.session.commit()
    try:
        _check(*world, "admin", "es")
    finally:
        admin.country = None
        db.session.commit()
