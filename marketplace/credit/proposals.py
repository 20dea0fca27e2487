"""What a lender is proposed to lend each member of a group, and why it differs from what she
asked for. One answer for the group page, the approval form and the CSV, so the figures a
lender compares always agree.

The rule, step by step (each step only lowers the amount):

1. Start from what she asked for (the request the matching sized for her); when she did not
   say, from the product's maximum.
2. Clip to the product's maximum.
3. Clip to her capacity to pay at this product's rate and term: what she repays in any 12
   months at most the run's share of her expected crop income (matching.affordability);
   under a product other than the one the run chose for her group, also every instalment
   of its schedule at most that share of the income of the month it falls in (the run
   already checked the chosen one: matching.repayment).
4. Round down to the lender's step (``CreditProduct.amount_step_minor``; 0: no rounding).
5. Below the product's minimum she cannot be proposed a loan under this product.

Before any step: a member the run found outside the product's coverage (she lives outside
its districts and branch radius; the reason ``outside_coverage`` on her assessment) cannot be
proposed a loan under it; all she asked for is cut.

Under the product the matching chose for her group, a member the matching excluded (her
month's income does not carry the schedule's instalments, her pledges do not cover her
harvest instalments, or her group fell under the product's minimum members) is not proposed
a loan, with that reason; what she asks is what the matching financed her.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.credit import frames, harvests
from marketplace.credit.economics import COUNTRY_ECONOMICS
from marketplace.extensions import db
from marketplace.i18n import money, percent
from marketplace.labels import ELIGIBILITY_REASONS
from marketplace.models import Assessment, Cluster, CreditProduct, Match, MatchingRun
from matching import repayment
from matching.affordability import max_principal
from matching.eligibility import OUTSIDE_COVERAGE
from matching.repayment import CODES as MATCHING_EXCLUSIONS
from matching.types import MatchParams

BP_PER_UNIT = 10_000

# why a proposal differs from the request, in the order the steps apply
NOT_STATED = "not_stated"
PRODUCT_MAXIMUM = "product_maximum"
AFFORDABILITY = "affordability"
ROUNDED = "rounded"
BELOW_MINIMUM = "below_minimum"
STEPS = (
    OUTSIDE_COVERAGE,
    PRODUCT_MAXIMUM,
    AFFORDABILITY,
    ROUNDED,
    BELOW_MINIMUM,
    *(code for code in MATCHING_EXCLUSIONS if code != OUTSIDE_COVERAGE),
)


@dataclass(frozen=True)
class Limits:
    """A product's amount rules as the proposal needs them (minor units)."""

    min_minor: int
    max_minor: int
    step_minor: int = 0


@dataclass(frozen=True)
class Proposal:
    """One member's proposal: what she asked, what is proposed (None: nothing under this
    product), her capacity-to-pay limit (None: unknown) and the amount each step removed."""

    requested_minor: int
    amount_minor: int | None
    affordable_minor: int | None
    cuts: tuple[tuple[str, int], ...] = ()
    not_stated: bool = False

    @property
    def reasons(self) -> tuple[str, ...]:
        """The steps that changed the amount, in order."""
        return tuple(code for code, _cut in self.cuts)

    @property
    def proposable(self) -> bool:
        return self.amount_minor is not None


def round_down(amount_minor: int, step_minor: int) -> int:
    """`amount_minor` rounded down to a multiple of the step (unchanged for step 0)."""
    if step_minor <= 0:
        return amount_minor
    return amount_minor - amount_minor % step_minor


def propose(
    requested_minor: int,
    limits: Limits,
    affordable_minor: int | None,
    excluded: str | None = None,
) -> Proposal:
    """The proposal for one member (see the module's rule); `excluded`: the matching's
    reason for leaving her out under this product."""
    if excluded is not None:
        return Proposal(requested_minor, None, affordable_minor, ((excluded, requested_minor),))
    not_stated = requested_minor <= 0
    start = limits.max_minor if not_stated else requested_minor
    amount, cuts = start, []

    def lower(code: str, to: int) -> None:
        nonlocal amount
        if to < amount:
            cuts.append((code, amount - to))
            amount = to

    lower(PRODUCT_MAXIMUM, limits.max_minor)
    if affordable_minor is not None:
        lower(AFFORDABILITY, max(affordable_minor, 0))
    lower(ROUNDED, round_down(amount, limits.step_minor))
    proposed: int | None = amount
    if amount < limits.min_minor:
        cuts.append((BELOW_MINIMUM, amount))
        proposed = None
    return Proposal(start, proposed, affordable_minor, tuple(cuts), not_stated)


def outside(requested_minor: int) -> Proposal:
    """The proposal for a member outside the product's coverage: nothing under it."""
    return Proposal(requested_minor, None, None, ((OUTSIDE_COVERAGE, requested_minor),))


def affordable(
    expected_kg: float, price_per_kg_minor: int | None, share: float, rate_bp: int, term: int
) -> int | None:
    """The largest principal her expected income carries at these terms; None when the
    value chain has no price (nothing to judge by)."""
    if not price_per_kg_minor or term < 1:
        return None
    income = max(expected_kg, 0.0) * price_per_kg_minor
    return math.floor(max_principal(income, share, rate_bp / BP_PER_UNIT, term))


