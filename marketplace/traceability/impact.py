"""The impact indicators field programmes report, computed with SQL aggregates.

People are filtered by the producer's country and by having a farm of the value chain;
farms, pledges and deliveries by their farm's country and value chain; loans and
repayments by their producer. The pages reuse the figures for MINKA_IMPACT_CACHE_SECONDS
(0 turns it off): on a million producers they take seconds to compute.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import case, exists, func, or_, select

from marketplace import shared
from marketplace.credit.runs import latest_run
from marketplace.extensions import db
from marketplace.i18n import number, plain_amount
from marketplace.models import (
    Assessment,
    Farm,
    Listing,
    ListingKind,
    Loan,
    LoanStatus,
    Match,
    MatchStatus,
    Order,
    OrderStatus,
    Pledge,
    PledgeStatus,
    Producer,
    Repayment,
    RepaymentOutcome,
)
from marketplace.models.traceability import Delivery, RiskStatus
from marketplace.web import csv_text

FREE = (RiskStatus.FREE.value, RiskStatus.VERIFIED.value)
TA_DONE = (OrderStatus.CONFIRMED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
NOT_MATCHED = (MatchStatus.DECLINED, MatchStatus.SUPERSEDED)
DISBURSED = (LoanStatus.DISBURSED, LoanStatus.REPAID, LoanStatus.DEFAULTED)


@dataclass(frozen=True)
class ImpactFilters:
    """Empty strings mean every country / every value chain."""

    country: str = ""
    value_chain: str = ""


@dataclass
class Impact:
    """The dashboard's figures; shares are 0..1 or None when there is nothing to divide."""

    producers: int = 0
    by_gender: list[tuple[str, int]] = field(default_factory=list)
    by_country: list[tuple[str, int]] = field(default_factory=list)
    improved_farms: int = 0
    improved_ha: float = 0.0
    committed_kg: int = 0
    delivered_kg: int = 0
    free_share: float | None = None
    free_basis: str = "deliveries"  # deliveries | farms
    matched: int = 0
    approved: int = 0
    disbursed: int = 0
    repayments: int = 0
    repayment_rate: float | None = None
    funds: list[tuple[str, int]] = field(default_factory=list)  # (currency, minor units)
    computed_at: datetime | None = None


def _farm_where(filters: ImpactFilters) -> list:
    conditions = []
    if filters.country:
        conditions.append(Farm.country == filters.country)
    if filters.value_chain:
        conditions.append(Farm.value_chain == filters.value_chain)
    return conditions


def _producer_where(filters: ImpactFilters) -> list:
    conditions = []
    if filters.country:
        conditions.append(Producer.country == filters.country)
    if filters.value_chain:
        conditions.append(
            exists().where(Farm.producer_id == Producer.id, Farm.value_chain == filters.value_chain)
        )
    return conditions


def _scalar(query) -> int | float:
    return db.session.scalar(query) or 0


def _reach(impact: Impact, filters: ImpactFilters) -> None:
    where = _producer_where(filters)
    by_gender = db.session.execute(
        select(Producer.gender, func.count(Producer.id)).where(*where).group_by(Producer.gender)
    ).all()
    by_country = db.session.execute(
        select(Producer.country, func.count(Producer.id)).where(*where).group_by(Producer.country)
    ).all()
    impact.by_gender = sorted(((g, n) for g, n in by_gender), key=lambda row: -row[1])
    impact.by_country = sorted(((c, n) for c, n in by_country), key=lambda row: -row[1])
    impact.producers = sum(n for _, n in by_gender)


def _improved(impact: Impact, filters: ImpactFilters) -> None:
    assisted = exists().where(
        Order.producer_id == Farm.producer_id,
        Order.status.in_(TA_DONE),
        Listing.id == Order.listing_id,
        Listing.kind == ListingKind.SERVICE,
    )
    count, hectares = db.session.execute(
        select(func.count(Farm.id), func.coalesce(func.sum(Farm.total_ha), 0.0)).where(
            or_(Farm.agroforestry.is_(True), assisted), *_farm_where(filters)
        )
    ).one()
    impact.improved_farms, impact.improved_ha = count, round(float(hectares), 1)


def _volumes(impact: Impact, filters: ImpactFilters) -> None:
    where = _farm_where(filters)
    impact.committed_kg = int(
        _scalar(
            select(func.sum(Pledge.kg))
            .join(Farm, Farm.id == Pledge.farm_id)
            .where(Pledge.status == PledgeStatus.ACTIVE, *where)
        )
    )
    delivered, free = db.session.execute(
        select(
            func.coalesce(func.sum(Delivery.kg), 0),
            func.coalesce(
                func.sum(case((Delivery.risk_status.in_(FREE), Delivery.kg), else_=0)), 0
            ),
        )
        .join(Farm, Farm.id == Delivery.farm_id)
        .where(*where)
    ).one()
    impact.delivered_kg = int(delivered)
    if delivered:
        impact.free_share, impact.free_basis = int(free) / int(delivered), "deliveries"
        return
    farms, free_farms = db.session.execute(
        select(
            func.count(Farm.id),
            func.coalesce(func.sum(case((Farm.risk_status.in_(FREE), 1), else_=0)), 0),
        ).where(*where)
    ).one()
    impact.free_basis = "farms"
    impact.free_share = int(free_farms) / farms if farms else None


