"""Credit products of the demo world's lenders: cajas municipales and rurales, savings and
credit cooperatives, microfinance institutions.

Each product covers the districts of some demo landscapes of its lender's country. Amounts
are per producer in major units of the country's currency; rates are percentages (TEA, and
TCEA a little above it). A product's budget is a share of what the producers it could serve
would ask for (``budget_share`` of an estimate: every producer with at least 2 productive ha
of a served value chain in its coverage, asking for their inputs, capped at the product's
maximum), so most budgets finance part of the groups, not all of them.

One product is the demo journey's: Caja Selva Alta's cacao credit in Huallaga Central has
budget for every group there, so the demo producer (productora@minka.demo, Juanjuí) is
matched to a product after every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from marketplace import currencies
from marketplace.credit import loan_terms, usury
from marketplace.credit.archetypes import targetable_types
from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.credit.services import DEFAULT_COLLATERAL_BP
from marketplace.demo.landscapes import LANDSCAPES
from marketplace.models import CreditProduct, GraceInterest

DEMO_LENDER = "selvaalta"  # OrgSpec key of caja@minka.demo's organization
MIN_HA = 2.0  # the matching's default minimum productive area


# Colombia's usury ceiling in the demo world: an illustrative figure of the size of 2026's
# (about 1.5 x an interés bancario corriente near 18 %), not the Superintendencia's certified
# one. The demo's Colombian products cost less than it.
DEMO_USURY_CEILING = usury.Ceiling(
    2740, date(2026, 10, 1), "Ilustrativa (demo): no es la cifra certificada"
)

# every demo product's interés moratorio, and the step its loans are proposed in (major units)
LATE_RATE_BP = 1200
AMOUNT_STEP = {"PEN": 10, "MXN": 100, "COP": 10_000}


@dataclass(frozen=True)
class ProductSpec:
    """A demo credit product; `landscapes` are Landscape keys whose districts it covers."""

    lender: str  # OrgSpec key
    name: str
    chains: tuple[str, ...]
    landscapes: tuple[str, ...]
    amounts: tuple[int, int]  # min, max per producer, major units
    tea: float  # annual effective rate, %
    insurance: float  # desgravamen, % of the balance a month (the cost is computed)
    term: int  # months
    grace: int  # months
    repayment: str  # harvest | monthly
    offtake: bool  # requires a pledge to a buyer's commitment
    budget_share: float  # of the estimated demand in its coverage
    min_readiness: float = 0.0
    members: tuple[int, int] = (5, 30)  # min, max members of a group it lends to
    # archetype types it is meant for (see target_types); empty: any
    targets: tuple[str, ...] = ()


PRODUCTS: tuple[ProductSpec, ...] = (
    # Peru (PEN)
    ProductSpec(
        "selvaalta", "Crédito Cacao Campaña Huallaga", ("cacao",), ("huallaga-central",),
        (1_500, 12_000), 24.0, 0.07, 12, 3, "harvest", False, 1.3,
    ),
    ProductSpec(
        "selvaalta", "Crédito Agroforestal Cacao y Café", ("cacao", "cafe"),
        ("selva-central", "la-convencion"), (3_000, 15_000), 28.5, 0.07, 18, 4, "harvest",
        True, 0.175, 0.3, targets=("agroforestry",),
    ),
    ProductSpec(
        "amazonia", "Préstamo Rural Productivo", ("cacao",),
        ("tingo-maria", "padre-abad", "huallaga-central"), (2_000, 10_000), 33.0, 0.07, 12, 2,
        "monthly", False, 0.2, 0.2,
    ),
    ProductSpec(
        "amazonia", "Crédito Café Nororiente", ("cafe",), ("jaen-san-ignacio",),
        (2_500, 15_000), 26.0, 0.07, 14, 3, "harvest", True, 0.25, 0.4,
    ),
    ProductSpec(
        "coopactocache", "Crédito Socio Cacaotero", ("cacao",), ("tocache", "tingo-maria"),
        (1_500, 8_000), 19.5, 0.07, 10, 2, "harvest", False, 0.225, members=(8, 30),
    ),
    ProductSpec(
        # solidarity groups: small ones, where members know and vouch for each other
        "emprenderural", "Microcrédito Agrícola Emprende", ("cacao", "cafe"),
        ("selva-central", "jaen-san-ignacio", "la-convencion", "padre-abad"), (1_500, 6_000),
        42.0, 0.07, 12, 0, "monthly", False, 0.125, members=(5, 15),
    ),
    ProductSpec(
        "emprenderural", "Crédito Renovación de Cafetales", ("cafe",),
        ("selva-central", "jaen-san-ignacio"), (4_000, 15_000), 36.0, 0.07, 24, 4, "harvest",
        False, 0.1, 0.5,
    ),
    # Mexico (MXN)
    ProductSpec(
        "cajasierrasur", "Crédito de Avío Café", ("cafe",),
        ("sierra-madre-chiapas", "costa-oaxaca"), (8_000, 45_000), 22.0, 0.07, 12, 3, "harvest",
        False, 0.225, 0.2,
    ),
    ProductSpec(
        "cajasierrasur", "Crédito Cacao Soconusco", ("cacao",), ("soconusco-cacao",),
        (8_000, 40_000), 24.0, 0.07, 12, 2, "harvest", True, 0.25,
    ),
    ProductSpec(
        # honey earns little per hectare: small tickets (group members ask MXN 500-11,000)
        "mayakaab", "Crédito Apícola Maya", ("miel",),
        ("peninsula-miel", "candelaria-ganaderia"), (500, 12_000), 30.0, 0.07, 12, 0,
        "monthly", True, 0.25,
    ),
    ProductSpec(
        "mayakaab", "Microcrédito Productivo Comunitario", ("cafe", "cacao"),
        ("costa-oaxaca", "soconusco-cacao"), (8_000, 25_000), 44.0, 0.07, 10, 0, "monthly",
        False, 0.15, members=(5, 15),
    ),
    ProductSpec(
        "cajacostachica", "Crédito Cafetalero de la Costa", ("cafe",), ("costa-oaxaca",),
        # shade-grown coffee: the agroforestry type
        (10_000, 60_000), 20.0, 0.07, 18, 4, "harvest", False, 0.2, 0.4,
        targets=("agroforestry",),
    ),
    ProductSpec(
        "sofiposureste", "Crédito Renovación de Cafetal", ("cafe",), ("sierra-madre-chiapas",),
        (12_000, 60_000), 32.0, 0.07, 24, 4, "harvest", False, 0.15, 0.3,
    ),
    # Colombia (COP)
    ProductSpec(
        "coopmacizo", "Crédito Caficultor", ("cafe",), ("cauca-cafe", "narino-cafe"),
        (2_000_000, 15_000_000), 18.5, 0.07, 12, 3, "harvest", False, 0.3, 0.2,
    ),
    ProductSpec(
        "coopmacizo", "Crédito Renovación y Fertilización", ("cafe",), ("cauca-cafe",),
        (3_000_000, 20_000_000), 24.0, 0.07, 24, 4, "harvest", True, 0.15, 0.4,
    ),
    ProductSpec(
        "micropacifico", "Microcrédito Cacao del Pacífico", ("cacao",),
        ("tumaco-cacao", "bajo-putumayo"), (2_000_000, 8_000_000), 26.5, 0.07, 12, 1,
        "monthly", False, 0.25,
    ),
    ProductSpec(
        "coopariari", "Crédito Cacao Ariari", ("cacao",), ("ariari-macarena", "guaviare"),
        (2_000_000, 12_000_000), 21.0, 0.07, 12, 2, "harvest", True, 0.3, 0.3,
    ),
    ProductSpec(
        "fundamazonia", "Crédito Productivo Amazonía", ("cacao",), ("guaviare", "bajo-putumayo"),
        (2_000_000, 10_000_000), 25.0, 0.07, 18, 3, "monthly", False, 0.175, 0.1,
    ),
)  # fmt: skip

_LANDSCAPE = {landscape.key: landscape for landscape in LANDSCAPES}


def country_of(spec: ProductSpec) -> str:
    """The country of a product's landscapes (all in one country)."""
    return _LANDSCAPE[spec.landscapes[0]].country


