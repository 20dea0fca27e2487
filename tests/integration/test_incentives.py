"""Producers' incentives: buyers' premiums for deforestation-free volume and credit products
that reward verified farms, each with what the producer still needs."""

from __future__ import annotations

from marketplace.models import Consent, Pledge
from marketplace.traceability.incentives import incentives_for

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-76.73, -7.18], [-76.72, -7.18], [-76.72, -7.17], [-76.73, -7.18]]],
}


def _missing(incentive) -> list[str]:
    return [need.text for need in incentive.missing]


def test_premium_needs_polygon_status_and_pledge(db, make_producer, make_farm, make_commitment):
    producer = make_producer()
    make_farm(producer, total_ha=6.0, polygon_geojson=None, risk_status="unassessed")
    make_commitment(price_type="premium", premium_minor_per_kg=80, price_minor_per_kg=None)
    make_commitment(deforestation_free=False)  # no premium for deforestation-free volume
    make_commitment(value_chain="cafe")  # another value chain
    premiums = incentives_for(producer)["premiums"]
    assert len(premiums) == 1
    missing = " | ".join(_missing(premiums[0]))
    assert "polígono" in missing
    assert "libre de deforestación" in missing
    assert "Comprometer volumen" in missing


def test_premium_qualifies_with_polygon_free_farm_and_pledge(
    db, make_user, make_producer, make_farm, make_commitment
):
    producer = make_producer()
    farm = make_farm(producer, total_ha=6.0, polygon_geojson=SQUARE, risk_status="verified")
    commitment = make_commitment()
    db.session.add(
        Pledge(
            commitment_id=commitment.id,
            farm_id=farm.id,
            producer_id=producer.id,
            pledged_by_id=make_user("technician").id,
            kg=300,
        )
    )
    db.session.commit()
    (premium,) = incentives_for(producer)["premiums"]
    assert premium.qualifies


def test_small_farm_needs_no_polygon(db, make_producer, make_farm, make_commitment):
    producer = make_producer()
    make_farm(producer, total_ha=3.0, polygon_geojson=None, risk_status="free")
    make_commitment()
    (premium,) = incentives_for(producer)["premiums"]
    assert _missing(premium) == ["Comprometer volumen con este compromiso de compra."]


def test_credit_products_that_reward_verified_farms(
    db, make_producer, make_farm, make_credit_product
):
    producer = make_producer()
    make_farm(producer, total_ha=3.0, risk_status="needs_verification")
    offtake = make_credit_product(requires_offtake=True)
    make_credit_product(min_readiness=0.5)
    make_credit_product()  # neither offtake nor readiness: not an incentive
    make_credit_product(requires_offtake=True, coverage_districts=["150101"])  # elsewhere
    credit = incentives_for(producer)["credit"]
    assert len(credit) == 2
    by_product = {item.product.id: " | ".join(_missing(item)) for item in credit}
    assert "evidencia de campo" in by_product[offtake.id]
    assert "entidades de crédito" in by_product[offtake.id]
    assert "venta asegurada" in by_product[offtake.id]
    other = next(text for pid, text in by_product.items() if pid != offtake.id)
    assert "aún sin evaluar" in other
    assert "venta asegurada" not in other


def test_consent_counts_once_granted(db, make_producer, make_farm, make_credit_product):
    producer = make_producer()
    make_farm(producer, total_ha=3.0, risk_status="free")
    make_credit_product(requires_offtake=True)
    db.session.add(Consent(producer_id=producer.id, scope="lenders", granted=True))
    db.session.commit()
    (item,) = incentives_for(producer)["credit"]
    assert _missing(item) == ["Tener volumen comprometido con un comprador (venta asegurada)."]


def test_page_for_producer_and_technician(
    db, make_user, make_org, make_producer, make_farm, make_commitment, login, app
):
    from tests.conftest import signed_in_client

    coop = make_org("cooperative")
    user = make_user("producer")
    producer = make_producer(user_id=user.id, cooperative_id=coop.id)
    farm = make_farm(producer, total_ha=6.0, risk_status="unassessed")
    make_commitment(price_type="premium", premium_minor_per_kg=80, price_minor_per_kg=None)
    page = login(user).get("/incentivos").get_data(as_text=True)
    assert "Primas de compradores" in page
    assert f"/productores/{producer.id}/fincas/{farm.id}/editar" in page
    tech = signed_in_client(app, make_user("technician", organization=coop))
    page = tech.get(f"/productores/{producer.id}/incentivos").get_data(as_text=True)
    assert producer.full_name in page
    assert f"/productores/{producer.id}/compromisos/" in page


def test_producer_without_profile_is_sent_to_it(make_user, login):
    response = login(make_user("producer")).get("/incentivos")
    assert response.status_code == 302
    assert "/mis-datos" in response.location
