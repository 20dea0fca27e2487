"""`flask demo-data`: a plausible, valid, idempotent and reproducible demo world."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, select

from marketplace import currencies, gazetteer, tax_ids
from marketplace.credit import runs
from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.credit.frames import outcome_frame, producer_frame
from marketplace.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, loan_rows
from marketplace.demo.landscapes import LANDSCAPES
from marketplace.extensions import db as _db
from marketplace.models import (
    Assessment,
    AuditLog,
    Consent,
    CreditProduct,
    Farm,
    Loan,
    Match,
    MatchingRun,
    Order,
    OrderPayment,
    Organization,
    Pledge,
    Producer,
    Repayment,
    TransferDetails,
    User,
)
from marketplace.organizations import lookalikes
from marketplace.producers import national_id
from matching.types import MatchParams

N = 200


def build(runner, producers: int | None = N, seed: int = 2026) -> str:
    args = ["demo-data", "--seed", str(seed)]
    if producers is not None:  # None: the default world of `make run`
        args += ["--producers", str(producers)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


def counts() -> dict[str, int]:
    tables = (
        Organization, User, Producer, Farm, Consent, AuditLog, CreditProduct, Loan, Repayment,
        MatchingRun,
    )  # fmt: skip
    return {
        model.__tablename__: _db.session.scalar(select(func.count()).select_from(model))
        for model in tables
    }


def fingerprint() -> list[tuple]:
    rows = _db.session.execute(
        select(Producer.national_id, Farm.productive_ha, Farm.district_code, Farm.yield_kg_ha)
        .join(Farm, Farm.producer_id == Producer.id)
        .order_by(Producer.id, Farm.id)
        .limit(20)
    ).all()
    loans = _db.session.execute(
        select(Producer.national_id, Loan.amount_minor, Loan.status, Loan.approved_at)
        .join(Producer, Producer.id == Loan.producer_id)
        .order_by(Loan.id)
        .limit(20)
    ).all()
    return sorted(tuple(row) for row in rows) + [tuple(row) for row in loans]


def clear() -> None:
    _db.session.rollback()
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(delete(table))
    _db.session.commit()


def test_world_is_plausible_and_valid(runner):
    output = build(runner)
    assert "productora@minka.demo" in output and DEMO_PASSWORD in output

    assert counts()["producer"] == N
    farms = _db.session.scalars(select(Farm)).all()
    assert N <= len(farms) <= int(N * 1.3)

    area = Counter()
    for farm in farms:
        area[farm.producer_id] += farm.productive_ha
        assert 0 < farm.productive_ha <= 30
        assert farm.productive_ha + farm.forest_ha <= farm.total_ha + 1e-9
        district = gazetteer.get_district(farm.country, farm.district_code)
        assert district is not None, farm.district_code
        assert district.region == farm.region
        assert (
            gazetteer.check_coordinates(farm.country, farm.district_code, farm.lat, farm.lon)
            is None
        )
        assert farm.cleared_after_cutoff in {"yes", "no", "unknown"}
        if farm.polygon_geojson is not None:  # six-sided outlines of about the declared size
            assert farm.polygon_source in {"drawn", "walked"}
            walked = farm.polygon_source == "walked"
            assert (4 <= farm.polygon_accuracy_m < 13) if walked else not farm.polygon_accuracy_m
            assert 0.7 * farm.total_ha <= farm.polygon_area_ha <= 1.3 * farm.total_ha
        else:
            assert farm.polygon_area_ha is None
    sources = Counter(farm.polygon_source for farm in farms if farm.polygon_source)
    assert 0.2 <= sources["walked"] / sources.total() <= 0.45  # one in three walked
    under_2 = sum(total < 2 for total in area.values()) / len(area)
    assert 0.30 <= under_2 <= 0.50
    assert max(area.values()) <= 30 + 1e-9

    cacao = [f.yield_kg_ha for f in farms if f.value_chain == "cacao" and f.yield_kg_ha]
    assert all(300 <= y <= 1500 for y in cacao)
    assert 550 <= sum(cacao) / len(cacao) <= 900
    cafe = [f.yield_kg_ha for f in farms if f.value_chain == "cafe" and f.yield_kg_ha]
    assert all(400 <= y <= 1500 for y in cafe)

    producers = _db.session.scalars(select(Producer)).all()
    by_country = Counter(p.country for p in producers)
    assert by_country["PE"] > by_country["CO"] > 0 and by_country["MX"] > 0
    assert by_country["PE"] / N > 0.45
    for producer in producers:
        assert national_id.is_valid(producer.country, producer.national_id), producer.national_id
    assert len({(p.country, p.national_id) for p in producers}) == N
    women = sum(p.gender == "female" for p in producers) / N
    assert 0.25 <= women <= 0.45
    members = [p for p in producers if p.cooperative_id is not None]
    assert len(members) / N > 0.8
    assert all(p.registered_by.role == "technician" for p in members if p.user_id is None)
    assert 0.03 <= sum(p.user_id is not None for p in producers) / N <= 0.2

    lenders = _db.session.scalar(
        select(func.count()).where(Consent.scope == "lenders", Consent.granted.is_(True))
    )
    assert 0.70 <= lenders / N <= 0.90
    granted_rows = _db.session.scalar(
        select(func.count()).where(
            AuditLog.action == "consent.granted", AuditLog.entity_type == "consent"
        )
    )
    assert granted_rows >= _db.session.scalar(select(func.count()).where(Consent.granted.is_(True)))

    orgs = _db.session.scalars(select(Organization)).all()
    assert {o.kind for o in orgs} == {"cooperative", "supplier", "ta_provider", "buyer", "lender"}
    assert sum(o.verified_at is None for o in orgs) in (1, 2, 3)
    assert sum(o.suspended_at is not None for o in orgs) == 1
    assert len({o.join_code for o in orgs}) == len(orgs)


def test_demo_producer_and_technician(runner):
    build(runner)
    user = _db.session.scalar(select(User).where(User.email == "productora@minka.demo"))
    producer = _db.session.scalar(select(Producer).where(Producer.user_id == user.id))
    assert [f.district_code for f in producer.farms] == ["220601", "220601"]
    assert {f.region for f in producer.farms} == {"San Martín"}
    states = {
        c.scope: c.granted
        for c in _db.session.scalars(select(Consent).where(Consent.producer_id == producer.id))
    }
    assert states == {"lenders": True, "buyers": True}
    technician = _db.session.scalar(select(User).where(User.email == "tecnico@minka.demo"))
    assert producer.registered_by_id == technician.id
    assert producer.cooperative_id == technician.organization_id
    # She pledged to the demo buyer's commitment, delivered at a centre near her (Juanjuí),
    # not in Junín or Ucayali.
    pledge = _db.session.scalar(select(Pledge).where(Pledge.producer_id == producer.id))
    centre = pledge.commitment.collection_center
    farm = pledge.farm
    assert centre is not None and centre.region == "San Martín"
    assert gazetteer.haversine_km(farm.lat, farm.lon, centre.lat, centre.lon) < 150
    assert technician.organization.kind == "cooperative" and technician.organization.verified
    for email, kind in [
        ("proveedor@minka.demo", "supplier"),
        ("comprador@minka.demo", "buyer"),
        ("caja@minka.demo", "lender"),
    ]:
        member = _db.session.scalar(select(User).where(User.email == email))
        assert member.organization.kind == kind and member.organization.can_publish


def sign_in(app, identifier: str) -> tuple[int, str | None]:
    """POST the login form from a fresh client; return the status and the signed-in user id."""
    client = app.test_client()
    response = client.post("/ingresar", data={"identifier": identifier, "password": DEMO_PASSWORD})
    with client.session_transaction() as session:
        identity = session.get("_user_id")  # "<id>:<session version>:<issued at>"
        return response.status_code, identity.split(":")[0] if identity else None


def test_demo_accounts_can_sign_in(app, runner):
    build(runner, producers=60)
    for account in DEMO_ACCOUNTS:
        user = _db.session.scalar(select(User).where(User.email == account.email))
        assert user.role == account.role
        assert sign_in(app, account.email) == (302, str(user.id)), account.email
    # Producers with a login of their own sign in with their phone and the same password.
    user = _db.session.scalar(
        select(User).where(User.role == "producer", User.phone.is_not(None)).limit(1)
    )
    assert sign_in(app, user.phone) == (302, str(user.id))
    client = app.test_client()
    response = client.post("/ingresar", data={"identifier": "admin@minka.demo", "password": "x"})
    assert response.status_code == 200


def test_running_twice_changes_nothing(runner):
    build(runner)
    before = counts()
    output = build(runner)
    assert "nothing changed" in output
    assert counts() == before


def test_same_seed_same_world_other_seed_other_world(runner):
    build(runner, producers=60, seed=7)
    first = fingerprint()
    clear()
    build(runner, producers=60, seed=7)
    assert fingerprint() == first
    clear()
    build(runner, producers=60, seed=8)
    assert fingerprint() != first


@pytest.mark.parametrize("producers", [0, 1])
def test_tiny_worlds(runner, producers):
    build(runner, producers=producers)
    assert counts()["producer"] == 1  # the demo producer is always there


def demo_producer() -> Producer:
    return _db.session.scalar(
        select(Producer)
        .join(User, User.id == Producer.user_id)
        .where(User.email == "productora@minka.demo")
    )


RANGES = {  # currency, smallest minimum and largest maximum per producer (major units)
    "PE": ("PEN", 1_500, 15_000),
    "MX": ("MXN", 500, 60_000),  # honey tickets are small; cacao and coffee from 8,000
    "CO": ("COP", 2_000_000, 20_000_000),
}


def test_lenders_and_credit_products_per_country(runner):
    build(runner)
    lenders = _db.session.scalars(select(Organization).where(Organization.kind == "lender")).all()
    per_country = Counter(org.country for org in lenders)
    assert all(3 <= per_country[country] <= 4 for country in RANGES), per_country
    assert all(org.can_publish for org in lenders)
    products = _db.session.scalars(select(CreditProduct)).all()
    assert Counter(Counter(p.organization_id for p in products).values()).keys() <= {1, 2, 3}
    assert {p.organization_id for p in products} == {org.id for org in lenders}
    caja = _db.session.scalar(select(User).where(User.email == "caja@minka.demo"))
    assert any(p.organization_id == caja.organization_id for p in products)
    for product in products:
        country = product.coverage_country
        currency, low, high = RANGES[country]
        districts = {code for ls in LANDSCAPES if ls.country == country for code in ls.districts}
        assert product.currency == currency and product.active
        assert low * 100 <= product.min_amount_minor < product.max_amount_minor <= high * 100
        # the cost is computed from the schedule: insurance puts the TCEA and the CAT above the
        # rate; Colombia's E.A. counts fees, not insurance
        below = (
            product.annual_rate_bp <= product.total_cost_bp
            if country == "CO"
            else (product.annual_rate_bp < product.total_cost_bp)
        )
        assert product.annual_rate_bp >= 1_800 and below and product.total_cost_bp <= 5_000
        assert 10 <= product.term_months <= 24 and 0 <= product.grace_months <= 4
        assert set(product.coverage_districts) <= districts and product.coverage_districts
        assert set(product.value_chains) <= {"cacao", "cafe", "miel"}
        assert product.budget_minor >= 5 * product.max_amount_minor
        assert 0 <= product.min_readiness <= 0.5
    assert {p.repayment for p in products} == {"harvest", "monthly"}
    assert 0 < sum(p.requires_offtake for p in products) < len(products)
    assert {"cacao", "cafe", "miel"} <= {c for p in products for c in p.value_chains}


def test_credit_economics_are_in_major_units_and_converted_once():
    """Cost sheets say "COP 2,000,000 per ha": the library gets centavos, never pesos."""
    colombia = COUNTRY_ECONOMICS["CO"]
    assert colombia.input_cost_per_ha["cacao"] == 2_000_000
    assert colombia.input_cost_per_ha_minor["cacao"] == 200_000_000
    assert colombia.price_per_kg_minor["cafe"] == 1_600_000
    for country, eco in COUNTRY_ECONOMICS.items():
        assert eco.currency == currencies.of_country(country)


def test_no_request_is_above_the_farms_input_need(runner):
    """What a producer asks for is at most their inputs: productive ha x cost per ha, in the
    same minor units as the products' amounts."""
    build(runner)
    run = runs.latest_run()
    rows = _db.session.execute(
        select(Assessment.requested_minor, Assessment.productive_ha, Assessment.currency, Farm)
        .join(Farm, Farm.id == Assessment.farm_id)
        .where(Assessment.run_id == run.id, Assessment.requested_minor > 0)
    ).all()
    assert {currency for *_rest, currency, _farm in rows} == {"PEN", "MXN", "COP"}
    for requested, ha, currency, farm in rows:
        eco = COUNTRY_ECONOMICS[farm.country]
        assert eco.currency == currency
        assert requested <= ha * eco.input_cost_per_ha_minor[farm.value_chain] + 1


