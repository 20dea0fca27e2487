"""Measure the demo world's credit offers against the farms' money (5,000 producers by default).

    python bench/bench_offer_affordability.py
    python bench/bench_offer_affordability.py --producers 20000

Builds the world with its matching run in a temporary SQLite file, then, per country, takes
every producer of a group matched to a credit product (the offer "Mi crédito" shows: their
request within the product's maximum, a monthly annuity at the TCEA) and prints:

- how many offers exceed the farm's real input need (productive ha x inputs per ha);
- how many break the borrower-protection rule: what is repaid in 12 months, at the
  product's TCEA and term, above 30 % of the expected crop income (ha x yield x price).

Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path


def measure() -> dict[str, Counter]:
    """Offers, and offers over the need or over the instalment rule, per country."""
    from sqlalchemy import select

    from marketplace.credit.economics import COUNTRY_ECONOMICS
    from marketplace.credit.offers import offer_terms
    from marketplace.credit.runs import latest_run
    from marketplace.extensions import db
    from marketplace.models import Assessment, Cluster, CreditProduct, Match
    from matching.types import MatchParams

    share = MatchParams().max_instalment_share
    run = latest_run()
    rows = db.session.execute(
        select(Assessment, Cluster, CreditProduct)
        .join(Cluster, Assessment.cluster_id == Cluster.id)
        .join(Match, (Match.cluster_id == Cluster.id) & (Match.rank == 0))
        .join(CreditProduct, CreditProduct.id == Match.credit_product_id)
        .where(Assessment.run_id == run.id, Assessment.eligible)
    )
    found: dict[str, Counter] = {}
    for assessment, cluster, product in rows:
        eco = COUNTRY_ECONOMICS[cluster.country]
        amount, schedule = offer_terms(product, assessment.requested_minor, cluster.value_chain)
        need = assessment.productive_ha * eco.input_cost_per_ha_minor[cluster.value_chain]
        income = assessment.expected_kg * eco.price_per_kg_minor[cluster.value_chain]
        # what the schedule asks for in its first year (harvest payments included)
        yearly = sum(p.amount_minor for p in schedule.payments if p.month <= 12)
        counts = found.setdefault(cluster.country, Counter())
        counts["offers"] += 1
        counts["over_need"] += amount > need + 1
        counts["over_30pct"] += yearly > share * income + 1
        counts["over_35pct"] += yearly > 0.35 * income + 1
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--producers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    from marketplace import create_app
    from marketplace.demo import build_world
    from marketplace.extensions import db

    folder = tempfile.mkdtemp(prefix="minka-offers-")
    url = f"sqlite:///{Path(folder) / 'bench.db'}"
    config = {"MINKA_ENV": "testing", "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url}
    with create_app(config).app_context():
        db.create_all()
        started = time.perf_counter()
        build_world(producers=args.producers, seed=args.seed)
        print(f"world of {args.producers} producers and its run in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        for country, counts in sorted(measure().items()):
            n = counts["offers"] or 1
            print(
                f"{country}: {counts['offers']} offers; over the farm's input need "
                f"{counts['over_need']} ({counts['over_need'] / n:.1%}); 12 months of "
                f"instalments over 30 % of crop income {counts['over_30pct']} "
                f"({counts['over_30pct'] / n:.1%}), over 35 % {counts['over_35pct']} "
                f"({counts['over_35pct'] / n:.1%})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