def _matched(filters: ImpactFilters) -> int:
    run = latest_run()
    if run is None:
        return 0
    chosen = select(Match.cluster_id).where(
        Match.run_id == run.id, Match.rank == 0, Match.status.not_in(NOT_MATCHED)
    )
    return int(
        _scalar(
            select(func.count(Assessment.id))
            .join(Producer, Producer.id == Assessment.producer_id)
            .where(
                Assessment.run_id == run.id,
                Assessment.cluster_id.in_(chosen),
                *_producer_where(filters),
            )
        )
    )


def _credit(impact: Impact, filters: ImpactFilters) -> None:
    where = _producer_where(filters)
    impact.matched = _matched(filters)
    approved, disbursed = db.session.execute(
        select(
            func.count(Loan.id),
            func.coalesce(func.sum(case((Loan.status.in_(DISBURSED), 1), else_=0)), 0),
        )
        .join(Producer, Producer.id == Loan.producer_id)
        .where(*where)
    ).one()
    impact.approved, impact.disbursed = int(approved), int(disbursed)
    funds = db.session.execute(
        select(Loan.currency, func.sum(Loan.amount_minor))
        .join(Producer, Producer.id == Loan.producer_id)
        .where(Loan.status.in_(DISBURSED), *where)
        .group_by(Loan.currency)
        .order_by(Loan.currency)
    ).all()
    impact.funds = [(currency, int(total)) for currency, total in funds]
    total, on_time = db.session.execute(
        select(
            func.count(Repayment.id),
            func.coalesce(
                func.sum(case((Repayment.outcome == RepaymentOutcome.ON_TIME, 1), else_=0)), 0
            ),
        )
        .join(Loan, Loan.id == Repayment.loan_id)
        .join(Producer, Producer.id == Loan.producer_id)
        .where(*where)
    ).one()
    impact.repayments = int(total)
    impact.repayment_rate = int(on_time) / total if total else None


def impact(filters: ImpactFilters) -> Impact:
    """Every indicator for the filters (a dozen aggregate statements, no per-row work)."""
    result = Impact(computed_at=datetime.now(UTC))
    _reach(result, filters)
    _improved(result, filters)
    _volumes(result, filters)
    _credit(result, filters)
    return result


def cached_impact(filters: ImpactFilters) -> Impact:
    """`impact` reused for MINKA_IMPACT_CACHE_SECONDS (the public and the admin's pages, the
    CSV): shared by every host when Redis is set, else per process. Past that they are
    renewed behind the requests, which keep the old figures meanwhile (1.3 s in the request
    at a million producers); `computed_at` says how old they are."""
    return shared.cached(
        f"impact:{filters.country}:{filters.value_chain}",
        current_app.config.get("MINKA_IMPACT_CACHE_SECONDS", 0),
        lambda: impact(filters),
        refresh_behind=True,
    )


def csv_rows(figures: Impact) -> list[list[str]]:
    """(indicator, breakdown, value, unit) rows: codes in English for spreadsheets, values
    written for the viewer (grouped thousands, their separators; amounts in major units with
    the currency's code as the unit)."""

    def count(n: int) -> str:
        return number(n, 0)

    def share(value: float | None) -> str:
        return "" if value is None else number(value * 100, 1, fixed=True)

    rows = [["producers_reached", "", count(figures.producers), "producers"]]
    rows += [["producers_by_gender", g, count(n), "producers"] for g, n in figures.by_gender]
    rows += [["producers_by_country", c, count(n), "producers"] for c, n in figures.by_country]
    rows += [
        ["improved_management_farms", "", count(figures.improved_farms), "farms"],
        ["improved_management_area", "", number(figures.improved_ha, 1, fixed=True), "ha"],
        ["volume_committed", "", count(figures.committed_kg), "kg"],
        ["volume_delivered", "", count(figures.delivered_kg), "kg"],
        ["deforestation_free_share", figures.free_basis, share(figures.free_share), "%"],
        ["credit_matched", "latest_run", count(figures.matched), "producers"],
        ["credit_approved", "", count(figures.approved), "loans"],
        ["credit_disbursed", "", count(figures.disbursed), "loans"],
        [
            "repayment_rate",
            f"{count(figures.repayments)} repayments",
            share(figures.repayment_rate),
            "%",
        ],
    ]
    rows += [
        ["funds_mobilised", cur, plain_amount(minor, cur), cur] for cur, minor in figures.funds
    ]
    return rows


def to_csv(figures: Impact, filters: ImpactFilters) -> str:
    """The figures as CSV text, the filters in the first rows."""
    return csv_text(
        [
            ["indicator", "breakdown", "value", "unit"],
            ["filter_country", filters.country or "all", "", ""],
            ["filter_value_chain", filters.value_chain or "all", "", ""],
            *csv_rows(figures),
        ]
    )


def labelled(rows: list[tuple[str, int]], words: Callable[[str], str]) -> list[tuple[str, int]]:
    """(code, n) rows with each code's translated label (``words(code)``), for charts."""
    return [(words(code), n) for code, n in rows]
