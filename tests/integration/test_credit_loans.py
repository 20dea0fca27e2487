"""A lender's loans after approval: disbursement, repayments, closing as repaid or defaulted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.credit import decisions, loans
from marketplace.credit.permissions import can_manage_loan
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.models import AuditLog, Loan, Repayment
from marketplace.models.base import local_today
from tests.conftest import signed_in_client
from tests.integration.loans import accept_as_producer


@pytest.fixture
def approved(make_user, make_credit_product, make_match):
    """A lender member and the approved loan (S/ 5,000) of a one-member group."""
    product = make_credit_product()
    user = make_user("lender", organization=product.organization)
    match = make_match(n=1, product=product)
    producer_id = match.cluster.members[0].producer_id
    (loan,) = decisions.approve(user, match, {producer_id: 500_000})
    return user, accept_as_producer(loan, make_user)


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_disburse_repay_and_close(app, approved):
    user, loan = approved
    today = local_today()
    with pytest.raises(DomainError, match="desembolsado"):
        loans.record_repayment(user, loan, 100_000, today, "payment")
    loans.disburse(user, loan)
    assert loan.status == "disbursed" and loan.disbursed_at is not None
    assert [i.number for i in loan.instalments] and loan.balance_minor == 500_000
    with pytest.raises(DomainError, match="aprobado"):
        loans.disburse(user, loan)
    loans.record_repayment(user, loan, 300_000, today, "payment")
    payoff = loans.payoff_minor(loan, today)
    assert 0 < payoff < 500_000 and loan.status == "disbursed"
    with pytest.raises(InvalidInput) as refused:
        loans.record_repayment(user, loan, payoff + 1, today, "payment")
    assert "cierra el préstamo" in str(refused.value.errors["amount"])
    loans.record_repayment(user, loan, payoff, today, "payment")
    db.session.expire_all()
    assert loan.status == "repaid" and loan.closed_at is not None and loan.balance_minor == 0
    assert [r.outcome for r in loan.repayments] == ["on_time", "on_time"]
    assert _actions()[-4:] == [
        "credit.loan_disbursed",
        "credit.repayment_recorded",
        "credit.loan_repaid",
        "credit.repayment_recorded",
    ]
    with pytest.raises(DomainError):
        loans.record_repayment(user, loan, 1_000, today, "payment")


def test_a_default_closes_the_loan_as_defaulted(app, approved):
    user, loan = approved
    loans.disburse(user, loan)
    loans.record_repayment(user, loan, 0, local_today(), "default")
    db.session.expire_all()
    assert loan.status == "defaulted" and loan.closed_at is not None
    assert db.session.scalars(select(Repayment.outcome)).all() == ["default"]


@pytest.mark.parametrize(
    ("amount", "days", "outcome", "field"),
    [
        (-1, 0, "payment", "amount"),
        (0, 0, "payment", "amount"),
        (None, 0, "payment", "amount"),
        (10_000_000, 0, "payment", "amount"),
        (100, 1, "payment", "paid_on"),
        (100, -400, "payment", "paid_on"),
        (100, 0, "forgiven", "outcome"),
    ],
)
def test_impossible_repayments_are_refused(app, approved, amount, days, outcome, field):
    user, loan = approved
    loans.disburse(user, loan)
    with pytest.raises(InvalidInput) as refused:
        loans.record_repayment(user, loan, amount, local_today() + timedelta(days=days), outcome)
    assert field in refused.value.errors
    assert db.session.scalars(select(Repayment)).all() == []
    assert loan.status == "disbursed"


def test_another_lender_cannot_touch_the_loan(app, approved, make_user):
    user, loan = approved
    stranger = make_user("lender")
    with pytest.raises(DomainError, match="otra entidad"):
        loans.disburse(stranger, loan)
    assert not can_manage_loan(stranger, loan)
    assert loans.loans_page(stranger.organization_id).total == 0
    assert loans.loans_page(user.organization_id, "approved").total == 1
    assert loans.loans_page(user.organization_id, "repaid").total == 0


def test_the_loan_pages(app, approved):
    user, loan = approved
    client = signed_in_client(app, user)
    html = client.get("/credito/prestamos").get_data(as_text=True)
    assert f"/credito/prestamos/{loan.id}" in html and "Aprobado" in html
    response = client.post(f"/credito/prestamos/{loan.id}/pagos", data={"amount": "100"})
    assert response.status_code == 302  # not disbursed: a message, nothing recorded
    assert db.session.scalars(select(Repayment)).all() == []
    assert client.post(f"/credito/prestamos/{loan.id}/desembolso").status_code == 302
    page = client.get(f"/credito/prestamos/{loan.id}").get_data(as_text=True)
    assert "Registrar un pago" in page and "Desembolsado" in page
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    response = client.post(
        f"/credito/prestamos/{loan.id}/pagos",
        data={"amount": "-5", "paid_on": tomorrow, "outcome": "payment"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "mayor que 0" in html
    response = client.post(
        f"/credito/prestamos/{loan.id}/pagos",
        data={"amount": "1.250,50", "paid_on": tomorrow, "outcome": "payment"},
    )
    assert "no puede ser futura" in response.get_data(as_text=True)
    today = local_today().isoformat()
    response = client.post(
        f"/credito/prestamos/{loan.id}/pagos",
        data={"amount": "1.250,50", "paid_on": today, "outcome": "payment"},
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Repayment.amount_minor)).all() == [125_050]
    page = client.get(f"/credito/prestamos/{loan.id}").get_data(as_text=True)
    assert "Lo que debe hoy" in page and "Por vencer" in page
    db.session.expire_all()
    assert db.session.get(Loan, loan.id).status == "disbursed"
