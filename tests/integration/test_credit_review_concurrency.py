"""Approvals under concurrent requests: two approvals of one group never both create loans,
and two groups approved at once under one product never overrun its budget.

Same harness as test_order_concurrency: each thread has its own app context (session and
connection) and a barrier starts them together. PostgreSQL (MINKA_TEST_DATABASE_URL) races
more threads; SQLite, which serialises writers, checks the same logic with fewer.
"""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.credit import decisions
from marketplace.extensions import db as _db
from marketplace.models import Loan, Match, MatchingRun, User
from tests.integration.races import ON_POSTGRES, race

THREADS = 8 if ON_POSTGRES else 4
ROUNDS = 3


def approving(user_id: int, match_id: int):
    """A job that loads the match and its candidates, then (after the barrier) approves."""

    def prepare():
        user = _db.session.get(User, user_id)
        _ = user.organization.can_publish
        match = _db.session.get(Match, match_id)
        amounts = {c.producer_id: c.default_minor for c in decisions.approval(match).candidates}

        def go():
            return len(decisions.approve(user, match, amounts))

        return go

    return prepare


def test_one_group_approved_at_once_by_many_makes_one_set_of_loans(
    db, racing_app, make_user, make_credit_product, make_match
):
    product = make_credit_product()
    users = [make_user("lender", organization=product.organization) for _ in range(THREADS)]
    matches = []
    for _ in range(ROUNDS):
        matches.append(make_match(n=3, product=product, run=_run(db)))
    for match in matches:
        results = race(racing_app, [approving(u.id, match.id) for u in users])
        assert not [r for r in results if r[0] == "error"], results
        won = [r for r in results if r[0] == "ok"]
        assert won == [("ok", 3)], results
        assert all("ya fue decidido" in r[1] for r in results if r[0] == "refused")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Loan.id))) == 3 * ROUNDS
    per_match = db.session.execute(select(Loan.match_id, func.count()).group_by(Loan.match_id))
    assert sorted(n for _, n in per_match) == [3] * ROUNDS


def test_groups_approved_at_once_never_overrun_the_budget(
    db, racing_app, make_user, make_credit_product, make_match
):
    # room for exactly one group of 3 x S/ 7,200
    product = make_credit_product(budget_minor=3 * 720_000 + 100_000)
    user = make_user("lender", organization=product.organization)
    run = _run(db)
    matches = [make_match(n=3, product=product, run=run) for _ in range(THREADS)]
    results = race(racing_app, [approving(user.id, m.id) for m in matches])
    assert not [r for r in results if r[0] == "error"], results
    assert [r for r in results if r[0] == "ok"] == [("ok", 3)], results
    assert all("presupuesto" in r[1] for r in results if r[0] == "refused")
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(Loan.amount_minor))) == 3 * 720_000
    statuses = db.session.scalars(select(Match.status)).all()
    assert sorted(statuses) == ["approved"] + ["proposed"] * (THREADS - 1)


def _run(db) -> MatchingRun:
    run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
    db.session.add(run)
    db.session.commit()
    return run
