"""Schedules and cost against figures computed by hand (closed formulas, not the code's loop).

The planted loan is the demo producer's: S/ 7,560.00 at a TEA of 26.80 % for 12 months.
"""

from __future__ import annotations

from datetime import date

import pytest
from scipy.optimize import brentq

from marketplace.credit import schedules as s

PRINCIPAL = 756_000  # S/ 7,560.00 in céntimos
TEA = 0.268
START = date(2026, 3, 15)
MONTHLY = (1 + TEA) ** (1 / 12) - 1


def french(balance: float, months: int) -> float:
    return balance * MONTHLY / (1 - (1 + MONTHLY) ** -months)


def terms(**overrides) -> s.Terms:
    return s.Terms(**{"principal_minor": PRINCIPAL, "annual_rate": TEA, "term_months": 12,
                      "disbursed_on": START, **overrides})  # fmt: skip


def test_twelve_monthly_instalments_of_714_80():
    schedule = s.build(terms())
    amounts = [p.amount_minor for p in schedule.payments]
    assert round(french(PRINCIPAL, 12)) == 71_480
    assert amounts[:-1] == [71_480] * 11
    assert sum(p.capital_minor for p in schedule.payments) == PRINCIPAL
    assert schedule.payments[-1].balance_minor == 0
    assert abs(amounts[-1] - 71_480) <= 12  # the last absorbs rounding
    cost = s.country_cost(schedule, "PE")
    assert cost.code == "TCEA" and cost.rate == pytest.approx(TEA, abs=5e-5)


def test_three_months_capitalised_grace_then_nine_of_982_79():
    schedule = s.build(terms(grace_months=3))
    grown = PRINCIPAL * (1 + MONTHLY) ** 3
    assert round(french(grown, 9)) == 98_279
    assert [p.month for p in schedule.payments] == list(range(4, 13))
    assert schedule.payments[0].amount_minor == 98_279
    assert schedule.capitalised_minor == pytest.approx(grown - PRINCIPAL, abs=3)
    assert sum(p.capital_minor for p in schedule.payments) == PRINCIPAL + schedule.capitalised_minor
    # no insurance or fee: the cost is the TEA itself
    assert s.country_cost(schedule, "PE").rate == pytest.approx(TEA, abs=5e-5)


def test_paid_grace_asks_for_the_interest_each_month():
    schedule = s.build(terms(grace_months=3, grace=s.Grace.PAID))
    first = schedule.payments[:3]
    assert [p.capital_minor for p in first] == [0, 0, 0]
    assert [p.interest_minor for p in first] == [round(PRINCIPAL * MONTHLY)] * 3
    assert schedule.payments[3].amount_minor == round(french(PRINCIPAL, 9))


def test_all_at_harvest_owes_9_586_08():
    schedule = s.build(terms(mode=s.Mode.FLEXIBLE))
    (only,) = schedule.payments
    assert only.month == 12 and only.due_on == date(2027, 3, 15)
    assert only.amount_minor == round(PRINCIPAL * (1 + TEA)) == 958_608


def test_two_harvest_payments_are_equal_over_irregular_periods():
    offsets = s.harvest_offsets(START, harvest_months=(8, 11), term_months=12, payments=2)
    assert offsets == (5, 8)  # August and November after a March disbursement
    schedule = s.build(terms(mode=s.Mode.HARVEST, harvest_offsets=offsets))
    level = PRINCIPAL / ((1 + MONTHLY) ** -5 + (1 + MONTHLY) ** -8)
    first, second = schedule.payments
    assert first.due_on == date(2026, 8, 15) and first.amount_minor == round(level)
    assert first.interest_minor == round(PRINCIPAL * ((1 + MONTHLY) ** 5 - 1))
    assert abs(second.amount_minor - round(level)) <= 1
    assert s.country_cost(schedule, "MX").code == "CAT"


def test_insurance_and_fees_raise_the_cost_above_the_tea():
    schedule = s.build(terms(insurance_monthly_rate=0.0007, fee_minor=500))
    first = schedule.payments[0]
    assert first.insurance_minor == round(PRINCIPAL * 0.0007) == 529
    assert first.amount_minor == 71_480 + 529 + 500
    peru, colombia = s.country_cost(schedule, "PE"), s.country_cost(schedule, "CO")
    assert peru.rate > colombia.rate > TEA  # Colombia's E.A. counts fees, not insurance
    # by hand: French balances in closed form, insurance on each, then the flows' rate
    q = french(PRINCIPAL, 12)
    balances = [PRINCIPAL * (1 + MONTHLY) ** k - q * ((1 + MONTHLY) ** k - 1) / MONTHLY
                for k in range(12)]  # fmt: skip
    paid = [q + 500 + 0.0007 * b for b in balances]
    r = brentq(lambda r: PRINCIPAL - sum(x / (1 + r) ** (k + 1) for k, x in enumerate(paid)), 0, 1)
    assert peru.rate == pytest.approx((1 + r) ** 12 - 1, abs=1e-4)


def test_an_opening_fee_is_a_cost_from_day_one():
    with_fee = s.build(terms(opening_fee_minor=7_560))  # 1 % of the loan
    assert with_fee.total_paid_minor == s.build(terms()).total() + 7_560
    assert s.country_cost(with_fee, "PE").rate > TEA + 0.015


def test_due_dates_keep_the_day_or_take_the_months_last():
    assert s.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert s.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert s.add_months(date(2026, 3, 15), 12) == date(2027, 3, 15)


@pytest.mark.parametrize(
    "overrides",
    [
        {"principal_minor": 0},
        {"grace_months": 12},
        {"mode": s.Mode.HARVEST, "harvest_offsets": ()},
        {"mode": s.Mode.HARVEST, "harvest_offsets": (13,)},
        {"opening_fee_minor": PRINCIPAL},
        {"annual_rate": -0.1},
    ],
)
def test_terms_that_make_no_schedule_are_refused(overrides):
    with pytest.raises(s.ScheduleError):
        s.build(terms(**overrides))


def test_no_harvest_month_within_the_term_is_refused():
    with pytest.raises(s.ScheduleError):
        s.harvest_offsets(START, harvest_months=(2,), term_months=6, grace_months=0)


def test_rates_as_basis_points():
    assert s.rate_bp(0.25025) == 2503
    assert s.rate_bp(0.268) == 2680
