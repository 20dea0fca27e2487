"""What is owed on a loan (credit/ledger.py), against examples worked by hand."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.credit.ledger import Planned, run

JAN, FEB, MAR, APR = date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)


def three_months() -> list[Planned]:
    """S/ 30.00 in three instalments of capital 10.00, interest 1.00/0.60/0.20, fee 0.10."""
    return [
        Planned(1, JAN, 1000, 100, 0, 10),
        Planned(2, FEB, 1000, 60, 0, 10),
        Planned(3, MAR, 1000, 20, 0, 10),
    ]


def four_months() -> list[Planned]:
    """S/ 40.00, capital 10.00 a month, interest 1 % of the balance at each period's start."""
    return [
        Planned(1, JAN, 1000, 40, 0, 0),
        Planned(2, FEB, 1000, 30, 0, 0),
        Planned(3, MAR, 1000, 20, 0, 0),
        Planned(4, APR, 1000, 10, 0, 0),
    ]


def test_paid_on_the_due_date_is_on_time():
    ledger = run(three_months(), [(JAN, 1110)], today=date(2027, 2, 1))
    assert ledger.late_repayments == [False]
    assert [line.unpaid_minor for line in ledger.lines] == [0, 1070, 1030]
    assert ledger.lines[0].paid_on == JAN and ledger.lines[0].days_late(ledger.today) == 0
    assert ledger.capital_outstanding_minor == 2000
    assert ledger.days_past_due == 0 and ledger.unpaid_since == FEB


def test_a_repayment_pays_the_oldest_instalment_first_capital_last():
    ledger = run(three_months(), [(date(2027, 3, 10), 1500)], today=date(2027, 3, 10))
    first, second, third = ledger.lines
    assert ledger.late_repayments == [True]
    assert first.unpaid_minor == 0 and first.days_late(ledger.today) == 38
    # 390 left for February: fee 10, interest 60, then 320 of capital
    assert second.paid == {"late": 0, "fee": 10, "insurance": 0, "interest": 60, "capital": 320}
    assert second.unpaid_minor == 680 and second.status(ledger.today) == "overdue"
    assert third.paid_minor == 0
    assert ledger.days_past_due == 10 and ledger.unpaid_since == FEB
    assert ledger.overdue_minor == 680


def test_the_late_rate_accrues_on_overdue_capital_until_paid():
    # 20 % a year on S/ 10.00 of capital 36 days late: 1000 * (1.2 ** (36/360) - 1) = 18.40
    ledger = run(three_months(), [], today=date(2027, 3, 8), late_rate=0.20)
    assert ledger.lines[0].late_charge_minor == 18
    assert ledger.lines[1].late_charge_minor == 4  # 8 days: 1000 * (1.2 ** (8/360) - 1)
    paid = run(three_months(), [(date(2027, 3, 8), 1128)], today=date(2027, 4, 8), late_rate=0.20)
    first = paid.lines[0]
    assert first.unpaid_minor == 0 and first.late_charge_minor == 18  # stopped when paid


def test_interest_is_owed_after_the_capital():
    """Repaying the S/ 30.00 lent does not close a loan that charged S/ 2.10 on top."""
    ledger = run(three_months(), [(MAR, 3000)], today=MAR)
    assert not ledger.fully_paid and ledger.remaining_minor == 210
    closed = run(three_months(), [(MAR, 3000), (MAR, 210)], today=MAR)
    assert closed.fully_paid and closed.paid_minor == 3210


def test_a_prepayment_shortens_the_term_and_saves_interest():
    # January's 11.10, February's instalment (10.70), then 5.00 of capital from the last
    # instalment back: March keeps 5.00 of capital and half its interest.
    ledger = run(three_months(), [(JAN, 1110 + 1070 + 500)], today=JAN)
    first, second, third = ledger.lines
    assert second.unpaid_minor == 0 and second.paid_on == JAN
    assert third.owed == {"late": 0, "fee": 10, "insurance": 0, "interest": 10, "capital": 1000}
    assert third.unpaid_minor == 520 and ledger.capital_outstanding_minor == 500


def test_paying_off_on_a_due_date_costs_no_interest_of_the_next_period():
    ledger = run(three_months(), [(JAN, 1110 + 2000)], today=JAN)
    assert ledger.fully_paid and ledger.unapplied_minor == 0
    assert ledger.paid_minor == 3110  # 32.10 when kept to the schedule
    assert [line.due_minor for line in ledger.lines] == [1110, 1000, 1000]  # no fee either


def test_paying_the_next_instalment_early_is_not_a_prepayment():
    ledger = run(three_months(), [(date(2027, 1, 25), 1110)], today=date(2027, 2, 5))
    assert ledger.lines[0].unpaid_minor == 0 and ledger.lines[2].paid_minor == 0
    assert ledger.late_repayments == [False] and ledger.days_past_due == 0


def test_a_partial_prepayment_lowers_the_later_interest_in_proportion():
    # January, February (10.30) and 15.00 more: April's capital, then 5.00 of March's
    ledger = run(four_months(), [(JAN, 1040 + 1030 + 1500)], today=JAN)
    owed = [line.owed["interest"] for line in ledger.lines]
    # March's period starts with 5.00 of capital left: 1 % of it; April's with none
    assert owed == [40, 30, 5, 0]
    assert ledger.lines[3].unpaid_minor == 0
    # closing it today: the capital left, less February's 0.30 of interest paid ahead for
    # a period that has not started
    assert ledger.capital_outstanding_minor == 500 and ledger.payoff_minor == 470


def test_the_payoff_counts_the_interest_to_the_day():
    # disbursed on 31 December: on 15 January, 15 of January's 31 days have run,
    # 40 * 15 / 31 = 19.35 of interest is earned
    ledger = run(four_months(), [], today=date(2027, 1, 15), opened_on=date(2026, 12, 31))
    assert ledger.payoff_minor == 4000 + 19
    assert ledger.due_to_date_minor == 0 and ledger.days_past_due == 0
    unknown_start = run(four_months(), [], today=date(2027, 1, 15))
    assert unknown_start.payoff_minor == 4000 + 40  # the whole period's, when not known


def test_interest_paid_ahead_counts_towards_the_payoff():
    # January's instalment paid in full on the 10th (40 of interest), paid off on the 15th:
    # 19 of it was earned, the other 21 repays capital
    opened = date(2026, 12, 31)
    early = [(date(2027, 1, 10), 1040)]
    ledger = run(four_months(), early, today=date(2027, 1, 15), opened_on=opened)
    assert ledger.payoff_minor == 3000 - 21
    closed = run(
        four_months(),
        [*early, (date(2027, 1, 15), 2979)],
        today=date(2027, 1, 15),
        opened_on=opened,
    )
    assert closed.fully_paid and closed.unapplied_minor == 0
    assert closed.paid_minor == 4000 + 19


def test_repayments_beyond_everything_are_left_unapplied():
    ledger = run(three_months(), [(JAN, 5000)], today=JAN)
    assert ledger.fully_paid
    assert ledger.unapplied_minor == 5000 - (1110 + 2000)


@pytest.mark.parametrize(
    ("paid_on", "late"), [(date(2027, 1, 30), False), (JAN, False), (date(2027, 2, 1), True)]
)
def test_late_means_after_the_due_date(paid_on, late):
    assert run(three_months(), [(paid_on, 1110)], today=paid_on).late_repayments == [late]
