"""A lender's portfolio: what is out, what came back and what is at risk, in each currency,
and the same by product, group, archetype and district.

- Outstanding: the capital still owed on disbursed loans (the balance the ledger keeps on
  each loan, credit/balances.py). Defaulted loans are written off and no longer count.
- PAR30 / PAR90 (portfolio at risk): the outstanding balance of the loans with an
  instalment unpaid more than 30 / 90 days after its due date, over the whole outstanding.
- Collected: what was paid of the instalments that have fallen due (late charges
  included), over what they asked for — of every loan the lender disbursed.
- Disbursed: loans disbursed in the last 12 months (a campaign of cacao or coffee).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from marketplace import shared
from marketplace.credit.archetypes import archetype_label
from marketplace.credit.balances import KEPT
from marketplace.credit.offers import district_name
from marketplace.extensions import db
from marketplace.models import (
    Assessment,
    Cluster,
    CreditProduct,
    Farm,
    Loan,
    LoanInstalment,
    LoanStatus,
    Match,
)
from marketplace.models.base import local_today, utcnow

PAR_DAYS = (30, 90)
CAMPAIGN_DAYS = 365
BREAKDOWNS = {
    "product": _l("Por producto"),
    "group": _l("Por grupo"),
    "archetype": _l("Por tipo de productor"),
    "district": _l("Por distrito"),
}
NO_GROUP = _l("Sin grupo")
NO_ARCHETYPE = _l("Sin tipo")


@dataclass
class Bucket:
    """Outstanding loans of one currency (in one row of a breakdown, or all of them)."""

    name: str
    currency: str
    loans: int = 0
    outstanding_minor: int = 0
    at_risk_minor: dict[int, int] = field(default_factory=lambda: dict.fromkeys(PAR_DAYS, 0))

    def add(self, balance_minor: int, days_late: int) -> None:
        self.loans += 1
        self.outstanding_minor += balance_minor
        for days in PAR_DAYS:
            if days_late > days:
                self.at_risk_minor[days] += balance_minor

    def par(self, days: int) -> float | None:
        """PAR``days`` as a fraction (None with nothing outstanding)."""
        if not self.outstanding_minor:
            return None
        return self.at_risk_minor[days] / self.outstanding_minor


@dataclass
class Currency:
    """A lender's figures in one currency."""

    total: Bucket
    disbursed_loans: int = 0
    disbursed_minor: int = 0
    collected_minor: int = 0
    fallen_due_minor: int = 0
    breakdowns: dict[str, list[Bucket]] = field(default_factory=dict)

    @property
    def collection_rate(self) -> float | None:
        if not self.fallen_due_minor:
            return None
        return self.collected_minor / self.fallen_due_minor


@dataclass
class Portfolio:
    on: date
    currencies: list[Currency]

    @property
    def empty(self) -> bool:
        return not self.currencies


@dataclass(frozen=True)
class _Outstanding:
    loan_id: int
    producer_id: int
    currency: str
    balance_minor: int
    product: str
    group: str | None
    unpaid_since: date | None


def _oldest_unpaid():
    """The due date of a loan's oldest instalment not paid in full (a correlated subquery)."""
    return (
        select(func.min(LoanInstalment.due_on))
        .where(
            LoanInstalment.loan_id == Loan.id,
            LoanInstalment.paid_minor < LoanInstalment.due_minor + LoanInstalment.late_charge_minor,
        )
        .correlate(Loan)
        .scalar_subquery()
    )


def _outstanding(lender_id: int) -> list[_Outstanding]:
    rows = db.session.execute(
        select(
            Loan.id,
            Loan.producer_id,
            Loan.currency,
            func.coalesce(Loan.balance_minor, Loan.amount_minor),
            CreditProduct.name,
            Cluster.code,
            _oldest_unpaid(),
        )
        .join(CreditProduct, CreditProduct.id == Loan.credit_product_id)
        .outerjoin(Match, Match.id == Loan.match_id)
        .outerjoin(Cluster, Cluster.id == Match.cluster_id)
        .where(Loan.lender_id == lender_id, Loan.status == LoanStatus.DISBURSED)
        .order_by(Loan.id)
    )
    return [_Outstanding(*row) for row in rows]


def _borrowers(lender_id: int):
    return (
        select(Loan.producer_id)
        .where(Loan.lender_id == lender_id, Loan.status == LoanStatus.DISBURSED)
        .scalar_subquery()
    )


def _archetypes(lender_id: int) -> dict[int, str]:
    """Each borrower's type in the latest matching run that assessed her."""
    latest = (
        select(func.max(Assessment.id))
        .where(Assessment.producer_id.in_(_borrowers(lender_id)))
        .group_by(Assessment.producer_id)
    )
    rows = db.session.execute(
        select(Assessment.producer_id, Assessment.archetype).where(Assessment.id.in_(latest))
    )
    return {producer_id: archetype_label(code) for producer_id, code in rows}


