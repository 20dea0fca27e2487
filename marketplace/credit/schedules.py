"""Payment schedules (cronogramas) and a loan's cost from its cash flows: pure arithmetic,
no Flask and no database, so offers, loans, the ledger and the benchmarks share one answer.

Conventions (the README's "Loan schedules and cost" says the same to lenders):

- Money is in integer minor units. Each period's interest and insurance are rounded half up
  to the minor unit; the last payment repays whatever capital is left, so the capital repaid
  always sums exactly to what was lent plus any capitalised grace.
- Time is counted in whole months (30/360): a payment falls on the disbursement's day of the
  month (the month's last day when it is shorter), and one month's rate is
  ``(1 + TEA) ** (1/12) - 1`` whatever the month's length. Between two payments ``k`` months
  apart the interest is ``balance * ((1 + monthly) ** k - 1)``: effective, as the TEA is.
- Grace: no capital is repaid in the first ``grace_months``. *Capitalised* grace adds each
  month's interest and insurance to the balance and asks for nothing; *paid* grace asks each
  month for the interest, insurance and fee. (Harvest and flexible repayment ask for nothing
  before the first payment: interest accrues and is paid with it.)
- Instalments are French: capital + interest is the same at every payment, over regular or
  irregular periods (harvest months); insurance and fees come on top.
- Insurance (desgravamen) is a monthly share of the balance, paid with the next payment.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class Grace(StrEnum):
    """What happens to interest during grace months."""

    CAPITALISED = "capitalised"
    PAID = "paid"


class Mode(StrEnum):
    """How capital is repaid: every month, at harvest, or all at once by a deadline."""

    MONTHLY = "monthly"
    HARVEST = "harvest"
    FLEXIBLE = "flexible"


class ScheduleError(ValueError):
    """Terms that make no schedule (a payment after the term, no payment at all...)."""


@dataclass(frozen=True)
class Terms:
    """A loan's terms as the product states them, for one amount and disbursement date."""

    principal_minor: int
    annual_rate: float  # TEA as a fraction: 0.268 = 26.8 %
    term_months: int
    disbursed_on: date
    mode: Mode = Mode.MONTHLY
    grace_months: int = 0
    grace: Grace = Grace.CAPITALISED
    # months after disbursement with a harvest payment (HARVEST mode), e.g. (5, 9)
    harvest_offsets: tuple[int, ...] = ()
    insurance_monthly_rate: float = 0.0  # desgravamen: 0.0007 = 0.07 % of the balance a month
    fee_minor: int = 0  # charged with every payment (portes, comisión por cuota)
    opening_fee_minor: int = 0  # charged at disbursement, out of the amount lent


@dataclass(frozen=True)
class Payment:
    """One line of the schedule: what is due on ``due_on`` and the capital left after it."""

    number: int
    month: int  # months after disbursement
    due_on: date
    capital_minor: int
    interest_minor: int
    insurance_minor: int
    fee_minor: int
    balance_minor: int  # capital still owed after this payment

    @property
    def amount_minor(self) -> int:
        """The instalment: everything due on this date."""
        return self.capital_minor + self.interest_minor + self.insurance_minor + self.fee_minor


@dataclass(frozen=True)
class Schedule:
    """A loan's payments in order, and their totals."""

    terms: Terms
    payments: tuple[Payment, ...]
    capitalised_minor: int  # interest and insurance added to the balance during grace

    def total(self, part: str = "amount_minor") -> int:
        """The sum of one column over every payment (``"interest_minor"``...)."""
        return sum(getattr(payment, part) for payment in self.payments)

    @property
    def total_paid_minor(self) -> int:
        """Everything the borrower pays, the opening fee included."""
        return self.total() + self.terms.opening_fee_minor

    def cash_flows(self, *, insurance: bool = True) -> list[tuple[int, int]]:
        """(month, amount) from the borrower's side: the net amount received at month 0,
        then each payment as a negative amount (without insurance when ``insurance`` is
        False)."""
        flows = [(0, self.terms.principal_minor - self.terms.opening_fee_minor)]
        for payment in self.payments:
            paid = payment.amount_minor - (0 if insurance else payment.insurance_minor)
            flows.append((payment.month, -paid))
        return flows


def monthly_rate(annual_rate: float) -> float:
    """The effective monthly rate equivalent to an effective annual one."""
    return (1 + annual_rate) ** (1 / 12) - 1


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def harvest_offsets(
    disbursed_on: date,
    harvest_months: Iterable[int],
    term_months: int,
    grace_months: int = 0,
    payments: int = 1,
) -> tuple[int, ...]:
    """Months after disbursement of the first ``payments`` harvest months (calendar months
    1-12) that come after the grace and within the term; ScheduleError if there are none."""
    wanted = set(harvest_months)
    offsets = [
        offset
        for offset in range(max(grace_months, 0) + 1, term_months + 1)
        if add_months(disbursed_on, offset).month in wanted
    ][:payments]
    if not offsets:
        raise ScheduleError("no harvest month falls within the term")
    return tuple(offsets)


