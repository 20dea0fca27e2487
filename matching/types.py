"""The data the pipeline takes and returns.

Producers come as one DataFrame, one row per producer (their main farm's figures), with the
columns of PRODUCER_COLUMNS; credit products as CreditProduct records; past loan outcomes as
a DataFrame with OUTCOME_COLUMNS. Money is integer minor units of one currency per product.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# column -> meaning (dtype)
PRODUCER_COLUMNS: dict[str, str] = {
    "producer_id": "int",
    "gender": "female | male | other | undisclosed",
    "country": "PE | MX | CO",
    "district_code": "str",
    "lat": "float, degrees",
    "lon": "float, degrees",
    "value_chain": "cacao | cafe | miel | ganaderia | madera | ecoturismo",
    "productive_ha": "float",
    "total_ha": "float",
    "forest_ha": "float",
    "yield_kg_ha": "float, NaN when unknown",
    "plant_age_years": "float, NaN when unknown",
    "associated": "bool: member of a cooperative",
    "certified": "bool: at least one certification",
    "agroforestry": "bool",
    "land_title": "bool",
    "cleared_after_cutoff": "yes | no | unknown",
    "consent_lenders": "bool: live consent to share details with lenders",
    "pledged_kg": "float: active pledges to buyers' commitments",
}
# columns a caller may add
OPTIONAL_COLUMNS: dict[str, str] = {
    "active_loan": "bool: still repaying a loan (not offered another); False when absent",
    "cooperative_id": "int: the producer's cooperative, NaN or < 0 for none; groups never "
    "mix cooperatives (absent: all producers as without one)",
}

OUTCOME_COLUMNS: dict[str, str] = {
    "producer_id": "int",
    "repaid": "bool: repaid on time (False: late or default)",
    "campaign": "int: year the loan was granted (validation trains on earlier, tests on latest)",
    # optional: share of the campaign's loans already closed (a campaign mostly still
    # running is not a test campaign)
    "campaign_closed_share": "float in [0, 1]",
    # optional, per SNAPSHOT_COLUMNS: the producer's factors when the loan was
    # granted (NaN/None where not recorded: today's factors are used)
}

# the archetype of producers under the area threshold (see matching.profiles for the others)
SUBSISTENCE = "subsistence"


# what an outcome records of the producer when the loan was granted (PRODUCER_COLUMNS names)
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    "value_chain", "productive_ha", "yield_kg_ha", "plant_age_years", "associated",
    "certified", "agroforestry", "land_title", "cleared_after_cutoff", "pledged_kg",
)  # fmt: skip


@dataclass(frozen=True)
class CreditProduct:
    """A lender's credit product, as the allocation sees it."""

    product_id: int
    lender_id: int
    currency: str
    value_chains: tuple[str, ...]
    # coverage: district codes, and/or branches with a radius
    districts: tuple[str, ...] = ()
    branches: tuple[tuple[float, float], ...] = ()
    radius_km: float = 0.0
    min_amount_minor: int = 0
    max_amount_minor: int = 0
    budget_minor: int = 0
    min_readiness: float = 0.0
    requires_offtake: bool = False
    annual_rate: float = 0.0  # TEA, e.g. 0.28
    term_months: int = 12
    # group size: members the product lends to together (covered and financed members at
    # least min_members, 0: the run's MatchParams.group_min; the whole group at most
    # max_members, None: no limit of its own)
    min_members: int = 0
    max_members: int | None = None
    # archetype codes the product is meant for; empty: any
    target_archetypes: tuple[str, ...] = ()
    # per value chain, each instalment as (calendar month 1-12, payment per unit of
    # principal), from the app's schedules; () -> a level monthly annuity (matching.repayment)
    unit_schedule: tuple[tuple[str, tuple[tuple[int, float], ...]], ...] = ()
    # offtake: pledged value must cover this multiple of the instalments due in harvest months
    collateral_ratio: float = 1.0
    amount_step_minor: int = 0  # financed amounts rounded down to a multiple (0: none)


@dataclass(frozen=True)
class MatchParams:
    """Knobs of a run; defaults are documented in README's credit section."""

    seed: int = 2026
    min_productive_ha: float = 2.0
    k_min: int = 3
    k_max: int = 8
    # a typology is used only when clear: best silhouette at least this, and at least
    # typology_min_gain above the same clustering's on a world without types (one Gaussian)
    typology_min_silhouette: float = 0.25
    typology_min_gain: float = 0.05
    # a typology the previous run used is kept down to this much below both thresholds
    typology_hysteresis: float = 0.02
    group_min: int = 5
    group_max: int = 30
    group_radius_km: float = 15.0
    # outcomes needed before the trained readiness model replaces the scorecard
    min_outcomes: int = 200
    # ... and at least this many in the latest campaign (the out-of-time test) and in the
    # earlier ones (training), of both kinds; else the scorecard stays
    min_test_outcomes: int = 50
    # affordability: input cost per productive ha and farm-gate price per kg (minor units)
    input_cost_per_ha: dict[str, int] = field(
        default_factory=lambda: {
            "cacao": 180_000,
            "cafe": 220_000,
            "miel": 90_000,
            "ganaderia": 150_000,
            "madera": 60_000,
            "ecoturismo": 80_000,
        }
    )
    price_per_kg: dict[str, int] = field(
        default_factory=lambda: {
            "cacao": 1_000,
            "cafe": 1_400,
            "miel": 1_200,
            "ganaderia": 800,
            "madera": 300,
            "ecoturismo": 0,
        }
    )
    # borrower protection: each instalment at most this share of the expected crop income of
    # the month it falls in (matching.repayment)
    max_instalment_share: float = 0.30
    # calendar months each value chain's harvest is sold in (the app's harvest calendar for the
    # run's country); a chain missing here: June and December
    harvest_months: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # share of a year's income that arrives outside the harvest months, spread evenly
    # (off-season pickings, the mitaca, small sales; cattle and tourism earn all year)
    off_harvest_share: dict[str, float] = field(
        default_factory=lambda: {
            "cacao": 0.20,
            "cafe": 0.20,
            "miel": 0.20,
            "ganaderia": 0.60,
            "madera": 0.10,
            "ecoturismo": 0.50,
        }
    )
    # allocation: the rounded LP solution is kept within this share of the LP bound, else the
    # core MILP runs to this relative gap or this many nodes (never a time limit)
    allocation_accept_gap: float = 0.005
    allocation_gap: float = 1e-3
    allocation_node_limit: int = 1_000


@dataclass
class MatchResult:
    """Everything a run produces, as plain tables and figures."""

    producers: pd.DataFrame  # producer_id, eligible, reasons, archetype, group_id,
    #                          readiness, explanation, requested_minor, financed (in an
    #                          allocated group and covered by its product)
    archetypes: pd.DataFrame  # archetype, n, centroid profile columns
    groups: pd.DataFrame  # group_id, value_chain, country, district_code, size, lat, lon,
    #                       total_ha, expected_kg, pledged_share, readiness_mean, readiness_min,
    #                       requested_minor
    matches: pd.DataFrame  # group_id, product_id, rank (0 = chosen), score, amount_minor
    metrics: dict = field(default_factory=dict)  # silhouette, k, model version, AUC, Brier,
    #                                              budget used, match rates by gender/archetype
    # what the next run takes as `previous` (archetype centroids and codes, for stable codes)
    state: dict = field(default_factory=dict)
