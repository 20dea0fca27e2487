"""Lenders' credit products: the rules on their terms, the pages, and who may see what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace import gazetteer
from marketplace.credit import frames, loan_terms, services
from marketplace.errors import DomainError, InvalidInput
from marketplace.models import AuditLog, CreditProduct
from marketplace.models.base import utcnow
from matching import types as matching_types
from tests.conftest import signed_in_client

SAN_MARTIN = "San Martín"
JUANJUI = "220601"


def terms(**overrides) -> services.ProductData:
    values = {
        "name": "Crédito cacao campaña",
        "value_chains": ["cacao"],
        "country": "PE",
        "regions": [SAN_MARTIN],
        "districts": [JUANJUI],
        "min_amount_minor": 300_000,
        "max_amount_minor": 1_500_000,
        "currency": "PEN",
        "annual_rate_bp": 2850,
        "term_months": 12,
        "grace_months": 3,
        "repayment": "harvest",
        "requires_offtake": True,
        "budget_minor": 50_000_000,
        "min_readiness_bp": 6000,
        "insurance_monthly_ppm": 700,
        "fee_minor": 0,
        "min_members": 8,
        "max_members": 20,
        "target_archetypes": ["agroforestry_high"],
    }
    values.update(overrides)
    return services.ProductData(**values)


def form_data(**overrides) -> dict:
    values = {
        "name": "Crédito cacao campaña",
        "value_chains": ["cacao"],
        "regions": [SAN_MARTIN],
        "districts": [JUANJUI],
        "currency": "PEN",
        "min_amount": "3.000",
        "max_amount": "15000,00",
        "budget": "500.000",
        "annual_rate": "28,5",
        "insurance": "0,07",
        "grace_interest": "capitalised",
        "term_months": "12",
        "grace_months": "3",
        "repayment": "harvest",
        "requires_offtake": "y",
        "min_readiness": "60",
        "min_members": "5",
        "max_members": "30",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


@pytest.fixture
def lender(make_user):
    return make_user("lender", name="Lucía Paredes")


def actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def count(db) -> int:
    return db.session.scalar(select(func.count(CreditProduct.id)))


# --- services ------------------------------------------------------------------------------


def test_a_verified_lender_creates_an_active_product(db, lender):
    product = services.create_product(lender, terms())
    assert product.active and product.organization_id == lender.organization_id
    assert product.coverage_country == "PE" and product.coverage_districts == [JUANJUI]
    assert product.min_readiness == pytest.approx(0.6)
    assert actions(db) == ["credit_product.created"]


def test_no_district_picked_covers_every_district_of_the_regions(lender):
    product = services.create_product(lender, terms(districts=[]))
    expected = {d.code for d in gazetteer.districts("PE", SAN_MARTIN)}
    assert set(product.coverage_districts) == expected and len(expected) > 1


def test_districts_outside_the_chosen_regions_are_ignored(lender):
    product = services.create_product(lender, terms(districts=[JUANJUI, "150101"]))
    assert product.coverage_districts == [JUANJUI]


def test_the_country_is_the_organization_s(make_user, make_org):
    user = make_user("lender", organization=make_org("lender", country="CO"))
    error = pytest.raises(InvalidInput, services.create_product, user, terms()).value
    assert "regions" in error.errors  # San Martín is not a Colombian department


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"value_chains": []}, "value_chains"),
        ({"value_chains": ["oro"]}, "value_chains"),
        ({"regions": []}, "regions"),
        ({"regions": ["Atlántida"]}, "regions"),
        ({"min_amount_minor": 0}, "min_amount"),
        ({"min_amount_minor": None}, "min_amount"),
        ({"min_amount_minor": 2_000_000}, "min_amount"),
        ({"max_amount_minor": 20_000_001}, "max_amount"),
        ({"currency": "EUR"}, "currency"),
        ({"annual_rate_bp": 0}, "annual_rate"),
        ({"annual_rate_bp": -500}, "annual_rate"),
        ({"annual_rate_bp": 20_001}, "annual_rate"),
        ({"annual_rate_bp": None}, "annual_rate"),
        ({"insurance_monthly_ppm": 10_001}, "insurance"),
        ({"insurance_monthly_ppm": -1}, "insurance"),
        ({"fee_minor": -1}, "fee"),
        ({"fee_minor": 100_000}, "fee"),
        ({"grace_interest": "forgiven"}, "grace_interest"),
        ({"term_months": 0}, "term_months"),
        ({"term_months": 121}, "term_months"),
        ({"grace_months": 12}, "grace_months"),
        ({"grace_months": -1}, "grace_months"),
        ({"repayment": "weekly"}, "repayment"),
        ({"budget_minor": -1}, "budget"),
        ({"min_members": 4}, "min_members"),
        ({"min_members": None}, "min_members"),
        ({"max_members": 31}, "max_members"),
        ({"min_members": 12, "max_members": 10}, "min_members"),
        ({"target_archetypes": ["subsistence"]}, "target_archetypes"),
        ({"target_archetypes": ["unicornio"]}, "target_archetypes"),
        ({"min_readiness_bp": 10_001}, "min_readiness"),
        ({"min_readiness_bp": -1}, "min_readiness"),
    ],
)
def test_impossible_terms_are_refused(db, lender, overrides, field):
    error = pytest.raises(InvalidInput, services.create_product, lender, terms(**overrides)).value
    assert field in error.errors
    assert count(db) == 0 and actions(db) == []


def test_the_ceiling_depends_on_the_currency(lender):
    cop = terms(currency="COP", min_amount_minor=100_000_000, max_amount_minor=25_000_000_000)
    assert services.create_product(lender, cop).currency == "COP"
    usd = terms(currency="USD", max_amount_minor=6_000_001)
    assert (
        "max_amount"
        in pytest.raises(InvalidInput, services.create_product, lender, usd).value.errors
    )


def test_every_problem_is_reported_at_once(lender):
    bad = terms(
        name="",
        value_chains=[],
        regions=[],
        min_amount_minor=900,
        max_amount_minor=500,
        annual_rate_bp=-1,
        insurance_monthly_ppm=-5,
        term_months=200,
        repayment="x",
        budget_minor=-5,
        min_readiness_bp=20_000,
    )
    error = pytest.raises(InvalidInput, services.create_product, lender, bad).value
    assert set(error.errors) == {
        "name",
        "value_chains",
        "regions",
        "min_amount",
        "annual_rate",
        "insurance",
        "term_months",
        "repayment",
        "budget",
        "min_readiness",
    }


@pytest.mark.parametrize("verified", [False, True])
def test_unverified_or_suspended_organizations_save_inactive(db, make_user, make_org, verified):
    org = make_org("lender", verified=verified, suspended_at=utcnow() if verified else None)
    user = make_user("lender", organization=org)
    product = services.create_product(user, terms())
    assert not product.active
    error = pytest.raises(DomainError, services.set_active, user, product, True).value
    assert "verifique su organización" in str(error.message)
    assert not db.session.get(CreditProduct, product.id).active


def test_activation_and_deactivation_are_audited(db, lender):
    product = services.create_product(lender, terms())
    services.set_active(lender, product, False)
    services.set_active(lender, product, False)  # no change, no audit row
    services.set_active(lender, product, True)
    assert actions(db) == [
        "credit_product.created",
        "credit_product.deactivated",
        "credit_product.activated",
    ]


def test_only_lenders_of_the_owning_organization_act(db, lender, make_user):
    product = services.create_product(lender, terms())
    for user in (make_user("lender"), make_user("buyer"), make_user("admin")):
        pytest.raises(DomainError, services.set_active, user, product, False)
        pytest.raises(DomainError, services.update_product, user, product, terms(name="X"))
    pytest.raises(DomainError, services.create_product, make_user("supplier"), terms())
    assert db.session.get(CreditProduct, product.id).active


def test_update_changes_the_terms_and_keeps_the_state(db, lender):
    product = services.create_product(lender, terms())
    services.update_product(lender, product, terms(annual_rate_bp=2500))
    assert product.annual_rate_bp == 2500 and product.active
    assert actions(db)[-1] == "credit_product.updated"


def test_products_for_matching(db, lender, make_user, make_org):
    product = services.create_product(lender, terms())
    services.create_product(lender, terms(name="Apagado"))
    services.set_active(
        lender,
        db.session.scalars(select(CreditProduct).where(CreditProduct.name == "Apagado")).one(),
        False,
    )
    suspended = make_user("lender", organization=make_org("lender"))
    hidden = services.create_product(suspended, terms(name="Suspendido"))
    suspended.organization.suspended_at = utcnow()
    db.session.commit()
    assert hidden.active
    offered = frames.products_for("PE")
    assert offered == [
        matching_types.CreditProduct(
            product_id=product.id,
            lender_id=lender.organization_id,
            currency="PEN",
            value_chains=("cacao",),
            districts=(JUANJUI,),
            min_amount_minor=300_000,
            max_amount_minor=1_500_000,
            budget_minor=50_000_000,
            min_readiness=0.6,
            requires_offtake=True,
            annual_rate=0.285,
            term_months=12,
            min_members=8,
            max_members=20,
            target_archetypes=("agroforestry_high",),
            unit_schedule=frames.unit_schedule(product),
        )
    ]
    # harvest repayment: payments per unit of principal in Peru's cacao sales months only,
    # adding up to more than the principal (the interest)
    ((chain, payments),) = offered[0].unit_schedule
    assert chain == "cacao" and {month for month, _ in payments} <= {7, 12}
    assert 1.0 < sum(per_unit for _, per_unit in payments) < 1.3


# --- pages ---------------------------------------------------------------------------------


def test_a_lender_creates_a_product_through_the_form(db, login, lender):
    client = login(lender)
    response = client.post("/credito/productos/nuevo", data=form_data())
    assert response.status_code == 302
    product = db.session.scalars(select(CreditProduct)).one()
    assert product.min_amount_minor == 300_000 and product.max_amount_minor == 1_500_000
    assert product.budget_minor == 50_000_000
    assert product.annual_rate_bp == 2850 and product.insurance_monthly_ppm == 700
    # the TCEA is the schedule's: never typed, above the TEA with 0.07 % insurance a month
    assert product.total_cost_bp == loan_terms.product_cost_bp(product) > 2850
    page = client.get("/credito/productos").get_data(as_text=True)
    # Peru writes decimals with a point (es_PE); Colombia with a comma (es_CO)
    assert "Crédito cacao campaña" in page and "28.50 %" in page
    assert f"{product.total_cost_bp / 100:.2f} %" in page and "TCEA (costo total al año)" in page
    # the collateral ratio left empty is 100 % of the harvest instalments, and is shown
    assert product.collateral_ratio_bp == 10_000
    assert "cubre el 100.00 % de sus cuotas de cosecha" in page


def test_a_lender_sets_the_collateral_ratio_and_a_wrong_one_is_refused(db, login, lender):
    client = login(lender)
    response = client.post("/credito/productos/nuevo", data=form_data(collateral_ratio="5"))
    assert response.status_code == 200
    assert "Escriba un porcentaje entre 10 y 500." in response.get_data(as_text=True)
    client.post("/credito/productos/nuevo", data=form_data(collateral_ratio="166,67"))
    product = db.session.scalars(select(CreditProduct)).one()
    assert product.collateral_ratio_bp == 16_667
    assert frames.to_matching(product, 1).collateral_ratio == pytest.approx(1.6667)


def test_a_typed_total_cost_is_ignored(db, login, lender):
    login(lender).post("/credito/productos/nuevo", data=form_data(total_cost="1"))
    product = db.session.scalars(select(CreditProduct)).one()
    assert product.total_cost_bp == loan_terms.product_cost_bp(product) > 100


def test_each_country_names_its_cost(db, make_credit_product, make_org):
    for country, code in (("PE", "TCEA"), ("MX", "CAT"), ("CO", "EA")):
        product = make_credit_product(coverage_country=country, insurance_monthly_ppm=700)
        schedule = loan_terms.schedule_for(product, 500_000)
        assert loan_terms.cost_of(product, schedule).code == code
    assert "CAT" in loan_terms.cost_name("MX") and "E.A." in loan_terms.cost_name("CO")


def test_the_form_keeps_input_and_reports_every_problem_in_spanish(db, login, lender):
    data = form_data(
        min_amount="20.000",
        annual_rate="abc",
        insurance="5",
        grace_months="12",
        value_chains=None,
    )
    response = login(lender).post("/credito/productos/nuevo", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and count(db) == 0
    for message in (
        "El mínimo no puede ser mayor que el máximo.",
        "Escriba un porcentaje, por ejemplo 28,5",
        "Elija al menos una cadena de valor.",
        "La gracia debe ser menor que el plazo.",
        "Escriba un porcentaje entre 0 y 1.",
    ):
        assert message in page
    assert 'value="20.000"' in page and 'value="abc"' in page


def test_the_form_sets_group_size_and_targeted_types(db, login, lender):
    client = login(lender)
    page = client.get("/credito/productos/nuevo").get_data(as_text=True)
    # prefilled with the widest groups; the types offered in Spanish, subsistence not among them
    assert 'name="min_members"' in page and 'value="5"' in page and 'value="30"' in page
    assert "Agroforestales" in page and 'value="subsistence"' not in page
    data = form_data(min_members="8", max_members="12", target_archetypes=["agroforestry_high"])
    assert client.post("/credito/productos/nuevo", data=data).status_code == 302
    product = db.session.scalars(select(CreditProduct)).one()
    assert (product.min_members, product.max_members) == (8, 12)
    assert product.target_archetypes == ["agroforestry_high"]
    listed = client.get("/credito/productos").get_data(as_text=True)
    assert "de 8 a 12 integrantes" in listed and "Agroforestales" in listed
    edit = client.get(f"/credito/productos/{product.id}/editar").get_data(as_text=True)
    assert 'value="12"' in edit
    checked = 'checked id="target_archetypes-6" name="target_archetypes" type="checkbox"'
    assert f'<input {checked} value="agroforestry_high">' in edit


def test_the_form_refuses_a_group_minimum_above_its_maximum(db, login, lender):
    data = form_data(min_members="20", max_members="10")
    page = login(lender).post("/credito/productos/nuevo", data=data).get_data(as_text=True)
    assert count(db) == 0
    assert "El mínimo de integrantes no puede pasar del máximo." in page
    page = login(lender).post("/credito/productos/nuevo", data=form_data(max_members="50"))
    assert "Escriba un número de 5 a 30." in page.get_data(as_text=True) and count(db) == 0


def test_unreadable_money_is_reported_next_to_the_field(db, login, lender):
    page = login(lender).post("/credito/productos/nuevo", data=form_data(budget="5..0"))
    assert "45.50 o 45,50" in page.get_data(as_text=True) and count(db) == 0


def test_show_districts_re_renders_without_saving(db, login, lender):
    data = form_data(name="Borrador", districts=None, refresh="1")
    page = login(lender).post("/credito/productos/nuevo", data=data).get_data(as_text=True)
    assert count(db) == 0 and 'value="Borrador"' in page
    assert f'value="{JUANJUI}"' in page  # the districts of San Martín are offered


def test_an_unverified_lender_is_told_the_product_is_not_offered(db, login, make_user, make_org):
    user = make_user("lender", organization=make_org("lender", verified=False))
    client = login(user)
    response = client.post("/credito/productos/nuevo", data=form_data(), follow_redirects=True)
    assert "no se ofrece hasta que Minka verifique su organización" in response.get_data(
        as_text=True
    )
    assert not db.session.scalars(select(CreditProduct)).one().active


def test_edit_shows_the_stored_terms_and_saves(db, login, lender):
    product = services.create_product(lender, terms())
    client = login(lender)
    page = client.get(f"/credito/productos/{product.id}/editar").get_data(as_text=True)
    assert 'value="3,000.00"' in page and 'value="28.5"' in page and 'value="60"' in page
    response = client.post(
        f"/credito/productos/{product.id}/editar", data=form_data(annual_rate="25")
    )
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.annual_rate_bp == 2500
    assert product.total_cost_bp == loan_terms.product_cost_bp(product)


def test_deactivate_and_activate_buttons(db, login, lender):
    product = services.create_product(lender, terms())
    client = login(lender)
    assert client.post(f"/credito/productos/{product.id}/desactivar").status_code == 302
    db.session.refresh(product)
    assert not product.active
    client.post(f"/credito/productos/{product.id}/activar")
    db.session.refresh(product)
    assert product.active


# --- permissions ---------------------------------------------------------------------------

ROLES = [
    "anonymous",
    "producer",
    "technician",
    "supplier",
    "buyer",
    "lender",  # member of the organization that offers the product
    "other_lender",  # member of another lender organization
    "admin",
]
FORBIDDEN = {role: 403 for role in ROLES} | {"anonymous": 302}
LENDERS = FORBIDDEN | {"lender": 200, "other_lender": 200}
OWN = FORBIDDEN | {"lender": 200, "other_lender": 404}
OWN_POST = FORBIDDEN | {"lender": 302, "other_lender": 404}
PAGES = [
    ("/credito/productos", LENDERS),
    ("/credito/productos/nuevo", LENDERS),
    ("/credito/productos/{product}/editar", OWN),
]
POSTS = [
    ("/credito/productos/{product}/desactivar", OWN_POST),
    ("/credito/productos/{product}/activar", OWN_POST),
]


@pytest.fixture
def world(lender, make_user, make_producer):
    product = services.create_product(lender, terms())
    users = {
        "producer": make_user("producer"),
        "technician": make_user("technician"),
        "supplier": make_user("supplier"),
        "buyer": make_user("buyer"),
        "lender": lender,
        "other_lender": make_user("lender"),
        "admin": make_user("admin"),
    }
    make_producer(user_id=users["producer"].id)
    return {"users": users, "ids": {"product": product.id}, "product": product}


@pytest.mark.parametrize("role", ROLES)
def test_every_credit_page_for_every_role(app, db, world, role):
    client = signed_in_client(app, world["users"].get(role))
    for template, expected in PAGES + POSTS:
        url = template.format(**world["ids"])
        method = client.post if (template, expected) in POSTS else client.get
        status = method(url).status_code
        assert status == expected[role], f"{role} {url}: {status} != {expected[role]}"


@pytest.mark.parametrize("role", [r for r in ROLES if r != "lender"])
def test_outsiders_change_nothing(app, db, world, role):
    client = signed_in_client(app, world["users"].get(role))
    product_id = world["ids"]["product"]
    client.post(f"/credito/productos/{product_id}/desactivar")
    client.post(f"/credito/productos/{product_id}/editar", data=form_data(name="Otro"))
    client.post("/credito/productos/nuevo", data=form_data(name="Otro"))
    db.session.expire_all()
    product = db.session.get(CreditProduct, product_id)
    assert product.active and product.name == "Crédito cacao campaña"
    mine = select(func.count(CreditProduct.id)).where(
        CreditProduct.organization_id == product.organization_id
    )
    assert db.session.scalar(mine) == 1  # another lender may create its own, not in this org


def test_lenders_see_the_menu_entry(login, lender):
    assert "Productos de crédito" in login(lender).get("/").get_data(as_text=True)
