"""The database as the matching library's tables, and nothing else: rows become the
library's inputs here (producers, credit products, past loan outcomes); ``credit.runs``
runs the pipeline and stores what it returns. No other package imports ``matching``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, select

from marketplace.credit import budgets, loan_terms, schedules
from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.credit.services import BP_PER_UNIT
from marketplace.extensions import db
from marketplace.models import (
    Consent,
    ConsentScope,
    CreditProduct,
    Farm,
    Loan,
    LoanStatus,
    ObjectionUse,
    Organization,
    Pledge,
    PledgeStatus,
    PriceType,
    Producer,
    PurchaseCommitment,
    Repayment,
    RepaymentOutcome,
)
from marketplace.models.tenure import documented_clause
from marketplace.producers.objections import objecting
from matching import types as matching_types

NAMED_FARMS = 5000  # farms a statement names by id; more are read through their country


def producer_frame(
    country: str, producer_id: int | None = None, *, declared_tenure: bool = False
) -> pd.DataFrame:
    """One row per producer of `country` (their largest farm), in PRODUCER_COLUMNS; only
    `producer_id`'s when given. Producers who object to credit scoring, and erased ones, are
    left out: the matching never sees them. `land_title` is secure tenure with an accepted
    document proving it; `declared_tenure` reads the declaration alone (the demo's past
    loans, granted before Minka reviewed documents)."""
    # EXISTS row by row, not `Producer.id IN (list)`: PostgreSQL hashes the list only while
    # it fits in work_mem; at a million producers it read 800,000 consents again per farm
    consent = (
        select(Consent.id)
        .where(
            Consent.producer_id == Producer.id,
            Consent.scope == ConsentScope.LENDERS,
            Consent.granted.is_(True),
        )
        .exists()
    )
    pledged = (
        select(Pledge.farm_id, func.sum(Pledge.kg).label("kg"))
        .where(Pledge.status == PledgeStatus.ACTIVE)
        .group_by(Pledge.farm_id)
        .subquery()
    )
    busy = (
        select(Loan.id)
        .where(
            Loan.producer_id == Producer.id,
            Loan.status.in_((LoanStatus.APPROVED, LoanStatus.DISBURSED)),
        )
        .exists()
    )
    query = (
        select(
            Farm.producer_id,
            Farm.id.label("farm_id"),
            Producer.gender,
            Farm.country,
            Farm.district_code,
            Farm.lat,
            Farm.lon,
            Farm.value_chain,
            Farm.productive_ha,
            Farm.total_ha,
            Farm.forest_ha,
            Farm.yield_kg_ha,
            Farm.plant_age_years,
            Producer.cooperative_id.is_not(None).label("associated"),
            Producer.cooperative_id,
            Farm.certifications,
            Farm.agroforestry,
            Farm.tenure,
            # secure tenure counts for credit only with an accepted document proving it
            (
                Farm.land_title
                if declared_tenure
                else and_(Farm.land_title, documented_clause(Farm.id, Farm.tenure)).label(
                    "land_title"
                )
            ),
            Farm.cleared_after_cutoff,
            consent.label("consent_lenders"),
            func.coalesce(pledged.c.kg, 0).label("pledged_kg"),
            busy.label("active_loan"),
        )
        .join(Producer, Producer.id == Farm.producer_id)
        .outerjoin(pledged, pledged.c.farm_id == Farm.id)
        .where(Farm.country == country)
        .where(Producer.erased_at.is_(None))
        .where(~objecting(ObjectionUse.CREDIT_SCORING, Producer.id))
        .order_by(Farm.producer_id, Farm.productive_ha.desc(), Farm.id)
    )
    if producer_id is not None:
        query = query.where(Farm.producer_id == producer_id)
    rows = db.session.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(query.selected_columns.keys()))
    frame = frame.drop_duplicates("producer_id", keep="first", ignore_index=True)
    frame["certified"] = frame.pop("certifications").map(bool)
    # groups never mix cooperatives; -1: none (solidarity groups by proximity)
    frame["cooperative_id"] = (
        pd.to_numeric(frame["cooperative_id"], errors="coerce").fillna(-1).astype(np.int64)
    )
    for column in ("yield_kg_ha", "plant_age_years", "pledged_kg"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("associated", "agroforestry", "land_title", "consent_lenders", "active_loan"):
        frame[column] = frame[column].astype(bool)
    frame["pledged_value_minor"] = pledged_value(frame, country)
    return frame


def pledged_value(frame: pd.DataFrame, country: str) -> np.ndarray:
    """What each row's farm has pledged is worth, in the country's minor units: kg x the
    commitment's fixed price, kg x (farm-gate price + premium) for a premium over a
    reference, and kg x the farm-gate price where the commitment's currency is another."""
    eco = COUNTRY_ECONOMICS.get(country)
    if eco is None or frame.empty:
        return np.zeros(len(frame))
    fixed = (PurchaseCommitment.price_type == PriceType.FIXED) & (
        PurchaseCommitment.currency == eco.currency
    )
    premium = (PurchaseCommitment.price_type == PriceType.PREMIUM) & (
        PurchaseCommitment.currency == eco.currency
    )
    ids = frame["farm_id"].tolist()
    # a statement binds at most 65,535 parameters (PostgreSQL): a country's frame of a
    # million producers is read through the farms' country instead of naming them
    farms = Pledge.farm_id.in_(ids) if len(ids) <= NAMED_FARMS else Farm.country == country
    rows = db.session.execute(
        select(
            Pledge.farm_id,
            func.sum(case((fixed, Pledge.kg * PurchaseCommitment.price_minor_per_kg), else_=0)),
            func.sum(case((fixed, 0), else_=Pledge.kg)),
            func.sum(
                case(
                    (
                        premium,
                        Pledge.kg * func.coalesce(PurchaseCommitment.premium_minor_per_kg, 0),
                    ),
                    else_=0,
                )
            ),
        )
        .join(PurchaseCommitment, PurchaseCommitment.id == Pledge.commitment_id)
        .join(Farm, Farm.id == Pledge.farm_id)
        .where(Pledge.status == PledgeStatus.ACTIVE, farms)
        .group_by(Pledge.farm_id)
    ).all()
    by_farm = pd.DataFrame(rows, columns=["farm_id", "priced", "kg", "premium"]).set_index(
        "farm_id"
    )
    by_farm = by_farm.reindex(frame["farm_id"]).fillna(0).astype(float)
    gate = frame["value_chain"].map(eco.price_per_kg_minor).fillna(0).astype(float).to_numpy()
    return (
        by_farm["priced"].to_numpy()
        + by_farm["kg"].to_numpy() * gate
        + by_farm["premium"].to_numpy()
    )


