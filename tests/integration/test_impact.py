"""The impact indicators on a small planted world, the admin dashboard and its CSV, and the
public summary (aggregates only, no names)."""

from __future__ import annotations

import csv
import io
import time
from datetime import date

import pytest

from marketplace import shared
from marketplace.models import Order, Pledge, Repayment
from marketplace.models.traceability import Delivery
from marketplace.traceability.impact import ImpactFilters, impact
from tests.integration.loans import new_loan


def _pledge(db, commitment, farm, user, kg, status="active"):
    pledge = Pledge(
        commitment_id=commitment.id,
        farm_id=farm.id,
        producer_id=farm.producer_id,
        pledged_by_id=user.id,
        kg=kg,
        status=status,
    )
    db.session.add(pledge)
    db.session.flush()
    return pledge


def _delivery(db, pledge, center, user, kg, risk):
    db.session.add(
        Delivery(
            code=f"D-{pledge.id}-{kg}",
            pledge_id=pledge.id,
            commitment_id=pledge.commitment_id,
            producer_id=pledge.producer_id,
            farm_id=pledge.farm_id,
            collection_center_id=center.id,
            kg=kg,
            delivered_on=date(2026, 5, 2),
            currency="PEN",
            risk_status=risk,
            recorded_by_id=user.id,
        )
    )


def _order(db, producer, listing, user, status):
    n = listing.id * 1000 + producer.id
    db.session.add(
        Order(
            producer_id=producer.id,
            listing_id=listing.id,
            supplier_id=listing.organization_id,
            placed_by_id=user.id,
            quantity=1,
            unit_price_minor=listing.price_minor,
            total_minor=listing.price_minor,
            currency="PEN",
            title=listing.title,
            unit=listing.unit,
            status=status,
            delivery_point="farm",
            idempotency_key=f"k-{n}-{status}",
        )
    )


@pytest.fixture
def world(
    db,
    make_user,
    make_producer,
    make_farm,
    make_commitment,
    make_center,
    make_listing,
    make_credit_product,
    make_match,
):
    """Peru: Rosa (female, agroforestry cacao 6 ha, free) and Juan (male, cacao 3 ha, at
    risk, bought a TA service); Colombia: Ana (female, coffee 10 ha, no TA, needs
    verification). Pledges 1,000 + 500 (+ 400 withdrawn); deliveries 600 free + 200 at risk.
    Loans: S/ 3,000 disbursed with repayments on time, late, on time; S/ 2,000 approved."""
    staff = make_user("technician")
    rosa = make_producer(first_name="Rosa", last_name="Huamán", gender="female")
    juan = make_producer(first_name="Juan", last_name="Pérez", gender="male")
    ana = make_producer(first_name="Ana", last_name="Gómez", gender="female", country="CO")
    rosa_farm = make_farm(rosa, total_ha=6.0, agroforestry=True, risk_status="free")
    juan_farm = make_farm(juan, total_ha=3.0, agroforestry=False, risk_status="at_risk")
    make_farm(
        ana,
        country="CO",
        region="Huila",
        district_code="41001",
        value_chain="cafe",
        total_ha=10.0,
        agroforestry=False,
        risk_status="needs_verification",
    )
    service = make_listing(kind="service")
    _order(db, juan, service, staff, "completed")
    _order(db, ana, service, staff, "cancelled")  # a cancelled order is no assistance
    commitment = make_commitment()
    center = make_center()
    rosa_pledge = _pledge(db, commitment, rosa_farm, staff, 1_000)
    juan_pledge = _pledge(db, commitment, juan_farm, staff, 500)
    _pledge(db, commitment, juan_farm, staff, 400, status="withdrawn")
    _delivery(db, rosa_pledge, center, staff, 600, "free")
    _delivery(db, juan_pledge, center, staff, 200, "at_risk")
    product = make_credit_product()
    loan = new_loan(rosa, product, amount_minor=300_000)
    new_loan(juan, product, amount_minor=200_000, status="approved")
    for outcome in ("on_time", "late", "on_time"):
        db.session.add(
            Repayment(
                loan_id=loan.id, amount_minor=10_000, paid_on=date(2026, 6, 1), outcome=outcome
            )
        )
    db.session.commit()
    make_match(n=3)  # three more Peruvian cacao producers in a matched group of the latest run
    return {"rosa": rosa, "juan": juan, "ana": ana}