def test_past_and_open_loans_are_consistent(runner):
    build(runner)
    loans = _db.session.scalars(select(Loan)).all()
    demo = demo_producer()
    assert loans and all(loan.producer_id != demo.id for loan in loans)
    status = Counter(loan.status for loan in loans)
    assert status["repaid"] > status["defaulted"] > 0 and status["disbursed"] > 0
    for loan in loans:
        product = loan.credit_product
        assert loan.lender_id == product.organization_id and loan.currency == product.currency
        assert product.min_amount_minor <= loan.amount_minor <= product.max_amount_minor
        assert (loan.annual_rate_bp, loan.term_months) == (
            product.annual_rate_bp,
            product.term_months,
        )
        farm_countries = {
            farm.country for farm in _db.session.get(Producer, loan.producer_id).farms
        }
        assert product.coverage_country in farm_countries
        outcomes = [r.outcome for r in loan.repayments]
        if loan.status in {"approved", "declined"}:
            assert loan.disbursed_at is None and not outcomes
            assert (loan.status == "declined") == (loan.closed_at is not None)
            continue
        assert loan.approved_at < loan.disbursed_at
        if loan.status == "disbursed":
            assert loan.closed_at is None and set(outcomes) <= {"on_time", "late"}
            assert loan.balance_minor > 0 and loan.instalments
        else:
            assert loan.closed_at is not None and outcomes
            assert all(loan.disbursed_at.date() <= r.paid_on for r in loan.repayments)
            assert loan.repayments[-1].paid_on == loan.closed_at.date()
        if loan.status == "defaulted":
            assert outcomes[-1] == "default" and outcomes.count("default") == 1
        if loan.status == "repaid":
            assert "default" not in outcomes


