"""What a producer sees of credit ("Mi crédito"): their type, eligibility and what would
change it, readiness in words, their group's offer, their loans, and the consent switch."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.credit import harvests, loan_terms, offers, schedules
from marketplace.credit.archetypes import ARCHETYPES, TRAITS, archetype_label
from marketplace.extensions import db
from marketplace.labels import factor_label
from marketplace.models import AuditLog, Consent, Match, Repayment
from matching import profiles
from matching.readiness import FACTORS
from matching.types import SUBSISTENCE
from tests.conftest import PASSWORD, run_matching, signed_in_client
from tests.integration.loans import new_loan


def page_of(client, url: str = "/mi-credito") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def member(make_user, make_group):
    """The first of six cacao producers near Tarapoto, with an account."""
    producers = make_group(6)
    user = make_user("producer", name="Rosa Quispe")
    producers[0].user_id = user.id
    db.session.commit()
    return producers[0], user


# --- services -------------------------------------------------------------------------------


def test_every_archetype_type_has_its_own_meaning_and_unknown_codes_a_general_one(app):
    with app.test_request_context():
        general = offers.archetype_meaning("something_new", 2.0)
        meanings = {offers.archetype_meaning(code, 2.0) for code in ARCHETYPES}
        assert len(meanings) == len(ARCHETYPES) and general not in meanings
        # what tells repeated types apart keeps the meaning
        assert offers.archetype_meaning("emerging_associated:cacao:2", 2.0) == (
            offers.archetype_meaning("emerging_associated", 2.0)
        )
        assert "5" in offers.archetype_meaning("consolidated_associated", 2.0)
        assert "1.5" in offers.archetype_meaning(SUBSISTENCE, 1.5)  # Latin American Spanish
        assert archetype_label("emerging_associated:cacao:2") == "Emergente asociado (cacao) 2"
        assert archetype_label("Otro tipo") == "Otro tipo"


def test_every_code_the_library_can_give_has_words(app):
    """Every trait and every type without traits of matching.profiles is named, in both
    languages; a code reads as its traits in order, then the crop and the number."""
    assert set(TRAITS) == set(profiles.TRAITS)
    assert {profiles.TYPICAL, profiles.NO_TYPOLOGY, SUBSISTENCE, *profiles.LEGACY_TYPES} == set(
        ARCHETYPES
    )
    with app.test_request_context():
        assert archetype_label("size_high+yield_high:cacao") == (
            "Fincas grandes, alto rendimiento (cacao)"
        )
        assert archetype_label("certified_high+associated_all:2") == (
            "Certificados, socios de cooperativa 2"
        )
        assert archetype_label("no_typology:cafe") == "Sin tipología clara (café)"
        assert archetype_label("typical") == "Típicos del país"
        meaning = offers.archetype_meaning("size_low+forest_high:cacao", 2.0)
        assert "fincas pequeñas, con bosque" in meaning
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask_babel import force_locale

        with force_locale("en"):
            assert archetype_label("size_high+yield_high") == "Large farms, high yield"
            assert archetype_label("no_typology") == "No clear typology"


def test_readiness_is_said_in_three_words():
    assert offers.readiness_level(0.9) == "high"
    assert offers.readiness_level(offers.READY_HIGH) == "high"
    assert offers.readiness_level(0.6) == "medium"
    assert offers.readiness_level(0.2) == "low"


def test_every_readiness_factor_has_a_label_both_ways(app):
    with app.test_request_context():
        for code in FACTORS:
            assert factor_label(code, "+") != factor_label(code, "-") != code
        top = offers.top_factors([["land_title", "-"], ["junk"], ["area", "+"], ["x", "?"]])
        assert top == [
            ("Su finca no tiene título ni certificado que asegure la tenencia", "-"),
            ("Su área productiva es amplia", "+"),
        ]


def test_the_offer_is_the_products_own_schedule(make_credit_product):
    product = make_credit_product(
        repayment="monthly", grace_months=2, insurance_monthly_ppm=700, fee_minor=500
    )
    amount, schedule = offers.offer_terms(product, 500_000, "cacao")
    assert amount == 500_000
    by_hand = schedules.build(loan_terms.terms_for(product, 500_000, "cacao"))
    assert schedule == by_hand
    assert [p.month for p in schedule.payments] == list(range(3, 13))  # after 2 months' grace
    assert schedule.payments[0].insurance_minor > 0 and schedule.payments[0].fee_minor == 500
    cost = loan_terms.cost_of(product, schedule)
    assert cost.code == "TCEA" and cost.rate > 0.28  # insurance and fees on top of the TEA
    assert offers.offer_terms(product, 2_000_000)[0] == 800_000  # the product's maximum


def test_a_harvest_product_pays_in_the_harvest_months(make_credit_product):
    product = make_credit_product(repayment="harvest", grace_months=2)
    _amount, schedule = offers.offer_terms(product, 500_000, "cacao")
    months = {p.due_on.month for p in schedule.payments}
    assert months <= set(harvests.months_for("PE", "cacao"))
    assert 1 <= len(schedule.payments) <= 2
    assert schedule.total("capital_minor") == 500_000


def test_no_run_yet(app, member):
    producer, _user = member
    page = offers.credit_page(producer)
    assert page.run is None and page.assessment is None and page.offer is None


def test_a_producer_who_joined_after_the_run_sees_their_likely_type(
    app, member, make_user, make_producer, make_farm
):
    run_matching()
    user = make_user("producer")
    newcomer = make_producer(user_id=user.id)
    make_farm(newcomer, productive_ha=1.0, total_ha=1.2, forest_ha=0.0)
    page = offers.credit_page(newcomer)
    assert page.assessment is None and page.provisional_archetype == SUBSISTENCE
    html = page_of(signed_in_client(app, user))
    assert "La última evaluación no la incluyó" in html and "Subsistencia / en transición" in html


def test_without_a_yield_the_producer_is_told_to_record_it(app, make_user, make_group):
    producers = make_group(6)
    user = make_user("producer")
    producers[0].user_id = user.id
    producers[0].farms[0].yield_kg_ha = None
    db.session.commit()
    run_matching()
    html = page_of(signed_in_client(app, user))
    assert "Registre su rendimiento" in html and "kg por hectárea" in html


def test_an_eligible_producer_without_a_group_is_told_what_a_group_needs(app, member, make_org):
    producer, user = member
    producer.cooperative_id = make_org("cooperative").id  # the only member of hers nearby
    db.session.commit()
    run_matching()
    html = page_of(signed_in_client(app, user))
    assert "Todavía no tiene grupo" in html and "de la misma cooperativa" in html
    assert "al menos 5 productores" in html and "a unos 15 km" in html
    assert "todavía no hay un grupo para usted" in offers.summary_line(producer)


def test_a_matched_member_sees_the_offer(app, member, make_credit_product, make_org):
    producer, _user = member
    product = make_credit_product(make_org("lender", name="Caja Tarapoto"))
    run_matching()
    page = offers.credit_page(producer)
    assert page.assessment.eligible and page.group.size == 6
    assert page.offer.product.id == product.id and page.offer.match.status == "proposed"
    amount, schedule = offers.offer_terms(product, page.assessment.requested_minor, "cacao")
    assert (page.offer.amount_minor, page.offer.schedule) == (amount, schedule)


# --- the page -------------------------------------------------------------------------------


def test_the_page_before_any_evaluation(app, member):
    _producer, user = member
    html = page_of(signed_in_client(app, user))
    assert "Todavía no hay evaluación" in html
    assert "Permiso para las entidades de crédito" in html and "Con permiso" in html


def test_a_matched_member_sees_type_readiness_group_and_offer(
    app, member, make_credit_product, make_org
):
    producer, user = member
    product = make_credit_product(make_org("lender", name="Caja Tarapoto"), name="Cacao Verde")
    run_matching()
    page = offers.credit_page(producer)
    html = page_of(signed_in_client(app, user))
    assert archetype_label(page.assessment.archetype) in html
    assert "Sí" in html and "Cumple lo que piden" in html
    assert "Su preparación para un crédito" in html
    # never the raw probability
    assert str(page.assessment.readiness) not in html
    assert f"{page.assessment.readiness:.0%}".replace("%", "") + " %" not in html
    assert f"Su grupo de crédito {page.group.code}" in html
    assert "6 productores de Cacao en" in html
    assert "Propuesto a la entidad de crédito" in html
    assert "Cacao Verde" in html and "Caja Tarapoto" in html
    assert "28.00 %" in html and f"{page.offer.cost_bp / 100:.2f} %" in html and "12 meses" in html
    assert "Su cronograma de pagos" in html and "TCEA (costo total al año)" in html
    assert "2 meses de gracia" in html and "En la cosecha" in html
    assert f"{page.offer.instalment_minor / 100:,.2f}" in html
    assert f"{page.offer.total_minor / 100:,.2f}" in html
    assert product.name == "Cacao Verde"


def test_a_lenders_question_reaches_the_producer(app, member, make_credit_product):
    producer, user = member
    make_credit_product()
    run_matching()
    match = db.session.scalar(select(Match).where(Match.rank == 0))
    match.status, match.reason = "info_requested", "Traiga su título de propiedad"
    db.session.commit()
    html = page_of(signed_in_client(app, user))
    assert "La entidad pidió más información" in html
    assert "Traiga su título de propiedad" in html


def test_a_small_farm_is_told_the_numbers_and_shown_technical_assistance(
    app, make_user, make_producer, make_farm, make_group, make_listing
):
    make_group(5)
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer, productive_ha=1.5, total_ha=2.0, forest_ha=0.2)
    service = make_listing(kind="service", title="Poda de cacao con el técnico Luis")
    run_matching()
    html = page_of(signed_in_client(app, user))
    assert "Por ahora no" in html
    assert "Su área productiva es 1.5 ha; los créditos grupales piden 2 ha." in html
    assert "Poda de cacao con el técnico Luis" in html
    assert f"/catalogo/{service.id}" in html
    assert "kind=service" in html and "value_chain=cacao" in html
    # no consent: explained, and the switch offered
    assert "No dio permiso a las entidades de crédito" in html and 'href="#permiso"' in html
    assert "Dar permiso" in html
    assert "Subsistencia / en transición" in html


def test_the_page_follows_the_minimum_area_setting(
    app, monkeypatch, make_producer, make_farm, make_user
):
    monkeypatch.setitem(app.config, "MINKA_MATCHING_MIN_HA", 5.0)
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer, productive_ha=4.0)
    run_matching()
    html = page_of(signed_in_client(app, user))
    assert "Su área productiva es 4 ha; los créditos grupales piden 5 ha." in html


def test_clearing_after_the_cutoff_is_explained(app, make_user, make_producer, make_farm):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    farm = make_farm(producer, name="El Roble", cleared_after_cutoff="yes")
    db.session.add(Consent(producer_id=producer.id, scope="lenders", granted=True))
    db.session.commit()
    run_matching()
    html = page_of(signed_in_client(app, user))
    assert "En su finca El Roble se registró bosque talado" in html
    assert f"/productores/{producer.id}/fincas/{farm.id}/editar" in html
    assert "No dio permiso" not in html


def test_a_producer_with_a_loan_sees_it_and_why_no_new_offer(
    app, member, make_credit_product, make_org
):
    producer, user = member
    product = make_credit_product(make_org("lender", name="Caja Piura"))
    loan = new_loan(producer, product, 300_000, used_minor=120_000)
    db.session.add(
        Repayment(loan_id=loan.id, amount_minor=50_000, paid_on=loan.approved_at.date(),
                  outcome="on_time")
    )  # fmt: skip
    db.session.commit()
    run_matching()
    html = page_of(signed_in_client(app, user))
    assert "Ya tiene un préstamo en curso" in html
    assert "Caja Piura" in html and "Desembolsado" in html
    assert "3,000.00" in html and "1,200.00" in html and "1,800.00" in html
    assert "A tiempo" in html and "500.00" in html
    assert "Pedir insumos con este préstamo" in html


def test_granting_and_revoking_consent_from_the_page(app, member):
    producer, user = member
    client = signed_in_client(app, user)
    url = f"/productores/{producer.id}/credito/permiso"
    response = client.post(url, data={})
    assert response.status_code == 302 and response.location.endswith("/mi-credito")
    db.session.expire_all()
    consent = db.session.scalar(select(Consent).where(Consent.producer_id == producer.id))
    assert consent.granted is False
    assert "Sin permiso" in page_of(client)
    client.post(url, data={"granted": "y"})
    db.session.expire_all()
    assert db.session.get(Consent, consent.id).granted is True
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["consent.revoked", "consent.granted"]


def test_a_technician_sees_the_page_and_must_confirm_consent_in_person(
    app, make_user, make_org, make_producer, make_farm
):
    coop = make_org("cooperative")
    producer = make_producer(cooperative_id=coop.id)
    make_farm(producer)
    technician = make_user("technician", organization=coop)
    client = signed_in_client(app, technician)
    html = page_of(client, f"/productores/{producer.id}/credito")
    assert f"Crédito de {producer.full_name}" in html and "Hágalo solo con su acuerdo" in html
    url = f"/productores/{producer.id}/credito/permiso"
    refused = client.post(url, data={"granted": "y"})
    assert refused.status_code == 200
    assert "Confirme que la persona dio su consentimiento" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Consent).where(Consent.producer_id == producer.id)) is None
    done = client.post(url, data={"granted": "y", "in_person": "y"})
    assert done.location.endswith(f"/productores/{producer.id}/credito")
    consent = db.session.scalar(select(Consent).where(Consent.producer_id == producer.id))
    assert consent.granted and consent.changed_by_id == technician.id


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_consent_switch_needs_the_csrf_token(make_app, member):
    producer, user = member
    login, url = user.login, f"/productores/{producer.id}/credito/permiso"
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    token = _csrf(client.get("/ingresar").get_data(as_text=True))
    signed = client.post("/ingresar", data={"identifier": login, "password": PASSWORD,
                                            "csrf_token": token})  # fmt: skip
    assert signed.status_code == 302
    assert client.post(url, data={}).status_code == 400
    db.session.expire_all()
    granted = db.session.scalar(select(Consent.granted).where(Consent.producer_id == producer.id))
    assert granted is True
    token = _csrf(client.get("/mi-credito").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    granted = db.session.scalar(select(Consent.granted).where(Consent.producer_id == producer.id))
    assert granted is False


def test_the_home_page_has_a_credit_card_and_the_menu_an_entry(
    app, member, make_credit_product, make_org
):
    _producer, user = member
    client = signed_in_client(app, user)
    html = page_of(client, "/")
    assert "Crédito" in html and "Todavía no hay evaluación." in html
    assert 'href="/mi-credito"' in html
    make_credit_product(make_org("lender", name="Caja Tarapoto"))
    run_matching()
    html = page_of(client, "/")
    assert "Oferta de Caja Tarapoto para su grupo: Propuesto a la entidad de crédito." in html


def test_a_producer_without_records_is_sent_to_fill_them(app, make_user):
    client = signed_in_client(app, make_user("producer"))
    response = client.get("/mi-credito")
    assert response.status_code == 302 and response.location.endswith("/mis-datos")
