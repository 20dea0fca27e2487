"""The credit part of the demo world: lenders' products, past loans with their repayments,
and a few loans still being repaid.

Past loans are the lenders' records of earlier campaigns, brought into Minka when they
joined (so they may predate a producer's registration, and carry no audit rows: no one
decided them in Minka). They exist so that the readiness model can be trained: the app runs
the matching per country and trains on each producer's latest closed loan once a country
has ``MatchParams.min_outcomes`` of them, so every country gets at least ``MIN_CLOSED``
borrowers (when it has that many producers a product serves).

Outcomes are drawn from a logistic model of the same centred factors the matching scores
(``matching.readiness.factor_matrix``) with ``TRUE_WEIGHTS``: yield, association, land title
and pledges to buyers weigh most, so a trained model finds real signal. The intercept is set
so that ``REPAID_SHARE`` of the loans were repaid on time; the others were paid late or
defaulted. The demo producer has no loan: she is the one the browser journey finances.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from marketplace.credit.runs import COUNTRY_ECONOMICS, producer_frame
from marketplace.demo import bulk, lenders
from marketplace.demo.commitments import DEMO_PRODUCER_EMAIL
from marketplace.demo.landscapes import ORGANIZATIONS
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    CreditProduct,
    Loan,
    LoanStatus,
    Organization,
    OrgKind,
    Producer,
    Repayment,
    RepaymentOutcome,
    User,
)
from matching.readiness import FACTORS, chain_median_yield, factor_matrix

DAY = timedelta(days=1)
MONTH_DAYS = 30.44
BORROWER_SHARE = 0.3  # of a country's producers, had a loan in an earlier campaign
MIN_CLOSED = 240  # closed loans per country at least: min_outcomes (200) with a margin
OPEN_SHARE = 0.03  # of a country's producers, still repaying a loan now
REPAID_SHARE = 0.85  # of closed loans, repaid on time throughout
LATE_SHARE = 0.6  # of the others: paid in full but late (the rest defaulted)
TRUE_WEIGHTS = {
    "area": 0.3, "yield": 1.0, "plant_age": 0.3, "associated": 0.5, "certified": 0.2,
    "land_title": 0.6, "agroforestry": 0.2, "market": 2.0, "clearing": 0.3,
}  # fmt: skip
ROUND_TO = {"PEN": 10_000, "MXN": 50_000, "COP": 10_000_000}  # minor units of a loan amount


def build(rng: np.random.Generator, anchor: datetime, say: Callable[[str], None]) -> dict[str, int]:
    """Write credit products, past and open loans with repayments; return {table: count}."""
    orgs = _lenders()
    if not orgs:
        return {}
    frames = {c: producer_frame(c) for c in sorted({o[1] for o in orgs.values()})}
    counts, products = _write_products(rng, anchor, orgs, frames)
    demo = db.session.scalar(
        select(Producer.id).join(User, User.id == Producer.user_id)
        .where(User.email == DEMO_PRODUCER_EMAIL)
    )  # fmt: skip
    loans: list[dict] = []
    repayments: list[dict] = []
    for country, frame in frames.items():
        offered = [p for p in products if p["coverage_country"] == country]
        _plan_loans(rng, anchor, frame[frame["producer_id"] != demo], offered, loans, repayments)
    loan_ids = bulk.reserve_ids(Loan, len(loans))
    counts["loan"] = bulk.insert_columns(
        Loan, {"id": loan_ids, **{key: [row[key] for row in loans] for key in loans[0]}}
    ) if loans else 0  # fmt: skip
    if repayments:
        keys = [key for key in repayments[0] if key != "loan"]
        counts["repayment"] = bulk.insert_columns(
            Repayment,
            {
                "id": bulk.reserve_ids(Repayment, len(repayments)),
                "loan_id": loan_ids[[row["loan"] for row in repayments]],
                **{key: [row[key] for row in repayments] for key in keys},
            },
        )
    say(f"  credit: {', '.join(f'{k} {v:,}' for k, v in counts.items())}")
    return counts


def summary() -> str:
    """One line on the credit part of the world, from the database."""
    products = db.session.scalar(select(func.count(CreditProduct.id)))
    lenders_n = db.session.scalar(select(func.count(func.distinct(CreditProduct.organization_id))))
    by_status = dict(
        db.session.execute(select(Loan.status, func.count(Loan.id)).group_by(Loan.status)).all()
    )
    late = select(Repayment.loan_id).where(Repayment.outcome != RepaymentOutcome.ON_TIME)
    on_time = db.session.scalar(
        select(func.count(Loan.id)).where(Loan.status == LoanStatus.REPAID, Loan.id.not_in(late))
    )
    closed = by_status.get(LoanStatus.REPAID, 0) + by_status.get(LoanStatus.DEFAULTED, 0)
    return (
        f"  credit: {products} products of {lenders_n} lenders; {closed:,} closed loans "
        f"({on_time / max(closed, 1):.0%} repaid on time), "
        f"{by_status.get(LoanStatus.DISBURSED, 0):,} still being repaid"
    )


def _lenders() -> dict[str, tuple[int, str, int]]:
    """OrgSpec key -> (organization id, country, first staff user id) of verified lenders."""
    keys = {spec.name: spec.key for spec in ORGANIZATIONS}
    rows = db.session.execute(
        select(Organization.id, Organization.name, Organization.country, User.id)
        .join(User, User.organization_id == Organization.id)
        .where(Organization.kind == OrgKind.LENDER, Organization.verified_at.is_not(None))
        .order_by(Organization.id, User.id)
    ).all()
    found: dict[str, tuple[int, str, int]] = {}
    for org_id, name, country, user_id in rows:
        if name in keys:
            found.setdefault(keys[name], (org_id, country, user_id))
    return found


def _write_products(
    rng: np.random.Generator,
    anchor: datetime,
    orgs: dict[str, tuple[int, str, int]],
    frames: dict[str, pd.DataFrame],
) -> tuple[dict[str, int], list[dict]]:
    """Insert the products of PRODUCTS whose lender exists, with their audit rows."""
    rows, actors = [], []
    for spec in lenders.PRODUCTS:
        if spec.lender not in orgs:
            continue
        org_id, country, actor = orgs[spec.lender]
        created = anchor - float(rng.uniform(90, 400)) * DAY
        rows.append(lenders.product_row(spec, org_id, frames[country], created))
        actors.append(actor)
    ids = bulk.reserve_ids(CreditProduct, len(rows))
    count = bulk.insert_columns(CreditProduct, {"id": ids, **_columns(rows)})
    audit = {
        "at": [row["created_at"] for row in rows],
        "actor_id": actors,
        "action": ["credit_product.created"] * len(rows),
        "entity_type": ["credit_product"] * len(rows),
        "entity_id": ids.tolist(),
        "detail": [{"name": row["name"], "active": True} for row in rows],
    }
    bulk.insert_columns(AuditLog, {"id": bulk.reserve_ids(AuditLog, len(rows)), **audit})
    for row, product_id, actor in zip(rows, ids.tolist(), actors, strict=True):
        row.update(id=product_id, actor=actor)
    return {"credit_product": count, "audit_log (credit)": len(rows)}, rows


def _columns(rows: list[dict]) -> dict[str, list]:
    return {key: [row[key] for row in rows] for key in rows[0]} if rows else {}


def _covering(frame: pd.DataFrame, products: list[dict], rng: np.random.Generator) -> np.ndarray:
    """Per producer, the row in `products` of one product covering them at random, or -1."""
    score = np.full((len(frame), len(products) + 1), -1.0)
    score[:, -1] = 0.0  # "none" wins only when no product covers
    for j, product in enumerate(products):
        fits = frame["value_chain"].isin(product["value_chains"]) & frame["district_code"].isin(
            product["coverage_districts"]
        )
        score[fits.to_numpy(), j] = 1.0 + rng.random(int(fits.sum()))
    pick = score.argmax(axis=1)
    return np.where(pick == len(products), -1, pick)


def repaid_probability(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """P(repaid on time) of `frame`'s producers at `rows` under TRUE_WEIGHTS, with the
    intercept set so that the mean over them is REPAID_SHARE."""
    factors = factor_matrix(frame, chain_median_yield(frame))[rows]
    x = factors @ np.array([TRUE_WEIGHTS[f] for f in FACTORS])
    low, high = -20.0, 20.0
    for _ in range(60):  # bisection: the mean probability increases with the intercept
        mid = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(mid + x)))) < REPAID_SHARE:
            low = mid
        else:
            high = mid
    return 1 / (1 + np.exp(-(low + x)))


def _plan_loans(
    rng: np.random.Generator,
    anchor: datetime,
    frame: pd.DataFrame,
    products: list[dict],
    loans: list[dict],
    repayments: list[dict],
) -> None:
    """Closed loans (repaid on time, late, or defaulted) and open ones for one country."""
    if not products or frame.empty:
        return
    product = _covering(frame, products, rng)
    candidates = np.flatnonzero(product >= 0)
    n = len(frame)
    k = min(len(candidates), max(round(BORROWER_SHARE * n), MIN_CLOSED))
    closed = np.sort(rng.choice(candidates, k, replace=False))
    p = repaid_probability(frame, closed)
    u = rng.random(k)
    outcome = np.where(u < p, "on_time", np.where(rng.random(k) < LATE_SHARE, "late", "default"))
    k_open = min(len(candidates), round(OPEN_SHARE * n))
    opened = np.sort(rng.choice(candidates, k_open, replace=False))
    rows = np.concatenate([closed, opened])
    kinds = np.concatenate([outcome, np.full(k_open, "open")])
    ha = frame["productive_ha"].to_numpy(dtype=float)[rows]
    chain = frame["value_chain"].to_numpy()[rows]
    ids = frame["producer_id"].to_numpy()[rows]
    share = rng.uniform(0.5, 1.0, len(rows))
    for i, (row, kind) in enumerate(zip(rows.tolist(), kinds.tolist(), strict=True)):
        spec = products[product[row]]
        amount = _amount(spec, ha[i] * share[i], str(chain[i]))
        _add_loan(rng, anchor, spec, int(ids[i]), amount, kind, loans, repayments)


def _amount(product: dict, ha: float, chain: str) -> int:
    """Inputs for `ha` hectares, rounded, within the product's limits."""
    eco = COUNTRY_ECONOMICS[product["coverage_country"]]
    step = ROUND_TO.get(product["currency"], 10_000)
    need = round(ha * eco.input_cost_per_ha.get(chain, 0) / step) * step
    return int(min(max(need, product["min_amount_minor"]), product["max_amount_minor"]))


