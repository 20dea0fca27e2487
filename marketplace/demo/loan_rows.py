"""Drawing one country's loans and repayments, column-wise with numpy (100,000 producers
give ~33,000 loans and ~185,000 repayments).

Who borrowed: producers a product covers (value chain and district), ``BORROWER_SHARE`` of
the country but at least ``MIN_CLOSED``; a few more (``OPEN_SHARE``) are repaying now. Each
loan is under one covering product picked at random, for the inputs of part of the
producer's area, within the product's limits, at its rate and term. Instalments fall due
every month, or every six months when repayment follows the harvest, after the grace period.

Closed loans were granted in the input season (February to April) of one of the last three
campaigns, the latest only to loans short enough to have closed; open loans recently. Each
loan keeps the producer's factors *as they were at grant* (``factors_at_grant``): today's
drifted back (the area a little, the yield by a good or bad year, plants younger, pledges
and certificates not yet made, some titles and memberships not yet obtained).

Outcomes follow a logistic model of those grant-time factors (weights ``TRUE_WEIGHTS``) plus
a shock per producer that no recorded factor shows (health, family, a flood: ``SHOCK_SD`` on
the logit), so no model can reach the generator's discrimination: repaid on time, late (one
or two instalments 15-60 days late), or defaulted (some instalments paid, then a
``default`` row with nothing paid, 30 days after a due date).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.credit.frames import SNAPSHOT_COLUMNS, readiness_factors

MONTH_DAYS = 30.44
BORROWER_SHARE = 0.3  # of a country's producers, had a loan in an earlier campaign
MIN_CLOSED = 240  # closed loans per country at least: min_outcomes (200) with a margin
OPEN_SHARE = 0.03  # of a country's producers, still repaying a loan now
REPAID_SHARE = 0.85  # of closed loans, repaid on time throughout
LATE_SHARE = 0.6  # of the others: paid in full but late (the rest defaulted)
IN_PERSON_SHARE = 0.5  # of accepted loans, recorded by the cooperative's technician with her
TRUE_WEIGHTS = {
    "area": 0.3, "yield": 1.0, "plant_age": 0.3, "associated": 0.5, "certified": 0.2,
    "land_title": 0.6, "agroforestry": 0.2, "market": 2.0, "clearing": 0.3,
}  # fmt: skip
SHOCK_SD = 1.0  # unobserved per-producer shock on the logit of repaying
CAMPAIGNS_BACK = 3  # closed loans were granted in one of the last three input seasons
SEASON = (2, 90)  # the input season starts on 1 February and lasts 90 days
ROUND_TO = {"PEN": 10_000, "MXN": 50_000, "COP": 10_000_000}  # minor units of a loan amount
ON_TIME, LATE, DEFAULT, OPEN = range(4)  # kinds of loan
STATUS = np.array(["repaid", "repaid", "defaulted", "disbursed"])


def covering(frame: pd.DataFrame, products: list[dict], rng: np.random.Generator) -> np.ndarray:
    """Per producer, the index in `products` of one product covering them at random, or -1."""
    score = np.zeros((len(frame), len(products) + 1))  # the last column: none covers
    for j, product in enumerate(products):
        fits = frame["value_chain"].isin(product["value_chains"]) & frame["district_code"].isin(
            product["coverage_districts"]
        )
        score[fits.to_numpy(), j] = 1.0 + rng.random(int(fits.sum()))
    pick = score.argmax(axis=1)
    return np.where(pick == len(products), -1, pick)


def repaid_probability(
    frame: pd.DataFrame,
    rows: np.ndarray,
    shock: np.ndarray | None = None,
    reference: pd.DataFrame | None = None,
) -> np.ndarray:
    """P(repaid on time) of `frame`'s producers at `rows` under TRUE_WEIGHTS plus `shock`
    (per row of `rows`), yields judged against `reference`'s medians, with the intercept set
    so that the mean over them is REPAID_SHARE."""
    names, factors = readiness_factors(frame, reference)
    x = factors[rows] @ np.array([TRUE_WEIGHTS[name] for name in names])
    if shock is not None:
        x = x + shock
    low, high = -20.0, 20.0
    for _ in range(60):  # bisection: the mean probability increases with the intercept
        mid = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(mid + x)))) < REPAID_SHARE:
            low = mid
        else:
            high = mid
    return 1 / (1 + np.exp(-(low + x)))


def _borrowers(
    rng: np.random.Generator, frame: pd.DataFrame, product: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `frame` that borrowed, and whether each loan is still open (closed first)."""
    candidates = np.flatnonzero(product >= 0)
    n = len(frame)
    k = min(len(candidates), max(round(BORROWER_SHARE * n), MIN_CLOSED))
    closed = np.sort(rng.choice(candidates, k, replace=False))
    k_open = min(len(candidates), round(OPEN_SHARE * n))
    opened = np.sort(rng.choice(candidates, k_open, replace=False))
    is_open = np.concatenate([np.zeros(k, dtype=bool), np.ones(k_open, dtype=bool)])
    return np.concatenate([closed, opened]), is_open