def _districts(lender_id: int) -> dict[int, str]:
    """Each borrower's district: the one of her largest farm."""
    rows = db.session.execute(
        select(Farm.producer_id, Farm.country, Farm.district_code)
        .where(Farm.producer_id.in_(_borrowers(lender_id)))
        .order_by(Farm.producer_id, Farm.productive_ha, Farm.id)  # the largest comes last
    )
    return {producer_id: district_name(country, code) for producer_id, country, code in rows}


def _collected(lender_id: int, on: date) -> dict[str, tuple[int, int]]:
    """currency -> (paid, asked) of the instalments fallen due by ``on``."""
    rows = db.session.execute(
        select(
            Loan.currency,
            func.sum(LoanInstalment.paid_minor),
            func.sum(LoanInstalment.due_minor + LoanInstalment.late_charge_minor),
        )
        .join(Loan, Loan.id == LoanInstalment.loan_id)
        .where(Loan.lender_id == lender_id, Loan.status.in_(KEPT), LoanInstalment.due_on <= on)
        .group_by(Loan.currency)
    )
    return {currency: (int(paid or 0), int(asked or 0)) for currency, paid, asked in rows}


def _disbursed(lender_id: int) -> dict[str, tuple[int, int]]:
    """currency -> (loans, amount) disbursed in the last CAMPAIGN_DAYS."""
    since = utcnow() - timedelta(days=CAMPAIGN_DAYS)
    rows = db.session.execute(
        select(Loan.currency, func.count(), func.sum(Loan.amount_minor))
        .where(and_(Loan.lender_id == lender_id, Loan.status.in_(KEPT), Loan.disbursed_at >= since))
        .group_by(Loan.currency)
    )
    return {currency: (count, int(total or 0)) for currency, count, total in rows}


def _breakdown(loans: Iterable[_Outstanding], name_of, on: date, currency: str) -> list[Bucket]:
    buckets: dict[str, Bucket] = {}
    for loan in loans:
        name = str(name_of(loan))
        bucket = buckets.setdefault(name, Bucket(name, currency))
        bucket.add(loan.balance_minor, _days_late(loan, on))
    return sorted(buckets.values(), key=lambda b: (-b.outstanding_minor, b.name))


def _days_late(loan: _Outstanding, on: date) -> int:
    return max((on - loan.unpaid_since).days, 0) if loan.unpaid_since else 0


def portfolio_of(lender_id: int, on: date | None = None, detail: bool = True) -> Portfolio:
    """The lender's portfolio on ``on`` (today); ``detail`` adds the breakdowns."""
    on = on or local_today()
    loans = _outstanding(lender_id)
    collected, disbursed = _collected(lender_id, on), _disbursed(lender_id)
    names = {}
    if detail and loans:
        archetypes, districts = _archetypes(lender_id), _districts(lender_id)
        names = {
            "product": lambda loan: loan.product,
            "group": lambda loan: loan.group or NO_GROUP,
            "archetype": lambda loan: archetypes.get(loan.producer_id) or NO_ARCHETYPE,
            "district": lambda loan: districts.get(loan.producer_id, ""),
        }
    figures = []
    for currency in sorted({loan.currency for loan in loans} | set(collected) | set(disbursed)):
        mine = [loan for loan in loans if loan.currency == currency]
        total = _breakdown(mine, lambda _loan: "", on, currency)
        figures.append(
            Currency(
                total=total[0] if total else Bucket("", currency),
                disbursed_loans=disbursed.get(currency, (0, 0))[0],
                disbursed_minor=disbursed.get(currency, (0, 0))[1],
                collected_minor=collected.get(currency, (0, 0))[0],
                fallen_due_minor=collected.get(currency, (0, 0))[1],
                breakdowns={
                    key: _breakdown(mine, name_of, on, currency) for key, name_of in names.items()
                },
            )
        )
    return Portfolio(on=on, currencies=figures)


def cached_portfolio(lender_id: int, detail: bool = True) -> Portfolio:
    """`portfolio_of` today, reused for MINKA_COUNTS_CACHE_SECONDS (the pages say so): its
    sums run over every loan and instalment of the lender's book. Per viewer language, as
    the breakdowns name archetypes and districts in it."""
    today = local_today()
    name = f"portfolio:{lender_id}:{int(detail)}:{today.isoformat()}:{get_locale()}"
    seconds = current_app.config.get("MINKA_COUNTS_CACHE_SECONDS", 0)
    return shared.cached(name, seconds, lambda: portfolio_of(lender_id, today, detail))