def test_default_world_trains_the_readiness_model_in_every_country(app, runner):
    """The world of `make run`: each country has enough closed loans of both outcomes, the
    run after building used the trained model there, and the demo producer's group is
    matched to a credit product (most budgets finance only part of the groups)."""
    output = build(runner, producers=None)
    assert "readiness trained" in output
    run = runs.latest_run()
    assert run is not None and run.metrics["n_producers"] == counts()["producer"]
    for country in RANGES:
        outcomes = outcome_frame(country)
        assert len(outcomes) >= MatchParams().min_outcomes, country
        assert 0.78 <= outcomes["repaid"].mean() <= 0.92, country
        figures = run.metrics["countries"][country]
        assert figures["model_kind"] == "trained", country
        assert figures["auc"] > 0.6, (country, figures["auc"])
        # validated out of time on the latest campaign, on loans that kept their factors
        check = figures["readiness_validation"]
        assert check["test_campaign"] == 2025 and check["n_train"] > check["n_test"] >= 50
        assert check["n_snapshot"] == check["n_outcomes"]
        low, high = check["auc_ci"]
        assert low < figures["auc"] < high
        assert [row["stage"] for row in figures["fairness"]][0] == "eligible"
        assert 0 < figures["matched_groups"] < figures["n_groups"], country

    assessment = runs.latest_assessment(demo_producer().id)
    assert assessment.eligible and assessment.cluster_id is not None
    chosen = _db.session.scalars(
        select(Match).where(Match.cluster_id == assessment.cluster_id, Match.rank == 0)
    ).all()
    assert len(chosen) == 1 and chosen[0].status == "proposed"
    product = _db.session.get(CreditProduct, chosen[0].credit_product_id)
    client = app.test_client()
    client.post(
        "/ingresar", data={"identifier": "productora@minka.demo", "password": DEMO_PASSWORD}
    )
    page = client.get("/mi-credito").get_data(as_text=True)
    assert product.name in page and product.organization.name in page