def test_figures_on_a_planted_world(world):
    figures = impact(ImpactFilters())
    assert figures.producers == 6
    assert dict(figures.by_gender) == {"female": 5, "male": 1}
    assert dict(figures.by_country) == {"PE": 5, "CO": 1}
    # Rosa's agroforestry farm + Juan's farm (assisted) + the matched group's farms (the
    # factory's farms are agroforestry, 6 ha each).
    assert figures.improved_farms == 5
    assert figures.improved_ha == pytest.approx(6.0 + 3.0 + 3 * 6.0)
    assert figures.committed_kg == 1_500
    assert figures.delivered_kg == 800
    assert figures.free_basis == "deliveries"
    assert figures.free_share == pytest.approx(600 / 800)
    assert figures.matched == 3
    assert (figures.approved, figures.disbursed) == (2, 1)
    assert figures.repayments == 3
    assert figures.repayment_rate == pytest.approx(2 / 3)
    assert figures.funds == [("PEN", 300_000)]


def test_filters_by_country_and_value_chain(world):
    colombia = impact(ImpactFilters(country="CO"))
    assert (colombia.producers, colombia.improved_farms, colombia.committed_kg) == (1, 0, 0)
    assert colombia.free_basis == "farms"  # no deliveries: the share of farms
    assert colombia.free_share == 0.0
    assert (colombia.approved, colombia.funds, colombia.repayment_rate) == (0, [], None)
    coffee = impact(ImpactFilters(value_chain="cafe"))
    assert coffee.producers == 1
    cacao = impact(ImpactFilters(country="PE", value_chain="cacao"))
    assert cacao.producers == 5
    assert cacao.delivered_kg == 800


def test_admin_dashboard_filters_and_csv(app, world, make_user, login):
    client = login(make_user("admin"))
    page = client.get("/admin/impacto?pais=CO&cadena=cafe").get_data(as_text=True)
    assert "<svg" in page
    assert 'value="CO" selected' in page
    response = client.get("/admin/impacto.csv?pais=PE")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    table = {(row[0], row[1]): row[2] for row in rows}
    assert table[("filter_country", "PE")] == ""
    assert table[("producers_reached", "")] == "5"
    assert table[("volume_delivered", "")] == "800"
    assert table[("deforestation_free_share", "deliveries")] == "75.0"
    assert table[("funds_mobilised", "PEN")] == "3,000.00"


def test_unknown_filters_are_ignored(app, world, make_user, login):
    client = login(make_user("admin"))
    response = client.get("/admin/impacto?pais=XX&cadena=%3Cscript%3E")
    assert response.status_code == 200
    assert "&lt;script" not in response.get_data(as_text=True)


def test_public_summary_has_no_personal_data(client, world):
    response = client.get("/impacto")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Productores alcanzados" in page
    for producer in world.values():
        assert producer.last_name not in page
        assert producer.national_id not in page
    assert "Rosa" not in page and "Quispe" not in page
    assert "/admin/impacto.csv" not in page


def test_public_figures_are_cached_when_configured(app, world, make_producer):
    from marketplace.traceability.impact import cached_impact

    app.config["MINKA_IMPACT_CACHE_SECONDS"] = 300
    try:
        before = cached_impact(ImpactFilters(country="MX")).producers
        make_producer(country="MX")
        assert cached_impact(ImpactFilters(country="MX")).producers == before
        assert impact(ImpactFilters(country="MX")).producers == before + 1
    finally:
        app.config["MINKA_IMPACT_CACHE_SECONDS"] = 0