def products_for(country: str) -> list:
    """Active products of verified, not suspended lenders covering `country`."""
    rows = db.session.scalars(
        select(CreditProduct)
        .join(Organization, Organization.id == CreditProduct.organization_id)
        .where(
            CreditProduct.active.is_(True),
            CreditProduct.coverage_country == country,
            CreditProduct.budget_minor > 0,
            Organization.verified_at.is_not(None),
            Organization.suspended_at.is_(None),
        )
        .order_by(CreditProduct.id)
    )
    products = list(rows)
    left = budgets.for_matching(products)
    return [to_matching(product, left[product.id]) for product in products if left[product.id] > 0]


# the readiness factors a loan keeps from approval
SNAPSHOT_COLUMNS = matching_types.SNAPSHOT_COLUMNS


def outcome_frame(country: str) -> pd.DataFrame:
    """Closed loans of `country`'s producers, one row each: repaid (on time throughout) or
    not, the campaign (year approved), the share of that campaign's loans already closed,
    and the factors at grant (None where not recorded)."""
    # NOT EXISTS, not NOT IN: PostgreSQL hashes a NOT IN list only while it fits in work_mem,
    # and otherwise reads the list again for every loan
    bad = (
        select(Repayment.id)
        .where(
            Repayment.loan_id == Loan.id,
            Repayment.outcome.in_((RepaymentOutcome.LATE, RepaymentOutcome.DEFAULT)),
        )
        .exists()
    )
    query = (
        select(
            Loan.producer_id,
            and_(Loan.status == LoanStatus.REPAID, ~bad).label("repaid"),
            Loan.approved_at,
            Loan.factors_at_grant,
        )
        .join(Producer, Producer.id == Loan.producer_id)
        .where(Producer.country == country)
        .where(Loan.status.in_((LoanStatus.REPAID, LoanStatus.DEFAULTED)))
        .order_by(Loan.producer_id, Loan.id)
    )
    rows = db.session.execute(query).all()
    frame = pd.DataFrame(
        {
            "producer_id": [r.producer_id for r in rows],
            "repaid": [bool(r.repaid) for r in rows],
            "campaign": [r.approved_at.year for r in rows],
        }
    )
    for column in SNAPSHOT_COLUMNS:
        frame[column] = [(r.factors_at_grant or {}).get(column) for r in rows]
    share = _closed_share(country)
    frame["campaign_closed_share"] = frame["campaign"].map(share).astype(float)
    return frame.astype({"producer_id": "int64", "campaign": "int64"})


