"""A lender's portfolio (credit/portfolio.py) on a planted set of loans: outstanding,
PAR30/PAR90, what was collected of what fell due, and the pages that show them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.credit import balances, loans
from marketplace.credit.portfolio import portfolio_of
from marketplace.models.base import local_today, utcnow
from tests.conftest import signed_in_client
from tests.integration.loans import new_loan


def _disbursed(producer, product, amount: int, days_ago: int, **extra):
    loan = new_loan(
        producer, product, amount_minor=amount, disbursed_at=utcnow() - timedelta(days=days_ago)
    )
    for key, value in extra.items():
        setattr(loan, key, value)
    balances.refresh(loan)
    return loan


@pytest.fixture
def planted(db, make_user, make_producer, make_credit_product):
    """Four monthly loans of one lender (no grace, so the balance is the amount lent):
    current (10 days old), 45 days late (75 days old: first instalment due ~45 days ago),
    125 days late (155 days old), and one 75 days old whose first instalment was paid;
    a defaulted loan and another lender's loan, which do not count."""
    product = make_credit_product(repayment="monthly", grace_months=0, name="Cacao mensual")
    user = make_user("lender", organization=product.organization)
    current = _disbursed(make_producer(), product, 100_000, 10)
    late_45 = _disbursed(make_producer(), product, 200_000, 75)
    late_125 = _disbursed(make_producer(), product, 300_000, 155)
    paid_first = _disbursed(make_producer(), product, 400_000, 75)
    first = paid_first.instalments[0]
    loans.record_repayment(user, paid_first, first.due_minor, first.due_on, loans.PAYMENT)
    defaulted = _disbursed(make_producer(), product, 500_000, 200)
    loans.record_repayment(user, defaulted, 0, local_today(), loans.DEFAULT)
    _disbursed(make_producer(), make_credit_product(), 700_000, 155)
    db.session.commit()
    return user, product, (current, late_45, late_125, paid_first)


def test_par_counts_the_balance_of_loans_late_beyond_30_and_90_days(planted):
    user, _, (current, late_45, late_125, paid_first) = planted
    left = balances.ledger_of(paid_first).capital_outstanding_minor
    assert 300_000 < left < 400_000  # its first instalment's capital is paid

    (pen,) = portfolio_of(user.organization_id).currencies

    outstanding = 100_000 + 200_000 + 300_000 + left
    assert pen.total.currency == "PEN" and pen.total.loans == 4
    assert pen.total.outstanding_minor == outstanding
    assert pen.total.at_risk_minor == {30: 500_000, 90: 300_000}
    assert pen.total.par(30) == pytest.approx(500_000 / outstanding)
    assert pen.total.par(90) == pytest.approx(300_000 / outstanding)


def test_collected_is_what_was_paid_of_what_fell_due(planted):
    user, _, (current, late_45, late_125, paid_first) = planted
    (pen,) = portfolio_of(user.organization_id).currencies
    today = local_today()
    asked = paid = 0
    for loan in (current, late_45, late_125, paid_first):
        for line in balances.ledger_of(loan).lines:
            if line.due_on <= today:
                asked += line.due_minor + line.late_charge_minor
                paid += line.paid_minor
    due_of_defaulted = pen.fallen_due_minor - asked  # its instalments count, unpaid
    assert due_of_defaulted > 0 and pen.collected_minor == paid > 0
    assert pen.collection_rate == pytest.approx(paid / pen.fallen_due_minor)
    assert pen.disbursed_loans == 5  # the defaulted one too: it went out this year


def test_breakdowns_add_up_to_the_total(planted):
    user, product, _ = planted
    (pen,) = portfolio_of(user.organization_id).currencies
    for key in ("product", "group", "archetype", "district"):
        rows = pen.breakdowns[key]
        assert sum(row.outstanding_minor for row in rows) == pen.total.outstanding_minor, key
        assert sum(row.at_risk_minor[30] for row in rows) == pen.total.at_risk_minor[30], key
    assert [row.name for row in pen.breakdowns["product"]] == ["Cacao mensual"]
    assert [row.name for row in pen.breakdowns["group"]] == ["Sin grupo"]


def test_the_portfolio_page_home_and_loans_list_show_the_figures(app, planted):
    user, _, _ = planted
    client = signed_in_client(app, user)
    page = client.get("/credito/cartera").get_data(as_text=True)
    assert "PAR30" in page and "Por distrito" in page and "Cacao mensual" in page
    home = client.get("/").get_data(as_text=True)
    assert "Mi cartera" in home and "Cartera en riesgo más de 30 días" in home
    listed = client.get("/credito/prestamos").get_data(as_text=True)
    assert "Saldo de capital por cobrar" in listed and "prestados" in listed


def test_the_pages_reuse_the_portfolio_for_a_minute_and_say_so(
    app, planted, make_producer, monkeypatch
):
    # The sums run over every loan and instalment of the lender's book: on the 100,000-
    # producer world they were half of these pages' statements' time, on every visit.
    user, product, _ = planted
    monkeypatch.setitem(app.config, "MINKA_COUNTS_CACHE_SECONDS", 60)
    client = signed_in_client(app, user)

    def figures(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        assert "Estas cifras se actualizan cada minuto." in page
        return page[page.index("Saldo de capital") : page.index("Desembolsado en los")]

    def lent() -> str:
        page = client.get("/credito/prestamos").get_data(as_text=True)
        end = page.index(" prestados")
        return page[page.rindex("<p", 0, end) : end]

    before = {path: figures(path) for path in ("/credito/cartera", "/credito/prestamos", "/")}
    lent_before = lent()
    _disbursed(make_producer(), product, 500_000, 5)
    assert {path: figures(path) for path in before} == before and lent() == lent_before
    monkeypatch.setitem(app.config, "MINKA_COUNTS_CACHE_SECONDS", 0)
    page = client.get("/credito/cartera").get_data(as_text=True)
    assert "se actualizan" not in page and "5 préstamos vigentes" in page
    assert lent() != lent_before and "6 préstamos" in lent()


def test_a_lender_without_loans_sees_an_empty_portfolio(app, make_user):
    user = make_user("lender")
    page = signed_in_client(app, user).get("/credito/cartera")
    assert page.status_code == 200
    assert "Todavía no tiene préstamos desembolsados." in page.get_data(as_text=True)