def districts(spec: ProductSpec) -> list[str]:
    """District codes a product covers: every district of its landscapes."""
    return sorted({code for key in spec.landscapes for code in _LANDSCAPE[key].districts})


def minor(amount: float, currency: str) -> int:
    """Major units -> integer minor units of `currency`."""
    return currencies.to_minor(amount, currency)


def budget_minor(spec: ProductSpec, producers: pd.DataFrame) -> int:
    """The product's budget: its share of the estimated demand in its coverage, rounded to a
    thousand major units (never below five maximum tickets)."""
    eco = COUNTRY_ECONOMICS[country_of(spec)]
    served = (
        producers["value_chain"].isin(spec.chains)
        & producers["district_code"].isin(districts(spec))
        & (producers["productive_ha"] >= MIN_HA)
    )
    rows = producers[served]
    need = rows["productive_ha"] * rows["value_chain"].map(eco.input_cost_per_ha_minor).astype(
        float
    )
    demand = float(np.minimum(need, minor(spec.amounts[1], eco.currency)).sum())
    step = minor(1_000, eco.currency)
    budget = int(round(spec.budget_share * demand / step)) * step
    return max(budget, 5 * minor(spec.amounts[1], eco.currency))


def target_types(spec: ProductSpec) -> list[str]:
    """The archetype types a product targets, among those a lender may pick: a target names a
    type ("agroforestry") or, where types are named by traits, its high side
    ("agroforestry_high"). Sorted; empty when it targets none."""
    wanted = {*spec.targets, *(f"{target}_high" for target in spec.targets)}
    return sorted(code for code, _name in targetable_types() if code in wanted)