def _granted(
    rng: np.random.Generator, anchor: datetime, span: np.ndarray, is_open: np.ndarray
) -> np.ndarray:
    """Days before the anchor each loan was approved: closed loans in the input season of
    one of the last CAMPAIGNS_BACK years, late enough only if they ended 75+ days ago."""
    m = len(span)
    back = rng.integers(1, CAMPAIGNS_BACK + 1, m)
    into = rng.uniform(0, SEASON[1], m)

    def season_days(k: np.ndarray) -> np.ndarray:
        start = [(anchor - datetime(anchor.year - y, SEASON[0], 1, tzinfo=anchor.tzinfo)).days
                 for y in range(CAMPAIGNS_BACK + 8)]  # fmt: skip
        return np.asarray(start, dtype=float)[k] - into

    days = season_days(back)
    for _ in range(6):  # a loan too long to have closed moves to an earlier campaign
        back = np.where(days < span + 90, back + 1, back)
        days = season_days(back)
    recent = rng.uniform(20, np.maximum(span - 15, 25))
    return np.where(is_open, recent, days)


def grant_snapshot(
    rng: np.random.Generator, frame: pd.DataFrame, rows: np.ndarray, days: np.ndarray
) -> pd.DataFrame:
    """The factors of `frame`'s producers at `rows` as they were `days` before the anchor."""
    now = frame.iloc[rows].reset_index(drop=True)
    m = len(rows)
    ha = np.round(now["productive_ha"].to_numpy(float) * np.exp(rng.normal(0, 0.1, m)), 2)
    yld = now["yield_kg_ha"].to_numpy(float) * np.exp(rng.normal(0, 0.25, m))
    age = now["plant_age_years"].to_numpy(float) - np.floor(days / 365.25)
    pledged = now["pledged_kg"].to_numpy(float)
    kept = rng.random(m) < 0.5
    new = (pledged <= 0) & (rng.random(m) < 0.15)
    volume = np.nan_to_num(ha * yld, nan=0.0)
    pledged = np.where(new, np.round(rng.uniform(0.1, 0.6, m) * volume), pledged * kept)

    def earlier(column: str, keep: float, gain: float) -> np.ndarray:
        held = now[column].to_numpy(bool)
        return np.where(held, rng.random(m) < keep, rng.random(m) < gain)

    return pd.DataFrame(
        {
            "value_chain": now["value_chain"].to_numpy(),
            "productive_ha": np.maximum(ha, 0.1),
            "yield_kg_ha": np.round(yld, -1),
            "plant_age_years": np.maximum(age, 0.0),
            "associated": earlier("associated", 0.92, 0.05),
            "certified": earlier("certified", 0.8, 0.04),
            "agroforestry": now["agroforestry"].to_numpy(bool),
            "land_title": earlier("land_title", 0.9, 0.0),
            "cleared_after_cutoff": now["cleared_after_cutoff"].to_numpy(),
            "pledged_kg": pledged,
        }
    )[list(SNAPSHOT_COLUMNS)]


def _records(snapshot: pd.DataFrame) -> list[dict]:
    """Snapshot rows as JSON objects (NaN as None)."""
    clean = snapshot.astype(object).where(snapshot.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in clean.to_dict(orient="records")
    ]


def _schedule(product: dict) -> list[int]:
    """Months after disbursement when instalments fall due."""
    grace, term = product["grace_months"], product["term_months"]
    step = 6 if product["repayment"] == "harvest" else 1
    n = max(math.ceil((term - grace) / step), 1)
    return [min(grace + step * (i + 1), term) for i in range(n)]