def test_women_farm_smaller_plots_and_tenure_follows_the_country(runner):
    build(runner, producers=600)
    rows = _db.session.execute(
        select(
            Producer.gender, Farm.productive_ha, Farm.country, Farm.tenure, Farm.land_title
        ).join(Farm, Farm.producer_id == Producer.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["gender", "ha", "country", "tenure", "secure"])
    women = frame.loc[frame["gender"] == "female", "ha"].mean()
    men = frame.loc[frame["gender"] == "male", "ha"].mean()
    assert 0.45 < women / men < 0.8
    mx = frame[frame["country"] == "MX"]
    assert mx["tenure"].isin(["parcel_certificate", "agrarian_rights"]).mean() > 0.4
    assert set(frame.loc[frame["country"] == "CO", "tenure"]) <= {"title", "tenant", "none"}
    secure = frame["tenure"].isin(["title", "parcel_certificate", "agrarian_rights", "possession"])
    assert (secure == frame["secure"]).all()


def test_past_loans_keep_their_factors_at_grant_and_differ_from_today(runner):
    build(runner, producers=600)
    loans = _db.session.scalars(select(Loan)).all()
    assert loans and all(loan.factors_at_grant for loan in loans)
    closed = [loan for loan in loans if loan.status in ("repaid", "defaulted")]
    assert {loan.approved_at.year for loan in closed} >= {2023, 2024, 2025}
    # past campaigns' loans were granted in the input season (the few others are loans still
    # being repaid that the ledger has since closed)
    in_season = [loan.approved_at.month in (2, 3, 4, 5) for loan in closed]
    assert np.mean(in_season) > 0.9
    largest: dict[int, float] = {}
    for farm in _db.session.scalars(select(Farm)):
        largest[farm.producer_id] = max(largest.get(farm.producer_id, 0.0), farm.productive_ha)
    today = np.array([largest[loan.producer_id] for loan in closed])
    then = np.array([loan.factors_at_grant["productive_ha"] for loan in closed])
    assert np.mean(then != today) > 0.9  # the area drifted since the grant
    assert 0.8 < np.median(then / today) < 1.25  # a little


def test_past_loan_outcomes_follow_the_readiness_factors():
    """Producers alike but for a land title and a buyer's pledge repay more often; the
    intercept keeps the share repaid on time at REPAID_SHARE."""
    n = 400
    titled = np.arange(n) % 2 == 0
    frame = pd.DataFrame(
        {
            "value_chain": "cacao",
            "productive_ha": 4.0,
            "yield_kg_ha": 700.0,
            "plant_age_years": 10.0,
            "pledged_kg": np.where(titled, 1_400.0, 0.0),
            "cleared_after_cutoff": "no",
            "associated": True,
            "certified": False,
            "land_title": titled,
            "agroforestry": True,
        }
    )
    p = loan_rows.repaid_probability(frame, np.arange(n))
    assert p.mean() == pytest.approx(loan_rows.REPAID_SHARE, abs=1e-6)
    assert p[titled].min() > p[~titled].max()


def test_matching_run_command_prints_each_country(runner):
    build(runner, producers=60)
    result = runner.invoke(args=["matching", "run"])
    assert result.exit_code == 0, result.output
    # the second run (the first came with the demo world); ids keep counting on PostgreSQL
    assert re.search(r"^run \d+: 60 producers", result.output, re.M), result.output
    for country in RANGES:
        line = next(row for row in result.output.splitlines() if row.startswith(f"  {country}: "))
        assert "eligible" in line and "readiness scorecard" in line  # too few loans to train


def test_app_start_loads_no_scikit_learn(tmp_path):
    """The demo package (imported by the CLI) must not pull scikit-learn into web processes."""
    code = (
        "import sys\n"
        "from marketplace import create_app\n"
        "create_app({'MINKA_ENV': 'testing', 'SECRET_KEY': 'x'})\n"
        "import marketplace.demo\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))\n"
    )
    env = {**os.environ, "MINKA_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "[]", result.stderr


def test_demo_organizations_have_valid_tax_ids_and_verified_ones_no_twin(runner):
    build(runner)
    orgs = _db.session.scalars(select(Organization)).all()
    assert orgs
    assert all(tax_ids.is_valid(org.country, org.tax_id) for org in orgs)
    assert len({(org.country, org.tax_id) for org in orgs}) == len(orgs)
    assert all(lookalikes.verified_twin(org) is None for org in orgs if org.verified)
    coop = _db.session.scalar(select(User).where(User.email == "tecnico@minka.demo")).organization
    assert coop.can_publish  # the demo technician reaches the demo cooperative's producers


def test_the_demo_world_has_data_requests_in_several_states(runner):
    from marketplace.models import DataRequest, Objection
    from marketplace.privacy import services as privacy
    from marketplace.producers.services import with_live_consent

    build(runner)
    mine = demo_producer()
    open_kinds = {row.request.kind for row in privacy.open_requests()}
    assert open_kinds == {"rectification", "deletion"}
    assert any(r.producer_id == mine.id for r in (row.request for row in privacy.open_requests()))
    deletion = _db.session.scalar(select(DataRequest).where(DataRequest.kind == "deletion"))
    assert deletion.channel == "in_person"
    assert deletion.producer.cooperative_id == deletion.filed_by.organization_id
    objection = _db.session.scalar(select(Objection))
    assert objection.active and objection.use == "share_buyers"
    assert with_live_consent([objection.producer_id], "buyers") == set()
    answered = _db.session.scalar(select(DataRequest).where(DataRequest.status == "done"))
    assert answered is not None


def test_transfers_and_oxxo_payments_in_several_states(runner):
    build(runner, 400)
    details = _db.session.scalars(select(TransferDetails)).all()
    suppliers = {d.organization_id for d in details}
    assert suppliers and {d.channel for d in details} >= {"yape", "plin", "nequi"}
    assert all(_db.session.get(Organization, s).country in ("PE", "CO") for s in suppliers)
    payments = _db.session.scalars(select(OrderPayment)).all()
    transfers = Counter(p.state for p in payments if p.method == "transfer")
    assert {"pending", "confirmed", "disputed"} <= set(transfers)
    oxxo = [p for p in payments if p.method == "oxxo"]
    assert oxxo and all(p.order.supplier.country == "MX" for p in oxxo)
    assert all(p.order.payment_method == p.method for p in payments)
    demo = _db.session.scalar(select(User).where(User.email == "productora@minka.demo"))
    mine = {o.status: o.payment_status for o in _db.session.scalars(
        select(Order).join(Producer).where(Producer.user_id == demo.id))}  # fmt: skip
    assert mine == {"placed": "pending", "confirmed": "pending", "delivered": "paid"}
    for payment in payments:  # every row is a state of its table, every total adds up
        assert payment.order.paid_minor <= payment.order.total_minor


def test_demo_farms_have_tenure_documents_in_several_states(app, runner):
    from marketplace.models import TenureDocument
    from marketplace.traceability import tenure

    build(runner)
    states = Counter(_db.session.scalars(select(TenureDocument.status)))
    assert states["accepted"] > states["pending"] > 0 and states["rejected"] > 0
    mine = demo_producer()
    by_name = {farm.name: tenure.legality_of(farm) for farm in mine.farms}
    assert by_name == {"Chacra El Cacaotal": "documented", "Parcela Santa Rosa": "in_review"}
    doc = _db.session.scalar(select(TenureDocument).where(TenureDocument.kind == "pe_title"))
    assert tenure.document_file(doc, Path(app.instance_path)).startswith(b"%PDF-")
    # every generated registry number passes the country's own format
    for row in _db.session.scalars(select(TenureDocument)):
        shape = tenure.RULES[row.kind].number
        assert shape is None or shape.pattern.match(row.number), (row.kind, row.number)
    # the credit factor: secure tenure only where an accepted document proves it
    frame = producer_frame("PE")
    accepted = set(
        _db.session.scalars(
            select(TenureDocument.farm_id)
            .join(Farm, Farm.id == TenureDocument.farm_id)
            .where(TenureDocument.status == "accepted", TenureDocument.tenure == Farm.tenure)
        )
    )
    titled = set(frame.loc[frame["land_title"], "farm_id"])
    assert titled and titled <= accepted


def test_some_demo_producers_opted_in_to_messages_and_none_are_sent(runner):
    from marketplace.models import OutboundMessage
    from marketplace.sms import provider

    build(runner)
    demo = _db.session.scalar(
        select(Producer)
        .join(User, User.id == Producer.user_id)
        .where(User.email == "productora@minka.demo")
    )
    assert demo.sms_opt_in and demo.message_locale == "es"
    with_phone = _db.session.scalars(select(Producer).where(Producer.phone.is_not(None))).all()
    sms = [p for p in with_phone if p.sms_opt_in]
    whatsapp = [p for p in with_phone if p.whatsapp_opt_in]
    assert 0.2 < len(sms) / len(with_phone) < 0.5
    assert whatsapp and {p.id for p in whatsapp} <= {p.id for p in sms}
    assert not any(p.sms_opt_in for p in _db.session.scalars(select(Producer)) if not p.phone)
    assert not provider.configured()  # SMS stays off in the demo: nothing queued
    assert _db.session.scalar(select(OutboundMessage.id)) is None