def _closed_share(country: str) -> pd.Series:
    """Per campaign (year approved), the share of its loans to `country`'s producers that
    have closed (repaid or defaulted), of those granted and not declined."""
    rows = db.session.execute(
        select(Loan.approved_at, Loan.status)
        .join(Producer, Producer.id == Loan.producer_id)
        .where(Producer.country == country)
        .where(
            Loan.status.in_(
                (LoanStatus.APPROVED, LoanStatus.DISBURSED, LoanStatus.REPAID, LoanStatus.DEFAULTED)
            )
        )
    ).all()
    loans = pd.DataFrame(
        {
            "campaign": [r.approved_at.year for r in rows],
            "closed": [r.status in (LoanStatus.REPAID, LoanStatus.DEFAULTED) for r in rows],
        }
    )
    return loans.groupby("campaign")["closed"].mean() if len(loans) else pd.Series(dtype=float)


def loan_stages(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per producer of a matching frame, from the loan records: ever approved for a loan,
    has a closed loan, and whether the latest closed one was repaid on time (the funnel's
    stages after the matching)."""
    country = str(frame["country"].iloc[0]) if len(frame) else ""
    pid = frame["producer_id"].to_numpy()
    granted = db.session.scalars(
        select(Loan.producer_id)
        .distinct()
        .join(Producer, Producer.id == Loan.producer_id)
        .where(Producer.country == country)
        .where(
            Loan.status.in_(
                (LoanStatus.APPROVED, LoanStatus.DISBURSED, LoanStatus.REPAID, LoanStatus.DEFAULTED)
            )
        )
    )
    outcomes = outcome_frame(country).drop_duplicates("producer_id", keep="last")
    latest = outcomes.set_index("producer_id")["repaid"]
    closed = np.isin(pid, latest.index.to_numpy())
    repaid = latest.reindex(pid).eq(True).to_numpy(dtype=bool)
    return np.isin(pid, list(granted)), closed, repaid & closed


def grant_snapshot(producer: Producer) -> dict | None:
    """The producer's readiness factors now, as a loan approved now keeps them (None for a
    producer the matching does not see: objectors, erased)."""
    frame = producer_frame(producer.country, producer.id)
    if frame.empty:
        return None
    row = frame.iloc[0]
    return {column: _plain(row[column]) for column in SNAPSHOT_COLUMNS}


def _plain(value):
    """A JSON value from a frame cell (numpy scalars, NaN as None)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def to_matching(product: CreditProduct, budget_minor: int) -> matching_types.CreditProduct:
    """A product row as the allocation sees it, with the budget it may allocate."""
    return matching_types.CreditProduct(
        product_id=product.id,
        lender_id=product.organization_id,
        currency=product.currency,
        value_chains=tuple(product.value_chains),
        districts=tuple(product.coverage_districts),
        min_amount_minor=product.min_amount_minor,
        max_amount_minor=product.max_amount_minor,
        budget_minor=budget_minor,
        min_readiness=float(product.min_readiness),
        requires_offtake=product.requires_offtake,
        annual_rate=product.annual_rate_bp / BP_PER_UNIT,
        term_months=product.term_months,
        min_members=product.min_members,
        max_members=product.max_members,
        target_archetypes=tuple(product.target_archetypes or ()),
        unit_schedule=unit_schedule(product),
        collateral_ratio=product.collateral_ratio_bp / BP_PER_UNIT,
        amount_step_minor=product.amount_step_minor or 0,
    )


# a principal large enough that rounding to the minor unit leaves the ratios exact
UNIT_PRINCIPAL = 10**9


def unit_schedule(product: CreditProduct) -> tuple[tuple[str, tuple[tuple[int, float], ...]], ...]:
    """Per value chain the product serves, each instalment of a loan disbursed today as
    (calendar month, payment per unit of principal): the same schedule as its offers and
    loans (credit/loan_terms.py), for the matching's affordability and collateral checks.
    A fixed fee per payment weighs nothing at this scale; the check sees rate and insurance."""
    out = []
    for chain in product.value_chains:
        try:
            schedule = loan_terms.schedule_for(product, UNIT_PRINCIPAL, chain)
        except schedules.ScheduleError:
            continue  # the library falls back to a level monthly annuity
        payments = tuple(
            (p.due_on.month, (p.amount_minor - p.fee_minor) / UNIT_PRINCIPAL)
            for p in schedule.payments
        )
        out.append((chain, payments))
    return tuple(out)


def readiness_factors(
    producers: pd.DataFrame, reference: pd.DataFrame | None = None
) -> tuple[tuple[str, ...], np.ndarray]:
    """The readiness factors the matching scores, one row per producer of a matching frame
    (names, and a producers x factors array), yields judged against `reference`'s medians
    (the producers' own by default): the demo world draws loan outcomes from them."""
    # imported here: matching.readiness loads scikit-learn, which the web app loads only
    # when a matching runs (the CLI imports this package at start)
    from matching.readiness import FACTORS, chain_median_yield, factor_matrix

    medians = chain_median_yield(producers if reference is None else reference)
    return tuple(FACTORS), factor_matrix(producers, medians)