def test_the_admins_page_and_csv_reuse_the_figures_and_say_when_they_were_computed(
    app, world, make_user, login, make_producer, monkeypatch
):
    # On 100,000 producers the figures took 0.4 s and the admin's page computed them on
    # every request (seconds on a million).
    monkeypatch.setitem(app.config, "MINKA_IMPACT_CACHE_SECONDS", 300)
    client = login(make_user("admin"))
    first = client.get("/admin/impacto?pais=MX").get_data(as_text=True)
    make_producer(country="MX")
    again = client.get("/admin/impacto?pais=MX").get_data(as_text=True)
    assert _figures_of(again) == _figures_of(first)
    assert "se renuevan cada 5 minutos" in again
    csv_before = client.get("/admin/impacto.csv?pais=MX").get_data(as_text=True)
    monkeypatch.setitem(app.config, "MINKA_IMPACT_CACHE_SECONDS", 0)
    assert client.get("/admin/impacto.csv?pais=MX").get_data(as_text=True) != csv_before
    assert "se renuevan" not in client.get("/admin/impacto?pais=MX").get_data(as_text=True)


def _figures_of(page: str) -> str:
    return page[page.index("<h1>") : page.index("Descargar CSV")]


def test_with_redis_every_host_shows_the_same_cached_figures(
    app, world, redis_url, make_producer, monkeypatch
):
    from marketplace.traceability import impact as figures

    monkeypatch.setitem(app.config, "MINKA_IMPACT_CACHE_SECONDS", 300)
    before = figures.cached_impact(ImpactFilters(country="MX")).producers
    make_producer(country="MX")
    # Another host has its own process memory (none here) but the same Redis.
    monkeypatch.setattr(shared, "_local", {})
    assert figures.cached_impact(ImpactFilters(country="MX")).producers == before
    shared.redis_client().flushdb()  # the figures expire
    assert figures.cached_impact(ImpactFilters(country="MX")).producers == before + 1


def _past_freshness(monkeypatch, seconds: int) -> None:
    later = time.time() + seconds + 1
    monkeypatch.setattr(shared, "_now", lambda: later)


@pytest.mark.parametrize("with_redis", [False, True])
def test_figures_past_their_freshness_are_renewed_behind_the_request(
    app, world, make_producer, monkeypatch, request, with_redis
):
    # On a million producers the figures take 1.3 s: the request that found them expired
    # computed them, 1.4 s p95 for /impacto under load.
    if with_redis:
        request.getfixturevalue("redis_url")
    from marketplace.traceability import impact as figures

    monkeypatch.setattr(shared, "_local", {})  # nothing kept from other tests
    monkeypatch.setitem(app.config, "MINKA_IMPACT_CACHE_SECONDS", 300)
    first = figures.cached_impact(ImpactFilters(country="MX"))
    make_producer(country="MX")
    _past_freshness(monkeypatch, 300)
    served = figures.cached_impact(ImpactFilters(country="MX"))
    assert served.producers == first.producers  # the old figures, not a wait
    shared.wait_for_renewals()
    renewed = figures.cached_impact(ImpactFilters(country="MX"))
    assert renewed.producers == first.producers + 1
    assert renewed.computed_at > first.computed_at


def test_figures_kept_too_long_are_computed_in_the_request(app, world, make_producer, monkeypatch):
    from marketplace.traceability import impact as figures

    monkeypatch.setattr(shared, "_local", {})
    monkeypatch.setitem(app.config, "MINKA_IMPACT_CACHE_SECONDS", 300)
    before = figures.cached_impact(ImpactFilters(country="MX")).producers
    make_producer(country="MX")
    _past_freshness(monkeypatch, 300 * shared.STALE_TIMES)
    assert figures.cached_impact(ImpactFilters(country="MX")).producers == before + 1


def test_a_failed_renewal_keeps_the_old_figures(app, world, monkeypatch):
    from marketplace.traceability import impact as figures

    monkeypatch.setattr(shared, "_local", {})
    monkeypatch.setitem(app.config, "MINKA_IMPACT_CACHE_SECONDS", 300)
    before = figures.cached_impact(ImpactFilters(country="MX")).producers
    _past_freshness(monkeypatch, 300)

    def broken(filters):
        raise RuntimeError("database gone")

    monkeypatch.setattr(figures, "impact", broken)
    assert figures.cached_impact(ImpactFilters(country="MX")).producers == before
    shared.wait_for_renewals()
    assert figures.cached_impact(ImpactFilters(country="MX")).producers == before


def test_footer_links_the_public_summary(client):
    assert 'href="/impacto"' in client.get("/ingresar").get_data(as_text=True)
