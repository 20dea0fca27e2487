"""Deliveries at a collection centre: the pledge's limit, the value, the check-off repayment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.credit import balances
from marketplace.credit.loans import payoff_minor
from marketplace.errors import DomainError
from marketplace.models import AuditLog, LoanStatus, Notification, Repayment
from marketplace.models.base import local_today, utcnow
from marketplace.models.traceability import Delivery
from marketplace.traceability import deliveries
from tests.integration.deliveries import centre, deliver, pledge, producer_with_pledge
from tests.integration.loans import new_loan


@pytest.fixture
def world(db, make_org, make_user, make_center, make_commitment):
    return centre(make_org, make_user, make_center, make_commitment)


def test_a_delivery_gets_a_code_its_value_and_the_plots_risk(world, make_producer, make_farm):
    _, farm, row = producer_with_pledge(make_producer, make_farm, world, risk_status="free")

    delivery = deliver(world, row, 400, humidity_pct=7.5, fermentation_pct=80)

    assert delivery.code == f"ENT-PE-{delivery.id:06d}"
    assert delivery.value_minor == 400 * 950
    assert delivery.deduction_minor == 0 and delivery.paid_to_producer_minor == 380_000
    assert delivery.risk_status == "free" and delivery.farm_id == farm.id
    assert delivery.humidity_pct == 7.5 and delivery.currency == "PEN"
    assert delivery.loan_id is None and delivery.repayment_id is None


def test_deliveries_never_add_up_above_the_pledge(db, world, make_producer, make_farm):
    _, _, row = producer_with_pledge(make_producer, make_farm, world, kg=1_000)
    deliver(world, row, 700)

    with pytest.raises(DomainError) as refused:
        deliver(world, row, 301)

    assert refused.value.field == "kg"
    message = str(refused.value.message)
    assert "supera lo comprometido" in message and "quedan 300 kg" in message
    assert db.session.scalar(select(func.sum(Delivery.kg))) == 700
    assert deliver(world, row, 300).kg == 300  # exactly what is left


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kg": 0}, "kg"),
        # dates as days from today, read when the test runs (collection may be yesterday)
        ({"delivered_on": timedelta(days=2)}, "delivered_on"),
        ({"delivered_on": timedelta(days=-400)}, "delivered_on"),
        ({"humidity_pct": 120.0}, "humidity_pct"),
        ({"pledge_id": None}, "pledge_id"),
    ],
)
def test_bad_input_is_refused_field_by_field(db, world, make_producer, make_farm, change, field):
    _, _, row = producer_with_pledge(make_producer, make_farm, world)
    data = deliveries.DeliveryData(
        pledge_id=row.id, kg=100, delivered_on=local_today() - timedelta(1)
    )
    for name, value in change.items():
        setattr(data, name, local_today() + value if isinstance(value, timedelta) else value)

    with pytest.raises(DomainError) as refused:
        deliveries.record_delivery(world.staff, world.center, data)

    assert field in refused.value.errors
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_a_commitment_delivered_elsewhere_or_a_withdrawn_pledge_is_refused(
    db, world, make_producer, make_farm, make_center, make_commitment
):
    other = make_commitment(world.buyer.organization, collection_center_id=make_center().id)
    producer, farm, _ = producer_with_pledge(make_producer, make_farm, world)
    elsewhere = pledge(other, farm, 500)
    with pytest.raises(DomainError, match="no se entrega en este centro"):
        deliver(world, elsewhere, 100)

    withdrawn = pledge(world.commitment, make_farm(producer, name="Otra"), 500)
    withdrawn.status = "withdrawn"
    db.session.commit()
    with pytest.raises(DomainError, match="ya no está activo"):
        deliver(world, withdrawn, 100)
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_a_premium_commitment_values_the_premium_only(
    db, make_org, make_user, make_center, make_commitment, make_producer, make_farm
):
    world = centre(
        make_org,
        make_user,
        make_center,
        make_commitment,
        price_type="premium",
        price_minor_per_kg=None,
        premium_minor_per_kg=120,
        reference_price="Bolsa de Nueva York",
    )
    _, _, row = producer_with_pledge(make_producer, make_farm, world)
    assert deliver(world, row, 250).value_minor == 250 * 120


# --- check-off -------------------------------------------------------------------------------


def test_the_checkoff_repays_a_share_of_the_value_rounded_down(
    db, world, make_producer, make_farm, make_credit_product
):
    producer, _, row = producer_with_pledge(make_producer, make_farm, world, kg=2_000)
    loan = new_loan(producer, make_credit_product(), amount_minor=300_000)

    delivery = deliver(world, row, 7, days_ago=3)  # 7 x 950 = 6,650; 30 % = 1,995

    assert delivery.value_minor == 6_650
    assert delivery.deduction_minor == 1_995
    assert delivery.paid_to_producer_minor == 4_655
    repayment = db.session.get(Repayment, delivery.repayment_id)
    assert repayment.loan_id == loan.id == delivery.loan_id
    assert repayment.amount_minor == 1_995 and repayment.outcome == "on_time"
    assert repayment.paid_on == delivery.delivered_on
    assert repayment.recorded_by_id == world.staff.id
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"delivery.recorded", "credit.checkoff_repayment"} <= actions
    notes = {n.kind: n for n in db.session.scalars(select(Notification))}
    assert notes["delivery.checkoff"].organization_id == loan.lender_id


def test_a_share_that_does_not_divide_rounds_down(
    app, db, world, make_producer, make_farm, make_credit_product, monkeypatch
):
    monkeypatch.setitem(app.config, "MINKA_CHECKOFF_SHARE", 0.33)
    world.commitment.price_minor_per_kg = 333
    db.session.commit()
    producer, _, row = producer_with_pledge(make_producer, make_farm, world)
    new_loan(producer, make_credit_product())

    delivery = deliver(world, row, 7)  # 2,331 x 0.33 = 769.23

    assert delivery.deduction_minor == 769


def test_the_checkoff_never_takes_more_than_what_closes_the_loan(
    db, world, make_producer, make_farm, make_credit_product
):
    """It goes on past the capital until the interest is paid, then stops; the loan
    closes itself as repaid."""
    producer, _, row = producer_with_pledge(make_producer, make_farm, world, kg=3_000)
    loan = new_loan(
        producer,
        make_credit_product(),
        amount_minor=300_000,
        disbursed_at=utcnow() - timedelta(days=10),
    )
    db.session.add(
        Repayment(
            loan_id=loan.id,
            amount_minor=250_000,
            paid_on=local_today() - timedelta(days=5),
            outcome="on_time",
            recorded_by_id=world.staff.id,
        )
    )
    db.session.commit()
    owed = payoff_minor(loan, local_today() - timedelta(days=1))
    assert 50_000 < owed < 57_000  # the capital left and the next month's interest

    first = deliver(world, row, 100)  # 95,000 x 30 % = 28,500
    second = deliver(world, row, 100)  # 28,500 more would pass what is left
    third = deliver(world, row, 100)  # nothing owed any more

    assert (first.deduction_minor, second.deduction_minor, third.deduction_minor) == (
        28_500,
        owed - 28_500,
        0,
    )
    assert third.repayment_id is None
    paid = db.session.scalar(
        select(func.sum(Repayment.amount_minor)).where(Repayment.loan_id == loan.id)
    )
    assert paid == 250_000 + owed
    assert loan.status == LoanStatus.REPAID and loan.balance_minor == 0


def _monthly_offtake_loan(producer, make_credit_product, days_ago: int):
    """S/ 3,000 over 12 monthly instalments, no grace, under a product taking pledges as
    collateral, disbursed `days_ago` days ago; and its schedule's instalments."""
    product = make_credit_product(repayment="monthly", grace_months=0, requires_offtake=True)
    loan = new_loan(
        producer, product, amount_minor=300_000, disbursed_at=utcnow() - timedelta(days=days_ago)
    )
    return loan, balances.fix_schedule(loan)


