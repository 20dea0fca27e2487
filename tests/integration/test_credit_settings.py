"""Credit settings an admin keeps (the harvest calendar, Colombia's usury ceiling), the
product's late rate and amount step, and what the hoja resumen says about paying late."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.credit import decisions, harvests, ledger, loan_terms, services, usury
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.models import AuditLog, CreditProduct, HarvestCalendar, PlatformSetting, Producer
from marketplace.models.base import local_today
from tests.conftest import signed_in_client
from tests.integration.test_credit_products import form_data

CALENDAR_URL = "/admin/credito/ajustes/cosechas"
USURY_URL = "/admin/credito/ajustes/usura"


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def co_lender(make_user, make_org):
    return make_user("lender", country="CO", organization=make_org("lender", country="CO"))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def _calendar_form(**changes: list[int]) -> dict[str, list[str]]:
    """Every line of the calendar as it stands, with `changes` by field name."""
    lines = {entry.field: list(entry.months) for entry in harvests.entries()}
    lines.update(changes)
    return {name: [str(month) for month in months] for name, months in lines.items()}


def _harvest_months(product: CreditProduct) -> set[int]:
    schedule = loan_terms.schedule_for(product, 500_000, "cacao")
    return {payment.due_on.month for payment in schedule.payments}


def _first_of_month():
    return local_today().replace(day=1)


# --- the harvest calendar -------------------------------------------------------------------


def test_without_rows_the_calendar_is_the_default_one(app):
    assert harvests.months_for("PE", "cacao") == harvests.DEFAULT_CALENDAR[("PE", "cacao")]
    assert harvests.months_for("PE", "quinua") == harvests.FALLBACK_MONTHS


def test_an_admin_moves_the_harvest_months_and_the_schedule_follows(
    app, admin, make_credit_product
):
    product = make_credit_product(repayment="harvest", grace_months=0, term_months=12)
    assert _harvest_months(product) == {7, 12}
    client = signed_in_client(app, admin)
    response = client.post(CALENDAR_URL, data=_calendar_form(months_PE_cacao=[3, 9]))
    assert response.status_code == 302
    assert harvests.months_for("PE", "cacao") == (3, 9)
    assert _harvest_months(product) == {3, 9}
    assert harvests.months_for("PE", "cafe") == harvests.DEFAULT_CALENDAR[("PE", "cafe")]
    assert _actions() == ["harvest_calendar.updated"]  # only the line that changed
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.detail["months_before"] == [7, 12] and entry.detail["months_after"] == [3, 9]
    assert 'name="months_PE_cacao" value="3"' in client.get("/admin/credito/ajustes").text


def test_a_line_without_months_is_refused_and_the_form_keeps_what_was_typed(app, admin):
    client = signed_in_client(app, admin)
    data = _calendar_form(months_PE_cacao=[], months_PE_cafe=[1, 8])
    response = client.post(CALENDAR_URL, data=data)
    assert response.status_code == 200
    page = response.text
    assert "Marque al menos un mes de cosecha." in page
    assert re.search(r'name="months_PE_cafe" value="1"[^>]*checked', page)
    assert db.session.scalars(select(HarvestCalendar)).all() == []
    assert _actions() == []


def test_a_month_that_is_not_one_is_refused(app, admin):
    client = signed_in_client(app, admin)
    response = client.post(CALENDAR_URL, data=_calendar_form(months_MX_cafe=[13]))
    assert response.status_code == 200
    assert "Use números de mes del 1 al 12" in response.text
    assert harvests.months_for("MX", "cafe") == harvests.DEFAULT_CALENDAR[("MX", "cafe")]


def test_months_may_be_typed_as_text():
    assert harvests.parse_months(["3, 6", "12"]) == (3, 6, 12)
    with pytest.raises(ValueError):
        harvests.parse_months(["0"])


# --- Colombia's usury ceiling ---------------------------------------------------------------


def co_terms(rate_bp: int) -> services.ProductData:
    return services.ProductData(
        name="Crédito caficultor",
        value_chains=["cafe"],
        country="CO",
        regions=["Cauca"],
        min_amount_minor=200_000_000,
        max_amount_minor=1_500_000_000,
        currency="COP",
        annual_rate_bp=rate_bp,
        term_months=12,
        grace_months=0,
        repayment="monthly",
        budget_minor=100_000_000_000,
    )


def test_the_admin_sets_the_ceiling_and_it_is_audited(app, admin):
    client = signed_in_client(app, admin)
    valid_from = _first_of_month()
    data = {"rate": "27,4", "valid_from": valid_from.isoformat(), "note": "Res. 1234"}
    assert client.post(USURY_URL, data=data).status_code == 302
    assert usury.current() == usury.Ceiling(2740, valid_from, "Res. 1234")
    assert _actions() == ["credit.usury_ceiling_changed"]
    assert "Res. 1234" in client.get("/admin/credito/ajustes").text


@pytest.mark.parametrize(
    ("rate", "days_ahead", "message"),
    [
        ("veinte", 0, "Escriba un porcentaje"),
        ("250", 0, "La tasa de usura va del 5 al 100 %"),
        ("", 0, "Este dato es obligatorio."),
        ("27,4", 3, "Escriba la fecha desde la que rige"),
        ("27,4", -400, "Escriba la fecha desde la que rige"),
    ],
)
def test_a_bad_ceiling_is_refused_and_the_form_keeps_the_note(
    app, admin, rate, days_ahead, message
):
    client = signed_in_client(app, admin)
    valid_from = local_today() + timedelta(days=days_ahead)
    data = {"rate": rate, "valid_from": valid_from.isoformat(), "note": "Res. 99"}
    response = client.post(USURY_URL, data=data)
    assert response.status_code == 200
    assert message in response.text and 'value="Res. 99"' in response.text
    assert db.session.get(PlatformSetting, usury.KEY) is None


def test_a_colombian_product_above_the_ceiling_is_refused_and_one_below_saved(
    app, admin, co_lender
):
    usury.set_ceiling(admin, 2740, _first_of_month(), "")
    error = pytest.raises(InvalidInput, services.create_product, co_lender, co_terms(3000))
    assert "tasa de usura" in str(error.value.errors["annual_rate"])
    product = services.create_product(co_lender, co_terms(2200))
    assert product.total_cost_bp <= 2740


def test_the_refusal_names_the_ceiling_and_its_date_as_colombia_writes_them(app, admin, co_lender):
    usury.set_ceiling(admin, 2740, local_today().replace(month=1, day=1), "")
    client = signed_in_client(app, co_lender)
    data = form_data(regions=["Cauca"], districts=None, currency="COP", annual_rate="35")
    data |= {"min_amount": "2.000.000", "max_amount": "15.000.000", "budget": "900.000.000"}
    page = client.post("/credito/productos/nuevo", data=data).text
    year = local_today().year
    assert re.search(
        rf"pasa la tasa de usura vigente \(27,4 % desde el 1 de enero de {year}\)", page
    )
    assert db.session.scalars(select(CreditProduct)).all() == []


def test_other_countries_and_a_missing_ceiling_refuse_nothing(app, admin, co_lender, make_user):
    assert services.create_product(co_lender, co_terms(4000)).total_cost_bp >= 4000
    page = signed_in_client(app, admin).get("/admin/credito/ajustes").text
    assert "No hay tasa de usura registrada" in page
    assert usury.problem("PE", 9000) is None


def test_a_product_above_a_lowered_ceiling_is_flagged_and_not_approved(
    app, admin, co_lender, make_match
):
    product = services.create_product(co_lender, co_terms(2500))
    usury.set_ceiling(admin, 2000, _first_of_month(), "Res. 2")
    page = signed_in_client(app, co_lender).get("/credito/productos").text
    assert "Pasa la tasa de usura" in page
    assert product.name in signed_in_client(app, admin).get("/admin/credito/ajustes").text
    match = make_match(n=1, product=product, requested_minor=800_000_000)
    (candidate,) = decisions.approval(match).candidates
    amounts = {candidate.producer_id: candidate.default_minor}
    error = pytest.raises(InvalidInput, decisions.approve, co_lender, match, amounts).value
    assert "tasa de usura" in str(error.errors[decisions.amount_field(candidate.producer_id)])
    usury.set_ceiling(admin, 3000, _first_of_month(), "Res. 3")
    assert len(decisions.approve(co_lender, match, amounts)) == 1


# --- the product's late rate and amount step ------------------------------------------------


@pytest.fixture
def lender(make_user):
    return make_user("lender")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"late_rate": "250"}, "El interés moratorio va de 0 % a 200 % al año."),
        ({"late_rate": "-1"}, "El interés moratorio va de 0 % a 200 % al año."),
        ({"late_rate": "doce"}, "Escriba un porcentaje"),
        ({"amount_step": "5.000"}, "El redondeo no puede pasar del monto mínimo."),
        ({"amount_step": "-10"}, "Escriba un monto mayor que 0."),
    ],
)
def test_the_late_rate_and_the_step_are_checked(app, lender, overrides, message):
    client = signed_in_client(app, lender)
    response = client.post("/credito/productos/nuevo", data=form_data(**overrides))
    assert response.status_code == 200 and message in response.text
    assert db.session.scalars(select(CreditProduct)).all() == []


def test_the_late_rate_and_the_step_are_saved_shown_and_edited(app, lender):
    client = signed_in_client(app, lender)
    data = form_data(late_rate="24", amount_step="10")
    assert client.post("/credito/productos/nuevo", data=data).status_code == 302
    product = db.session.scalars(select(CreditProduct)).one()
    assert (product.late_rate_bp, product.amount_step_minor) == (2400, 1000)
    listing = client.get("/credito/productos").text
    assert "24.00 % al año sobre el capital vencido" in listing and "S/\u00a010.00" in listing
    form = client.get(f"/credito/productos/{product.id}/editar").text
    assert 'name="late_rate" type="text" value="24"' in form or 'value="24"' in form
    data = form_data(late_rate="", amount_step="0")  # 0, as empty: no rounding
    client.post(f"/credito/productos/{product.id}/editar", data=data)
    db.session.refresh(product)
    assert (product.late_rate_bp, product.amount_step_minor) == (0, 0)


# --- the hoja resumen -----------------------------------------------------------------------


def _approved_loan(make_user, make_credit_product, make_match, late_rate_bp: int):
    product = make_credit_product(late_rate_bp=late_rate_bp, repayment="monthly")
    lender = make_user("lender", organization=product.organization)
    match = make_match(n=1, product=product)
    producer = db.session.get(Producer, match.cluster.members[0].producer_id)
    borrower = make_user("producer")
    producer.user_id = borrower.id
    db.session.commit()
    (loan,) = decisions.approve(lender, match, {producer.id: 500_000})
    return loan, producer, borrower


def test_the_hoja_resumen_says_what_paying_late_costs(
    app, make_user, make_credit_product, make_match
):
    loan, producer, borrower = _approved_loan(make_user, make_credit_product, make_match, 1200)
    page = signed_in_client(app, borrower).get("/mi-credito").text
    assert "se cobra 12 % al año sobre el capital vencido, por cada día de atraso" in page
    first = loan_terms.loan_schedule(loan, producer).payments[0]
    charge = ledger.late_charge(first.capital_minor, 0.12, 30)
    assert charge > 0
    amount, extra = f"S/\u00a0{first.amount_minor / 100:,.2f}", f"S/\u00a0{charge / 100:,.2f}"
    assert f"si paga 30 días tarde una cuota de {amount}, paga {extra} más" in page
    assert "sin penalidad" in page


def test_without_a_late_rate_the_hoja_resumen_says_none_is_charged(
    app, make_user, make_credit_product, make_match
):
    _loan, _producer, borrower = _approved_loan(make_user, make_credit_product, make_match, 0)
    page = signed_in_client(app, borrower).get("/mi-credito").text
    assert "no se cobra interés moratorio" in page and "al año sobre el capital vencido" not in page