@dataclass
class Totals:
    """A group's proposals added up: requested, proposed, and what each step removed."""

    requested_minor: int = 0
    proposed_minor: int = 0
    proposed_count: int = 0
    cut_minor: dict[str, int] = field(default_factory=dict)
    cut_count: Counter = field(default_factory=Counter)

    def add(self, proposal: Proposal) -> None:
        self.requested_minor += proposal.requested_minor
        if proposal.proposable:
            self.proposed_minor += proposal.amount_minor
            self.proposed_count += 1
        for code, cut in proposal.cuts:
            self.cut_minor[code] = self.cut_minor.get(code, 0) + cut
            self.cut_count[code] += 1

    @property
    def steps(self) -> list[tuple[str, int, int]]:
        """(step, members, amount removed) for the steps that removed something, in order."""
        return [(c, self.cut_count[c], self.cut_minor[c]) for c in STEPS if c in self.cut_minor]


def totals(proposals) -> Totals:
    """Add proposals up."""
    result = Totals()
    for proposal in proposals:
        result.add(proposal)
    return result


# --- from the database --------------------------------------------------------------------


def limits_of(product: CreditProduct) -> Limits:
    """The product's amount rules."""
    return Limits(product.min_amount_minor, product.max_amount_minor, product.amount_step_minor)


def instalment_share(run_id: int) -> float:
    """The share of income instalments may take, as the run that sized the requests had it."""
    run = db.session.get(MatchingRun, run_id)
    params = (run.params if run is not None else None) or {}
    return float(params.get("max_instalment_share", MatchParams().max_instalment_share))


def for_cluster(cluster: Cluster, product: CreditProduct) -> dict[int, Proposal]:
    """Every member's proposal under `product`, by producer id."""
    eco = COUNTRY_ECONOMICS.get(product.coverage_country)  # prices in the loan's currency
    price = eco.price_per_kg_minor.get(cluster.value_chain) if eco is not None else None
    share = instalment_share(cluster.run_id)
    limits = limits_of(product)
    rows = db.session.execute(
        select(
            Assessment.producer_id,
            Assessment.requested_minor,
            Assessment.expected_kg,
            Assessment.reasons,
        ).where(Assessment.cluster_id == cluster.id)
    ).all()
    chosen = db.session.scalar(
        select(Match.credit_product_id).where(Match.cluster_id == cluster.id, Match.rank == 0)
    )
    # the run checked her under the chosen product's schedule; under another one, it is
    # checked here the same way (matching.repayment)
    factor = None if chosen == product.id else schedule_factor(product, cluster, share)

    def capacity(expected_kg: float) -> int | None:
        yearly = affordable(expected_kg, price, share, product.annual_rate_bp, product.term_months)
        if yearly is None or factor is None:
            return yearly
        return min(yearly, math.floor(max(expected_kg, 0.0) * price * factor + 1e-6))

    return {
        row.producer_id: outside(row.requested_minor)
        if OUTSIDE_COVERAGE in (row.reasons or ())
        else propose(
            row.requested_minor,
            limits,
            capacity(row.expected_kg),
            _excluded(row.reasons) if chosen == product.id else None,
        )
        for row in rows
    }


def schedule_factor(product: CreditProduct, cluster: Cluster, share: float) -> float:
    """Largest principal per unit of yearly income whose every instalment under the
    product's schedule stays within `share` of its month's income (matching.repayment)."""
    chain = cluster.value_chain
    params = MatchParams(
        max_instalment_share=share,
        harvest_months={chain: harvests.months_for(product.coverage_country, chain)},
    )
    return repayment.afford_factor(frames.to_matching(product, 0), chain, params)


def _excluded(reasons) -> str | None:
    """The matching's reason for leaving a member out of her group's financing, if any."""
    return next((code for code in reasons or () if code in MATCHING_EXCLUSIONS), None)


def for_match(match: Match) -> dict[int, Proposal]:
    """Every member's proposal under the match's product."""
    return for_cluster(match.cluster, match.credit_product)


# --- in words -----------------------------------------------------------------------------


def step_text(code: str, product: CreditProduct, share: float) -> str:
    """One step of the rule in words, for the viewer."""
    if code == PRODUCT_MAXIMUM:
        return _(
            "recortado al máximo del producto (%(max)s)",
            max=money(product.max_amount_minor, product.currency),
        )
    if code == AFFORDABILITY:
        return _(
            "según su capacidad de pago: cuota ≤ %(share)s de su ingreso",
            share=percent(share),
        )
    if code == ROUNDED:
        return _(
            "redondeado a %(step)s",
            step=money(product.amount_step_minor, product.currency),
        )
    if code == OUTSIDE_COVERAGE:
        return _("vive fuera de la cobertura del producto: no se le puede proponer")
    if code in MATCHING_EXCLUSIONS:
        return str(ELIGIBILITY_REASONS[code])
    if code == BELOW_MINIMUM:
        return _(
            "no llega al mínimo del producto (%(min)s): no se le puede proponer",
            min=money(product.min_amount_minor, product.currency),
        )
    return code


def steps_text(totals_: Totals, product: CreditProduct, share: float) -> list:
    """The group's steps in words: (text, members, amount removed), in order."""
    return [(step_text(c, product, share), n, cut) for c, n, cut in totals_.steps]


def reason_text(proposal: Proposal, product: CreditProduct, share: float) -> str:
    """Why the proposal differs from the request, in words ("" when it does not)."""
    parts = [step_text(code, product, share) for code in proposal.reasons]
    if proposal.not_stated:
        parts.insert(0, _("no indicó un monto: se parte del máximo del producto"))
    return "; ".join(parts)