def test_under_an_offtake_product_the_checkoff_pays_the_instalments_due(
    db, world, make_producer, make_farm, make_credit_product
):
    producer, _, row = producer_with_pledge(make_producer, make_farm, world, kg=2_000)
    # disbursed 45 days ago: the first instalment is overdue, the second falls due in ~2 weeks
    loan, rows = _monthly_offtake_loan(producer, make_credit_product, days_ago=45)
    first, second = rows[0], rows[1]
    assert first.due_on < local_today() < second.due_on

    delivery = deliver(world, row, 100, days_ago=0)  # worth 95,000; the share 28,500

    assert delivery.deduction_minor == first.due_minor + second.due_minor > 28_500
    standing = balances.ledger_of(loan)
    assert standing.overdue_minor == 0
    assert [line.unpaid_minor for line in standing.lines[:2]] == [0, 0]


def test_instalments_due_beyond_the_deliverys_value_take_the_whole_value(
    db, world, make_producer, make_farm, make_credit_product
):
    producer, _, row = producer_with_pledge(make_producer, make_farm, world, kg=2_000)
    _monthly_offtake_loan(producer, make_credit_product, days_ago=100)  # three due
    delivery = deliver(world, row, 30, days_ago=0)  # worth 28,500: less than one instalment
    assert delivery.deduction_minor == 28_500 and delivery.paid_to_producer_minor == 0


def test_without_offtake_the_checkoff_stays_the_share(
    db, world, make_producer, make_farm, make_credit_product
):
    producer, _, row = producer_with_pledge(make_producer, make_farm, world, kg=2_000)
    product = make_credit_product(repayment="monthly", grace_months=0)
    new_loan(producer, product, amount_minor=300_000, disbursed_at=utcnow() - timedelta(days=45))
    delivery = deliver(world, row, 100, days_ago=0)
    assert delivery.deduction_minor == 28_500


@pytest.mark.parametrize(
    ("loan_values"),
    [{"status": "approved"}, {"currency": "USD"}, {"status": "repaid"}],
    ids=["not disbursed", "other currency", "closed"],
)
def test_no_checkoff_without_a_disbursed_loan_in_the_same_currency(
    db, world, make_producer, make_farm, make_credit_product, loan_values
):
    producer, _, row = producer_with_pledge(make_producer, make_farm, world)
    new_loan(producer, make_credit_product(), **loan_values)

    delivery = deliver(world, row, 100)

    assert delivery.deduction_minor == 0 and delivery.loan_id is None
    assert db.session.scalar(select(func.count(Repayment.id))) == 0


def test_a_notifications_amount_is_formatted_in_the_readers_language(app):
    from flask_babel import force_locale

    from marketplace.i18n import money
    from marketplace.notifications.messages import money_param, render

    params = {"code": "ENT-PE-000001", "loan": 7, "amount": money_param(142_500, "PEN")}
    shown = {}
    with app.test_request_context():
        for language in ("es", "en"):
            with force_locale(language):
                shown[language] = (render("delivery.checkoff", params), money(142_500, "PEN"))
    for text, amount in shown.values():
        assert amount in text and "minor" not in text
