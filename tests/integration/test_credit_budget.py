"""One meaning of a product's budget (credit/budgets.py): a cap on what is out under it —
approved loans plus the capital owed on disbursed ones — used alike by matching and
approval, so a run's matches can be approved."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.credit import balances, budgets, decisions, loans
from marketplace.extensions import db
from marketplace.models import Match, MatchStatus, RunStatus
from marketplace.models.base import utcnow
from tests.conftest import run_matching, signed_in_client
from tests.integration.loans import new_loan
from tests.integration.pages import html_of


@pytest.fixture
def lender(make_user, make_credit_product):
    product = make_credit_product(repayment="monthly", grace_months=0, budget_minor=3_000_000)
    return make_user("lender", organization=product.organization), product


def test_what_is_out_holds_the_budget_and_repayments_free_it(lender, make_producer):
    user, product = lender
    new_loan(make_producer(), product, amount_minor=500_000, status="approved")
    disbursed = new_loan(
        make_producer(),
        product,
        amount_minor=800_000,
        disbursed_at=utcnow() - timedelta(days=40),
    )
    balances.refresh(disbursed)
    new_loan(make_producer(), product, amount_minor=700_000, status="repaid")
    new_loan(make_producer(), product, amount_minor=600_000, status="defaulted")
    assert budgets.remaining_minor(product.id) == 3_000_000 - 500_000 - 800_000

    first = disbursed.instalments[0]
    loans.record_repayment(user, disbursed, first.due_minor, first.due_on, loans.PAYMENT)
    owed = balances.ledger_of(disbursed).capital_outstanding_minor
    assert owed < 800_000
    assert budgets.remaining_minor(product.id) == 3_000_000 - 500_000 - owed
    assert decisions.remaining_budget(product.id) == budgets.remaining_minor(product.id)


def test_capitalised_grace_does_not_hold_more_than_was_lent(
    make_user, make_credit_product, make_producer
):
    product = make_credit_product(repayment="monthly", grace_months=3, budget_minor=3_000_000)
    loan = new_loan(make_producer(), product, amount_minor=800_000)
    balances.refresh(loan)
    assert loan.balance_minor > 800_000  # the grace's interest joined the capital
    assert budgets.remaining_minor(product.id) == 3_000_000 - 800_000


def _matched(run) -> list[Match]:
    assert run.status == RunStatus.SUCCEEDED, run.error
    return db.session.scalars(db.select(Match).where(Match.rank == 0, Match.run_id == run.id)).all()


def test_a_run_offers_only_what_is_left_so_its_match_can_be_approved(
    lender, make_group, make_producer
):
    """A group the whole budget would finance is not matched while a loan holds part of
    it; once the loan is repaid, a run matches the group and the lender approves it with
    the amounts proposed."""
    user, product = lender
    product.budget_minor = 50_000_000
    # repaid at harvest: monthly instalments of S/ 2,000 (the minimum) would pass 30 % of
    # these growers' off-harvest months' income, and the run would finance no one
    product.repayment = "harvest"
    make_group(6)
    (first,) = _matched(run_matching())
    asked = first.amount_minor
    product.budget_minor = asked + 100_000
    out = new_loan(make_producer(), product, amount_minor=200_000)
    balances.refresh(out)
    db.session.commit()

    assert budgets.for_matching([product]) == {product.id: asked - 100_000}
    assert _matched(run_matching()) == []

    out.status = "repaid"
    db.session.commit()
    (match,) = _matched(run_matching())
    assert match.amount_minor == asked <= budgets.remaining_minor(product.id)
    amounts = {c.producer_id: c.default_minor for c in decisions.approval(match).candidates}
    assert sum(amounts.values()) <= match.amount_minor
    assert len(decisions.approve(user, match, amounts)) == 6


def test_groups_waiting_for_an_answer_hold_their_amount_from_the_next_run(lender, make_match):
    user, product = lender
    waiting = make_match(n=2, product=product)
    decisions.request_info(user, waiting, "¿Cuántas hectáreas certificadas?")
    assert waiting.status == MatchStatus.INFO_REQUESTED
    assert budgets.for_matching([product]) == {product.id: 3_000_000 - waiting.amount_minor}
    # approving it is still possible: the budget is not taken until it is approved
    assert decisions.remaining_budget(product.id) == 3_000_000


def test_the_group_page_says_why_a_group_cannot_be_approved(app, lender, make_match, make_producer):
    user, product = lender
    match = make_match(n=4, product=product)  # 4 x S/ 7,200 = S/ 28,800 of S/ 30,000
    client = signed_in_client(app, user)
    assert "Al producto le quedan" not in client.get(f"/credito/grupos/{match.id}").get_data(
        as_text=True
    )
    new_loan(make_producer(), product, amount_minor=500_000, status="approved")
    page = html_of(client.get(f"/credito/grupos/{match.id}")).replace("\xa0", " ")
    assert "Al producto le quedan S/ 25,000.00 de su presupuesto" in page
    assert "este grupo pide S/ 28,800.00" in page