def _amounts(frame: pd.DataFrame, rows: np.ndarray, products: list[dict], prod: np.ndarray,
             rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Inputs for 50-100 % of the producer's area, rounded, within the product's limits."""
    country = products[0]["coverage_country"]
    currency = products[0]["currency"]
    cost = frame["value_chain"].map(COUNTRY_ECONOMICS[country].input_cost_per_ha_minor)
    need = frame["productive_ha"].to_numpy(float)[rows] * cost.fillna(0).to_numpy(float)[rows]
    step = ROUND_TO.get(currency, 10_000)
    need = np.round(need * rng.uniform(0.5, 1.0, len(rows)) / step) * step
    low = np.array([p["min_amount_minor"] for p in products])[prod]
    high = np.array([p["max_amount_minor"] for p in products])[prod]
    return np.clip(need, low, high).astype(np.int64)


def draw(
    rng: np.random.Generator, anchor: datetime, frame: pd.DataFrame, products: list[dict]
) -> tuple[dict[str, list], dict[str, list]]:
    """Loans and repayments of one country's producers under its `products`, as columns;
    a repayment's "loan" is the row of its loan."""
    if not products or frame.empty:
        return {}, {}
    product = covering(frame, products, rng)
    rows, is_open = _borrowers(rng, frame, product)
    prod = product[rows]
    m = len(rows)
    months = [_schedule(p) for p in products]
    n_inst = np.array([len(s) for s in months])[prod]
    span = np.array([s[-1] for s in months])[prod] * MONTH_DAYS
    # days before the anchor: closed loans ended at least 75 days ago (late payments too)
    before = _granted(rng, anchor, span, is_open)
    snapshot = grant_snapshot(rng, frame, rows, before)
    shock = rng.normal(0.0, SHOCK_SD, m)
    repaid = rng.random(m) < repaid_probability(snapshot, np.arange(m), shock, frame)
    late_or_default = np.where(rng.random(m) < LATE_SHARE, LATE, DEFAULT)
    kind = np.where(is_open, OPEN, np.where(repaid, ON_TIME, late_or_default))
    disbursed = before - rng.uniform(2, 10, m)
    amount = _amounts(frame, rows, products, prod, rng)
    rate = np.array([p["annual_rate_bp"] for p in products])[prod] / 10_000
    term = np.array([p["term_months"] for p in products])[prod]
    instalment = np.round(amount * (1 + rate) ** (term / 12) / n_inst).astype(np.int64)

    # one row per instalment due: its loan, its position j, its due date
    loan = np.repeat(np.arange(m), n_inst)
    first = np.cumsum(n_inst) - n_inst
    j = np.arange(len(loan)) - first[loan]
    padded = np.zeros((len(products), max(len(s) for s in months)))
    for i, s in enumerate(months):
        padded[i, : len(s)] = s
    due = disbursed[loan] - padded[prod[loan], j] * MONTH_DAYS
    # late loans: one or two instalments, picked at random, paid late
    order = np.lexsort((rng.random(len(loan)), loan))
    rank = np.empty(len(loan), dtype=np.int64)
    rank[order] = np.arange(len(loan)) - first[loan[order]]
    late_n = np.where(kind == LATE, np.minimum(n_inst, rng.integers(1, 3, m)), 0)
    late = rank < late_n[loan]
    # defaulted loans: instalments before `stop` paid, the one at `stop` not paid
    stop = np.where(kind == DEFAULT, (rng.random(m) * n_inst).astype(np.int64), n_inst)
    missed = (kind[loan] == DEFAULT) & (j == stop[loan])
    # loans still being repaid follow their real schedules (demo.loan_ledgers)
    keep = (j <= stop[loan]) & (kind[loan] != OPEN)
    shift = np.where(missed, 30.0, np.where(late, rng.uniform(15, 60, len(loan)), 0.0))
    paid = due - shift + np.where(late | missed, 0.0, rng.uniform(0, 5, len(loan)))
    outcome = np.where(missed, "default", np.where(late, "late", "on_time"))
    loan, paid, outcome = loan[keep], paid[keep], outcome[keep]
    amount_paid = np.where(outcome == "default", 0, instalment[loan])
    ended = np.full(m, np.inf)
    np.minimum.at(ended, loan, paid)

    def when(days: np.ndarray) -> list[datetime]:
        return [anchor - timedelta(days=d) for d in days.tolist()]

    actor = np.array([p["actor"] for p in products])[prod].tolist()
    loans = {
        "producer_id": frame["producer_id"].to_numpy()[rows].tolist(),
        "lender_id": [products[i]["organization_id"] for i in prod.tolist()],
        "credit_product_id": [products[i]["id"] for i in prod.tolist()],
        "amount_minor": amount.tolist(),
        "used_minor": [0] * m,
        "currency": [products[i]["currency"] for i in prod.tolist()],
        "annual_rate_bp": [products[i]["annual_rate_bp"] for i in prod.tolist()],
        "total_cost_bp": [products[i]["total_cost_bp"] for i in prod.tolist()],
        "term_months": term.tolist(),
        "status": STATUS[kind].tolist(),
        "approved_by_id": actor,
        "approved_at": when(before),
        # every demo loan was paid out, so the producer accepted it, a day after approval
        "accepted_at": [at + timedelta(days=1) for at in when(before)],
        "accepted_by_id": [None] * m,
        # a child stream: the parent's draws, and so the rest of the world, stay as they were
        "accepted_in_person": (rng.spawn(1)[0].random(m) < IN_PERSON_SHARE).tolist(),
        "disbursed_at": when(disbursed),
        "closed_at": [
            None if k == OPEN else at
            for k, at in zip(kind.tolist(), when(np.where(kind == OPEN, 0, ended)), strict=True)
        ],
        "factors_at_grant": _records(snapshot),
    }
    paid_at = when(paid)
    repayments = {
        "loan": loan.tolist(),
        "amount_minor": amount_paid.tolist(),
        "paid_on": [at.date() for at in paid_at],
        "outcome": outcome.tolist(),
        "recorded_by_id": [actor[i] for i in loan.tolist()],
        "created_at": paid_at,
    }
    return loans, repayments
