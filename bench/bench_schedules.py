"""Benchmark the loan arithmetic: schedules, their cost by country, and ledgers.

    python bench/bench_schedules.py                 # 100,000 loans
    python bench/bench_schedules.py --loans 20000

Draws loans like the demo's (PEN/MXN/COP amounts, 12-36 % TEA, 6-24 months, monthly or at
harvest or by a deadline, grace capitalised or paid, desgravamen and a fee per payment),
then times, in one thread: building every schedule (credit/schedules.py), its cost under
the borrower's country rules (TCEA / CAT / E.A., an internal rate of return), and the
ledger of each loan after a year of repayments, some late (credit/ledger.py). Prints
figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np

from marketplace.credit import ledger, schedules

COUNTRIES = ("PE", "MX", "CO")
START = date(2026, 1, 15)


def _terms(rng: np.random.Generator, n: int) -> list[tuple[str, schedules.Terms]]:
    loans = []
    for _ in range(n):
        term = int(rng.choice((6, 9, 12, 18, 24)))
        mode = schedules.Mode(rng.choice(list(schedules.Mode), p=(0.35, 0.55, 0.10)))
        grace = int(rng.integers(0, 4)) if mode == schedules.Mode.MONTHLY else 0
        offsets = ()
        if mode == schedules.Mode.HARVEST:
            first = int(rng.integers(3, 7))
            offsets = tuple(range(first, term + 1, 6))
        loans.append(
            (
                str(rng.choice(COUNTRIES)),
                schedules.Terms(
                    principal_minor=int(rng.integers(2_000, 20_000)) * 100,
                    annual_rate=float(rng.uniform(0.12, 0.36)),
                    term_months=term,
                    disbursed_on=START + timedelta(days=int(rng.integers(0, 200))),
                    mode=mode,
                    grace_months=grace,
                    grace=schedules.Grace(rng.choice(list(schedules.Grace))),
                    harvest_offsets=offsets,
                    insurance_monthly_rate=float(rng.choice((0.0, 0.0005, 0.0007))),
                    fee_minor=int(rng.choice((0, 500, 1_000))),
                ),
            )
        )
    return loans


def _repayments(rng: np.random.Generator, schedule: schedules.Schedule) -> list:
    """Each instalment paid on time, a few to 60 days late, some not at all."""
    paid = []
    for payment in schedule.payments:
        if rng.random() < 0.05:
            break
        late = int(rng.integers(1, 60)) if rng.random() < 0.15 else 0
        paid.append((payment.due_on + timedelta(days=late), payment.amount_minor))
    return paid


def _timed(label: str, items: list, work) -> list:
    started = time.perf_counter()
    results = [work(item) for item in items]
    elapsed = time.perf_counter() - started
    per = elapsed / max(len(results), 1) * 1e6
    print(f"  {label:<34} {elapsed:7.2f} s   {per:7.1f} µs per loan")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    loans = _terms(rng, args.loans)
    print(f"{args.loans:,} loans (one thread)")
    built = _timed("schedules", loans, lambda loan: schedules.build(loan[1]))
    _timed(
        "cost from the cash flows",
        list(zip(loans, built, strict=True)),
        lambda pair: schedules.country_cost(pair[1], pair[0][0]),
    )
    today = START + timedelta(days=365)
    paid = [_repayments(rng, schedule) for schedule in built]
    _timed(
        "ledgers after a year",
        list(zip(loans, built, paid, strict=True)),
        lambda row: ledger.run(
            ledger.planned(row[1].payments), row[2], today, 0.12, row[0][1].disbursed_on
        ),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
