"""A credit product's terms as a schedule for one amount, and its cost under the country's
rules: what offers, loan pages and the product list show, from one computation
(credit/schedules.py does the arithmetic).

Harvest repayment pays in the months harvest money comes in, by country and value chain
(the admin's harvest calendar, credit/harvests.py). A harvest product pays at every such
month after the grace and within the term; when none falls there, it pays everything at the
end of the term.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from marketplace.credit import harvests, ledger, schedules
from marketplace.i18n import plain_amount
from marketplace.models import CreditProduct, GraceInterest, Loan, Producer, RepaymentSchedule
from marketplace.models.base import local_date, local_today
from marketplace.web import csv_text

PPM = 1_000_000
BP = 10_000
EXAMPLE_DAYS_LATE = 30

# What the cost is called where the producer lives (credit/schedules.country_cost).
COST_NAMES = {
    "TCEA": _l("TCEA (costo total al año)"),
    "CAT": _l("CAT (costo anual total, sin IVA)"),
    "EA": _l("Tasa efectiva anual (E.A.)"),
}
RATE_NAMES = {
    "PE": _l("TEA (tasa de interés al año)"),
    "MX": _l("Tasa de interés anual"),
    "CO": _l("Tasa de interés (E.A.)"),
}


def cost_name(country: str) -> str:
    """What a loan's yearly cost is called in ``country`` (TCEA, CAT, E.A.)."""
    return str(COST_NAMES[schedules.COST_CODES.get(country, "TCEA")])


def rate_name(country: str) -> str:
    """What a loan's interest rate is called in ``country``."""
    return str(RATE_NAMES.get(country, RATE_NAMES["PE"]))


def _mode_and_offsets(
    product: CreditProduct, value_chain: str, start: date
) -> tuple[schedules.Mode, tuple[int, ...]]:
    if product.repayment != RepaymentSchedule.HARVEST:
        return schedules.Mode.MONTHLY, ()
    months = set(harvests.months_for(product.coverage_country, value_chain))
    offsets = tuple(
        offset
        for offset in range((product.grace_months or 0) + 1, product.term_months + 1)
        if schedules.add_months(start, offset).month in months
    )
    if not offsets:
        return schedules.Mode.FLEXIBLE, ()
    return schedules.Mode.HARVEST, offsets


def terms_for(
    product: CreditProduct,
    amount_minor: int,
    value_chain: str | None = None,
    disbursed_on: date | None = None,
) -> schedules.Terms:
    """The schedule's terms of a loan of ``amount_minor`` under ``product``."""
    start = disbursed_on or local_today()
    chain = value_chain or (product.value_chains[0] if product.value_chains else "")
    mode, offsets = _mode_and_offsets(product, chain, start)
    return schedules.Terms(
        principal_minor=amount_minor,
        annual_rate=product.annual_rate_bp / BP,
        term_months=product.term_months,
        disbursed_on=start,
        mode=mode,
        grace_months=(product.grace_months or 0) if mode == schedules.Mode.MONTHLY else 0,
        grace=schedules.Grace(product.grace_interest or GraceInterest.CAPITALISED),
        harvest_offsets=offsets,
        # a product not yet saved has None where the columns' defaults will go
        insurance_monthly_rate=(product.insurance_monthly_ppm or 0) / PPM,
        fee_minor=product.fee_minor or 0,
    )


def schedule_for(
    product: CreditProduct,
    amount_minor: int,
    value_chain: str | None = None,
    disbursed_on: date | None = None,
) -> schedules.Schedule:
    """The payment schedule of a loan of ``amount_minor`` under ``product``."""
    return schedules.build(terms_for(product, amount_minor, value_chain, disbursed_on))


def main_value_chain(producer: Producer) -> str | None:
    """The value chain of her largest farm, whose harvests time a harvest loan."""
    farms = sorted(producer.farms, key=lambda farm: (-(farm.productive_ha or 0), farm.id))
    return farms[0].value_chain if farms else None


def loan_schedule(loan: Loan, producer: Producer) -> schedules.Schedule:
    """A loan's schedule: from its disbursement, or from today while it waits for it (the
    lender's disbursement date moves the dates, not the amounts)."""
    start = local_date(loan.disbursed_at) if loan.disbursed_at else None
    return schedule_for(loan.credit_product, loan.amount_minor, main_value_chain(producer), start)


def cost_of(product: CreditProduct, schedule: schedules.Schedule) -> schedules.Cost:
    """The schedule's cost as the product's country names and computes it."""
    return schedules.country_cost(schedule, product.coverage_country)


def product_cost_bp(product: CreditProduct) -> int:
    """The product's stated cost: that of a loan of its maximum amount disbursed today."""
    schedule = schedule_for(product, product.max_amount_minor)
    return schedules.rate_bp(cost_of(product, schedule).rate)


@dataclass(frozen=True)
class LateExample:
    """What paying one instalment late costs, as the hoja resumen tells it."""

    days: int
    instalment_minor: int
    charge_minor: int


def late_example(product: CreditProduct, schedule: schedules.Schedule) -> LateExample | None:
    """The interés moratorio of paying the first instalment with capital a month late (None
    when the product charges none)."""
    rate = (product.late_rate_bp or 0) / BP
    payment = next((p for p in schedule.payments if p.capital_minor > 0), None)
    if rate <= 0 or payment is None:
        return None
    charge = ledger.late_charge(payment.capital_minor, rate, EXAMPLE_DAYS_LATE)
    return LateExample(EXAMPLE_DAYS_LATE, payment.amount_minor, charge)


def schedule_csv(schedule: schedules.Schedule, currency: str) -> str:
    """The schedule as CSV for a spreadsheet: ISO dates, amounts written for the viewer as
    on the page, the currency in a column of its own."""
    header = [
        str(name)
        for name in (
            _l("N.º"),
            _l("Fecha"),
            _l("Cuota"),
            _l("Capital"),
            _l("Interés"),
            _l("Seguro"),
            _l("Comisión"),
            _l("Saldo"),
            _l("Moneda"),
        )
    ]
    rows = [
        [payment.number, payment.due_on.isoformat()]
        + [
            plain_amount(amount, currency)
            for amount in (
                payment.amount_minor,
                payment.capital_minor,
                payment.interest_minor,
                payment.insurance_minor,
                payment.fee_minor,
                payment.balance_minor,
            )
        ]
        + [currency]
        for payment in schedule.payments
    ]
    return csv_text([header, *rows])


def loan_schedule_file(loan: Loan, producer: Producer) -> tuple[str, str]:
    """A loan's schedule as a CSV file to download: (body, filename)."""
    body = schedule_csv(loan_schedule(loan, producer), loan.currency)
    return body, f"cronograma-prestamo-{loan.id}.csv"