def _round(value: float | Decimal) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _capital_months(terms: Terms) -> tuple[int, ...]:
    """The months with a capital payment, checked against the term."""
    if terms.mode == Mode.MONTHLY:
        months = tuple(range(terms.grace_months + 1, terms.term_months + 1))
    elif terms.mode == Mode.HARVEST:
        months = tuple(sorted(set(terms.harvest_offsets)))
    else:
        months = (terms.term_months,)
    if not months:
        raise ScheduleError("the grace leaves no month to repay in")
    if months[0] < 1 or months[-1] > terms.term_months:
        raise ScheduleError("a payment falls outside the term")
    return months


def _check(terms: Terms) -> None:
    if terms.principal_minor <= 0:
        raise ScheduleError("the amount must be positive")
    if not 0 <= terms.annual_rate < 10:
        raise ScheduleError("the annual rate is a fraction between 0 and 10")
    if terms.term_months < 1 or not 0 <= terms.grace_months < terms.term_months:
        raise ScheduleError("the grace must be shorter than the term")
    if terms.insurance_monthly_rate < 0 or terms.fee_minor < 0 or terms.opening_fee_minor < 0:
        raise ScheduleError("insurance and fees cannot be negative")
    if terms.opening_fee_minor >= terms.principal_minor:
        raise ScheduleError("the opening fee takes the whole loan")


def build(terms: Terms) -> Schedule:
    """The schedule of ``terms`` (see the module's conventions)."""
    _check(terms)
    rate = monthly_rate(terms.annual_rate)
    capital_months = _capital_months(terms)
    balance, capitalised, payments = terms.principal_minor, 0, []
    start = 0
    if terms.mode == Mode.MONTHLY:
        for month in range(1, terms.grace_months + 1):
            interest = _round(balance * rate)
            insurance = _round(balance * terms.insurance_monthly_rate)
            if terms.grace == Grace.CAPITALISED:
                balance += interest + insurance
                capitalised += interest + insurance
            else:
                payments.append(
                    _payment(terms, len(payments) + 1, month, 0, interest, insurance, balance)
                )
        start = terms.grace_months
    # French over possibly irregular periods: equal capital + interest at every payment
    discount = sum((1 + rate) ** -(month - start) for month in capital_months)
    level = balance / discount
    previous = start
    for index, month in enumerate(capital_months):
        months = month - previous
        interest = _round(balance * ((1 + rate) ** months - 1))
        insurance = _round(balance * terms.insurance_monthly_rate * months)
        last = index == len(capital_months) - 1
        capital = balance if last else min(balance, max(_round(level) - interest, 0))
        balance -= capital
        payments.append(
            _payment(terms, len(payments) + 1, month, capital, interest, insurance, balance)
        )
        previous = month
    return Schedule(terms=terms, payments=tuple(payments), capitalised_minor=capitalised)


def _payment(
    terms: Terms, number: int, month: int, capital: int, interest: int, insurance: int, balance
) -> Payment:
    return Payment(
        number=number,
        month=month,
        due_on=add_months(terms.disbursed_on, month),
        capital_minor=capital,
        interest_minor=interest,
        insurance_minor=insurance,
        fee_minor=terms.fee_minor,
        balance_minor=balance,
    )


# --- cost from the cash flows -------------------------------------------------------------


def internal_rate(flows: Sequence[tuple[int, int]]) -> float:
    """The monthly rate r at which the flows' present value is zero (bisection: the flows
    are one receipt followed by payments, so there is exactly one root above -100 %)."""

    def value(r: float) -> float:
        return sum(amount / (1 + r) ** month for month, amount in flows)

    low, high = -0.99, 1.0
    if value(low) * value(high) > 0:
        raise ScheduleError("the flows have no rate")
    for _ in range(200):
        mid = (low + high) / 2
        if (value(mid) > 0) == (value(low) > 0):
            low = mid
        else:
            high = mid
    return (low + high) / 2


def annual_cost(schedule: Schedule, *, insurance: bool = True) -> float:
    """The effective annual rate of the schedule's cash flows: ``(1 + r) ** 12 - 1``."""
    return (1 + internal_rate(schedule.cash_flows(insurance=insurance))) ** 12 - 1


@dataclass(frozen=True)
class Cost:
    """A loan's cost as its country's rules name and compute it."""

    code: str  # "TCEA" (Peru), "CAT" (Mexico), "EA" (Colombia)
    rate: float  # a fraction
    includes_insurance: bool


# What the cost is called where the borrower lives; Peru's name elsewhere.
COST_CODES = {"PE": "TCEA", "MX": "CAT", "CO": "EA"}


def country_cost(schedule: Schedule, country: str) -> Cost:
    """The cost a producer is shown, computed from the schedule's flows, never typed in.

    - Peru, TCEA (SBS transparency rules): every payment the client makes — interest,
      insurance, fees — annualised.
    - Mexico, CAT (Banco de México): the same flows in years, ``(1 + r) ** 12 - 1`` with
      monthly periods; before VAT.
    - Colombia, effective annual rate (E.A.): interest and fees, which count as interest
      under the usury rules; a real insurance premium does not.
    """
    code = COST_CODES.get(country, "TCEA")
    insurance = code != "EA"
    return Cost(code, annual_cost(schedule, insurance=insurance), includes_insurance=insurance)


def rate_bp(rate: float) -> int:
    """A rate as basis points (0.2503 -> 2503), rounded half up."""
    return _round(Decimal(str(rate)) * 10_000)