def _schedule(product: dict) -> list[float]:
    """Months after disbursement when instalments fall due."""
    grace, term = product["grace_months"], product["term_months"]
    step = 6 if product["repayment"] == "harvest" else 1
    n = max(math.ceil((term - grace) / step), 1)
    return [min(grace + step * (i + 1), term) for i in range(n)]


def _add_loan(
    rng: np.random.Generator,
    anchor: datetime,
    product: dict,
    producer_id: int,
    amount: int,
    kind: str,
    loans: list[dict],
    repayments: list[dict],
) -> None:
    """One loan and its repayments; `kind` is on_time | late | default | open."""
    due_months = _schedule(product)
    span = due_months[-1] * MONTH_DAYS
    if kind == "open":  # disbursed within the term: some instalments still to come
        before = float(rng.uniform(20, max(span - 15, 25)))
    else:
        before = span + float(rng.uniform(45, 540))
    approved = anchor - before * DAY
    disbursed = approved + float(rng.uniform(2, 10)) * DAY
    dues = [disbursed + m * MONTH_DAYS * DAY for m in due_months]
    total = amount * (1 + product["annual_rate_bp"] / 10_000) ** (product["term_months"] / 12)
    instalment = int(round(total / len(dues)))
    late = set()
    if kind == "late":
        late = set(rng.choice(len(dues), min(len(dues), int(rng.integers(1, 3))), replace=False))
    stop = int(rng.integers(0, len(dues))) if kind == "default" else len(dues)
    loan = len(loans)
    paid_on = disbursed
    for j, due in enumerate(dues):
        if kind == "open" and due >= anchor:
            break
        if j == stop:
            paid_on = due + 30 * DAY
            repayments.append(_repayment(loan, 0, paid_on, RepaymentOutcome.DEFAULT, product))
            break
        paid_on = (
            due + (float(rng.uniform(15, 60)) if j in late else -float(rng.uniform(0, 5))) * DAY
        )
        outcome = RepaymentOutcome.LATE if j in late else RepaymentOutcome.ON_TIME
        repayments.append(_repayment(loan, instalment, paid_on, outcome, product))
    status = {
        "open": LoanStatus.DISBURSED, "default": LoanStatus.DEFAULTED,
    }.get(kind, LoanStatus.REPAID)  # fmt: skip
    loans.append(
        {
            "producer_id": producer_id,
            "lender_id": product["organization_id"],
            "credit_product_id": product["id"],
            "match_id": None,
            "amount_minor": amount,
            "used_minor": 0,
            "currency": product["currency"],
            "annual_rate_bp": product["annual_rate_bp"],
            "total_cost_bp": product["total_cost_bp"],
            "term_months": product["term_months"],
            "status": str(status),
            "approved_by_id": product["actor"],
            "approved_at": approved,
            "disbursed_at": disbursed,
            "closed_at": None if kind == "open" else paid_on,
        }
    )


def _repayment(loan: int, amount: int, when: datetime, outcome: str, product: dict) -> dict:
    return {
        "loan": loan,
        "amount_minor": amount,
        "paid_on": when.date(),
        "outcome": str(outcome),
        "recorded_by_id": product["actor"],
        "created_at": when,
    }
