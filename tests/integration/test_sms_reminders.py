"""Instalment reminders (due in three days, overdue) and buyers near a producer's farm, by SMS
to producers who opted in; `flask sms reminders` run twice a day queues each one once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from marketplace.commitments import services as commitments
from marketplace.extensions import db
from marketplace.models import LoanInstalment, Notification, OutboundMessage
from marketplace.models.base import local_today
from marketplace.sms import outbox, reminders
from tests.integration.loans import new_loan
from tests.integration.test_commitments import terms

MOBILE = "+51942517380"


def _instalment(loan, number, due_on, paid=False) -> LoanInstalment:
    row = LoanInstalment(
        loan_id=loan.id,
        number=number,
        month=number,
        due_on=due_on,
        capital_minor=40_000,
        interest_minor=4_000,
        insurance_minor=500,
        fee_minor=500,
        due_minor=45_000,
        late_charge_minor=0,
        paid_minor=45_000 if paid else 0,
        paid_on=due_on if paid else None,
    )
    db.session.add(row)
    return row


def _queued() -> int:
    return db.session.scalar(select(func.count(OutboundMessage.id)))


def test_reminders_go_once_for_instalments_due_in_three_days_and_overdue(
    twilio, runner, make_producer, make_credit_product
):
    producer = make_producer(phone=MOBILE, sms_opt_in=True)
    quiet = make_producer(phone="+51942000111")  # did not opt in
    today = local_today()
    for borrower in (producer, quiet):
        loan = new_loan(borrower, make_credit_product())
        _instalment(loan, 1, today - timedelta(days=40), paid=True)
        _instalment(loan, 2, today - timedelta(days=2))
        _instalment(loan, 3, today + timedelta(days=3))
        _instalment(loan, 4, today + timedelta(days=33))
    db.session.commit()

    first = runner.invoke(args=["sms", "reminders"])
    assert first.exit_code == 0 and "2 reminders queued; 2 sent, 0 not sent" in first.output
    assert runner.invoke(args=["sms", "reminders"]).output.startswith("0 reminders queued; 0")
    assert reminders.queue_reminders(today) == 0 and _queued() == 2
    assert "0 sent" in runner.invoke(args=["sms", "send"]).output
    overdue, due = twilio.bodies_to(MOBILE)
    day = (today - timedelta(days=2)).strftime("%d/%m/%Y")
    assert "la cuota 2 de su préstamo" in overdue and "vencio el " + day in overdue
    assert "450.00" in overdue
    assert "la cuota 3" in due and (today + timedelta(days=3)).strftime("%d/%m/%Y") in due
    # a week later: the overdue one again, and the one then four days late (once each)
    assert reminders.queue_reminders(today + timedelta(days=7)) == 2
    assert reminders.queue_reminders(today + timedelta(days=7)) == 0


def test_the_command_sends_its_reminders_itself_and_leaves_the_settings_alone(
    app, twilio, runner, monkeypatch, make_producer, make_credit_product
):
    monkeypatch.setitem(app.config, "MINKA_SMS_SEND_AFTER_COMMIT", True)
    dispatched = []
    monkeypatch.setattr(outbox, "_start_thread", dispatched.append)
    producer = make_producer(phone=MOBILE, sms_opt_in=True)
    _instalment(new_loan(producer, make_credit_product()), 1, local_today() + timedelta(days=3))
    db.session.commit()

    result = runner.invoke(args=["sms", "reminders"])

    assert result.exit_code == 0 and "1 reminders queued; 1 sent, 0 not sent" in result.output
    assert dispatched == [] and len(twilio.bodies_to(MOBILE)) == 1
    assert app.config["MINKA_SMS_SEND_AFTER_COMMIT"] is True


def test_the_commands_refuse_without_sms(runner):
    result = runner.invoke(args=["sms", "reminders"])
    assert result.exit_code != 0 and "SMS is not configured" in result.output


def test_a_new_commitment_is_told_to_producers_with_a_farm_in_its_regions(
    twilio, make_user, make_producer, make_farm
):
    buyer = make_user("buyer")
    buyer.organization.verified_at = buyer.created_at
    db.session.commit()
    near = make_producer(phone=MOBILE, sms_opt_in=True)
    make_farm(near, region="San Martín")
    make_farm(near, name="Otra parcela", region="San Martín")
    coffee = make_producer(phone="+51942000222", sms_opt_in=True)
    make_farm(coffee, region="San Martín", value_chain="cafe")
    far = make_producer(phone="+51942000333", sms_opt_in=True)
    make_farm(far, region="Cusco", district_code="080101", lat=-13.52, lon=-71.97)

    commitments.create_commitment(buyer, terms(regions=["San Martín"]))
    assert outbox.drain() == (1, 0)
    (text,) = twilio.bodies_to(MOBILE)
    assert text.startswith("Minka: ") and "compra Cacao en grano seco en San Martin" in text
    assert db.session.scalar(select(func.count(Notification.id))) == 0  # no account: SMS only