def product_row(
    spec: ProductSpec, organization_id: int, producers: pd.DataFrame, created_at: datetime
) -> dict:
    """The credit_product row of a spec (active, as its verified lender published it)."""
    currency = COUNTRY_ECONOMICS[country_of(spec)].currency
    row = {
        "organization_id": organization_id,
        "name": spec.name,
        "value_chains": list(spec.chains),
        "coverage_country": country_of(spec),
        "coverage_districts": districts(spec),
        "min_amount_minor": minor(spec.amounts[0], currency),
        "max_amount_minor": minor(spec.amounts[1], currency),
        "currency": currency,
        "annual_rate_bp": int(round(spec.tea * 100)),
        "term_months": spec.term,
        "grace_months": spec.grace,
        "repayment": spec.repayment,
        "insurance_monthly_ppm": int(round(spec.insurance * 10_000)),
        "grace_interest": GraceInterest.CAPITALISED.value,
        "fee_minor": 0,
        "late_rate_bp": LATE_RATE_BP,
        "amount_step_minor": minor(AMOUNT_STEP[currency], currency),
        "requires_offtake": spec.offtake,
        "collateral_ratio_bp": DEFAULT_COLLATERAL_BP,  # pledges cover the harvest instalments
        "budget_minor": budget_minor(spec, producers),
        "min_readiness": spec.min_readiness,
        "min_members": spec.members[0],
        "max_members": spec.members[1],
        "target_archetypes": target_types(spec),
        "active": True,
        "created_at": created_at,
        "updated_at": created_at + timedelta(days=3),
    }
    row["total_cost_bp"] = loan_terms.product_cost_bp(CreditProduct(**row))
    return row
