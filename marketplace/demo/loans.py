"""The credit part of the demo world: lenders' products, past loans with their repayments,
and a few loans still being repaid.

Past loans are the lenders' records of earlier campaigns, brought into Minka when they
joined (so they may predate a producer's registration, and carry no audit rows: no one
decided them in Minka). They exist so that the readiness model can be trained: the app runs
the matching per country and trains on each producer's latest closed loan once a country
has ``MatchParams.min_outcomes`` of them, so every country gets at least
``loan_rows.MIN_CLOSED`` borrowers (when it has that many producers a product serves).

Outcomes are drawn from a logistic model of the same centred factors the matching scores
(``matching.readiness.factor_matrix``, weights ``loan_rows.TRUE_WEIGHTS``): yield,
association, land title and pledges to buyers weigh most, so a trained model finds real
signal; ``loan_rows.REPAID_SHARE`` of the loans were repaid on time, the others paid late or
defaulted. The demo producer has no loan: she is the one the browser journey finances.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from time import perf_counter

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from marketplace.credit import usury
from marketplace.credit.frames import producer_frame
from marketplace.demo import bulk, lenders, loan_ledgers, loan_rows
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
    PlatformSetting,
    Producer,
    Repayment,
    RepaymentOutcome,
    User,
)

DAY = timedelta(days=1)
# of the loans still open: offers waiting for the producer's answer, offers she declined
ANSWER_SHARES = (0.08, 0.05)


def build(rng: np.random.Generator, anchor: datetime, say: Callable[[str], None]) -> dict[str, int]:
    """Write credit products, past and open loans with repayments; return {table: count}."""
    started = perf_counter()
    orgs = _lenders()
    if not orgs:
        return {}
    # past loans were granted on the declared tenure, before Minka reviewed documents
    frames = {
        c: producer_frame(c, declared_tenure=True) for c in sorted({o[1] for o in orgs.values()})
    }
    ceiling = lenders.DEMO_USURY_CEILING
    db.session.add(PlatformSetting(key=usury.KEY, value=usury.stored_value(ceiling)))
    counts, products = _write_products(rng, anchor, orgs, frames)
    demo = db.session.scalar(
        select(Producer.id).join(User, User.id == Producer.user_id)
        .where(User.email == DEMO_PRODUCER_EMAIL)
    )  # fmt: skip
    loans: dict[str, list] = {}
    repayments: dict[str, list] = {}
    for country, frame in frames.items():
        offered = [p for p in products if p["coverage_country"] == country]
        drawn, paid = loan_rows.draw(rng, anchor, frame[frame["producer_id"] != demo], offered)
        if drawn:
            done = len(loans.get("producer_id", ()))
            paid["loan"] = [done + row for row in paid["loan"]]
            for table, columns in ((loans, drawn), (repayments, paid)):
                for key, values in columns.items():
                    table.setdefault(key, []).extend(values)
    loan_ids = bulk.reserve_ids(Loan, len(loans.get("producer_id", ())))
    counts["loan"] = bulk.insert_columns(Loan, {"id": loan_ids, **loans}) if loans else 0
    if repayments.get("loan"):
        loan_of = np.asarray(repayments.pop("loan"), dtype=np.int64)
        counts["repayment"] = bulk.insert_columns(
            Repayment,
            {
                "id": bulk.reserve_ids(Repayment, len(loan_of)),
                "loan_id": loan_ids[loan_of],
                **repayments,
            },
        )
    counts |= loan_ledgers.answer_some(rng, ANSWER_SHARES[0], ANSWER_SHARES[1])
    counts |= loan_ledgers.follow_schedules(rng, anchor.date())
    say(
        f"  credit: {', '.join(f'{k} {v:,}' for k, v in counts.items())} "
        f"in {perf_counter() - started:.1f} s"
    )
    return counts


def summary() -> str:
    """One line on the credit part of the world, from the database."""
    products = db.session.scalar(select(func.count(CreditProduct.id)))
    lenders_n = db.session.scalar(select(func.count(func.distinct(CreditProduct.organization_id))))
    by_status = dict(
        db.session.execute(select(Loan.status, func.count(Loan.id)).group_by(Loan.status)).all()
    )
    late = (
        select(Repayment.id)
        .where(Repayment.loan_id == Loan.id, Repayment.outcome != RepaymentOutcome.ON_TIME)
        .exists()
    )  # NOT EXISTS: the million-producer world's NOT IN ran past 5 minutes on PostgreSQL
    on_time = db.session.scalar(
        select(func.count(Loan.id)).where(Loan.status == LoanStatus.REPAID, ~late)
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
