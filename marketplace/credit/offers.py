"""What a producer sees of credit: their latest assessment in plain words, their group and
its offer, their loans. Read-only; the consent switch goes through producers.services.

The offer is the loan's own payment schedule (credit/loan_terms.py): each date and amount,
with grace, harvest payments, insurance and fees, and the cost computed from those flows under
the producer's country's rules (TCEA in Peru, CAT in Mexico, E.A. in Colombia).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace import gazetteer
from marketplace.catalog.search import CatalogFilters, search_listings
from marketplace.credit import balances, loan_terms, runs
from marketplace.credit.archetypes import trait_words
from marketplace.credit.ledger import Ledger
from marketplace.credit.proposals import OUTSIDE_COVERAGE
from marketplace.credit.schedules import Cost, Payment, Schedule, rate_bp
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.labels import factor_label
from marketplace.models import (
    Assessment,
    Cluster,
    ConsentScope,
    CreditProduct,
    Farm,
    ListingKind,
    Loan,
    LoanStatus,
    Match,
    MatchingRun,
    MatchStatus,
    Producer,
)
from marketplace.producers.services import consent_states
from matching import profiles
from matching.types import SUBSISTENCE

# Readiness (probability of repayment) in three words, never as a grade: thresholds on the
# scorecard's scale, where a producer with every factor neutral scores about 0.69.
READY_HIGH = 0.75
READY_MEDIUM = 0.55
TOP_FACTORS = 3
TA_LISTINGS = 3
OPEN_LOANS = (LoanStatus.APPROVED.value, LoanStatus.DISBURSED.value)


def archetype_meaning(code: str | None, min_ha: float) -> str:
    """One plain sentence on what an archetype means (a general one for unknown codes)."""
    kind = profiles.parse_code(code).type if code else None
    traits = trait_words(code)
    if traits:
        return _(
            "Productores que, frente a los demás de su país, se distinguen por: %(traits)s.",
            traits=", ".join(traits),
        )
    if kind == profiles.TYPICAL:
        return _("Productores con fincas parecidas a la mayoría de las de su país.")
    if kind == profiles.NO_TYPOLOGY:
        return _("En su país las fincas no forman tipos claros: se agrupan por cadena de valor.")
    small, large = number(min_ha), number(profiles.LARGE_HA)
    if kind == SUBSISTENCE:
        return _(
            "Fincas de menos de %(min)s ha productivas, que todavía están creciendo. Lo que más "
            "ayuda ahora es la asistencia técnica, antes que un crédito.",
            min=small,
        )
    if kind == profiles.AGROFORESTRY:
        return _(
            "Fincas con bosque o árboles de sombra junto al cultivo: ingresos más variados y "
            "una finca que resiste mejor un mal año."
        )
    if kind == profiles.CERTIFIED:
        return _(
            "Productores con certificación (orgánico, comercio justo u otra): venden con prima "
            "y sus prácticas están auditadas."
        )
    if kind == profiles.CONSOLIDATED_ASSOCIATED:
        return _(
            "Fincas de %(large)s ha productivas o más, de socios de una cooperativa: producción "
            "estable y venta en grupo.",
            large=large,
        )
    if kind == profiles.CONSOLIDATED_INDEPENDENT:
        return _(
            "Fincas de %(large)s ha productivas o más que venden por su cuenta, sin cooperativa.",
            large=large,
        )
    if kind == profiles.EMERGING_ASSOCIATED:
        return _(
            "Fincas de %(min)s a %(large)s ha productivas, de socios de una cooperativa, que "
            "están creciendo.",
            min=small,
            large=large,
        )
    if kind == profiles.EMERGING_INDEPENDENT:
        return _(
            "Fincas de %(min)s a %(large)s ha productivas que venden por su cuenta y están "
            "creciendo.",
            min=small,
            large=large,
        )
    return _("Productores con fincas y prácticas parecidas a las suyas.")


def readiness_level(readiness: float) -> str:
    """ "high", "medium" or "low": how ready for credit, without showing the probability."""
    if readiness >= READY_HIGH:
        return "high"
    if readiness >= READY_MEDIUM:
        return "medium"
    return "low"


def top_factors(explanation: list, limit: int = TOP_FACTORS) -> list[tuple[str, str]]:
    """The largest readiness factors as (translated sentence, "+" or "-")."""
    out = []
    for item in explanation or []:
        if isinstance(item, list | tuple) and len(item) == 2 and item[1] in ("+", "-"):
            out.append((factor_label(str(item[0]), item[1]), item[1]))
    return out[:limit]


@dataclass
class Offer:
    """A group's credit offer as it concerns one producer."""

    match: Match
    product: CreditProduct
    amount_minor: int  # the producer's request, within the product's maximum
    schedule: Schedule
    cost: Cost

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def payments(self) -> tuple[Payment, ...]:
        return self.schedule.payments

    @property
    def instalment_minor(self) -> int:
        """The largest single payment: what the producer must be ready for."""
        return max(payment.amount_minor for payment in self.schedule.payments)

    @property
    def total_minor(self) -> int:
        """Everything paid back: capital, interest, insurance and fees."""
        return self.schedule.total_paid_minor

    @property
    def cost_bp(self) -> int:
        return rate_bp(self.cost.rate)

    @property
    def cost_name(self) -> str:
        return loan_terms.cost_name(self.product.coverage_country)

    @property
    def rate_name(self) -> str:
        return loan_terms.rate_name(self.product.coverage_country)


def offer_terms(
    product: CreditProduct, requested_minor: int, value_chain: str | None = None
) -> tuple[int, Schedule]:
    """The amount offered to one producer (their request, within the product's maximum) and
    its payment schedule from today."""
    amount = max(min(requested_minor, product.max_amount_minor), 1)
    return amount, loan_terms.schedule_for(product, amount, value_chain)


@dataclass
class CreditPage:
    """Everything the "Mi crédito" page shows about one producer."""

    producer: Producer
    run: MatchingRun | None = None
    assessment: Assessment | None = None
    farm: Farm | None = None
    group: Cluster | None = None
    group_place: str = ""
    offer: Offer | None = None
    loans: list[Loan] = field(default_factory=list)
    consent: object = None  # the lenders' Consent row, or None when never decided
    min_ha: float = 2.0
    ta_listings: list = field(default_factory=list)
    ta_search: dict = field(default_factory=dict)  # catalogue query for TA near the farm
    # for a producer the latest run did not include: what its typology gives their farm
    provisional_archetype: str | None = None
    # her group's product does not cover where she lives: no offer for her under it
    outside_coverage: bool = False

    @property
    def consent_granted(self) -> bool:
        return bool(self.consent is not None and self.consent.granted)

    def resumen(self, loan: Loan) -> Schedule:
        """A loan's schedule: the one an approved loan asks her to accept, or the one she
        is repaying."""
        return loan_terms.loan_schedule(loan, self.producer)

    def standing(self, loan: Loan) -> Ledger | None:
        """Where a disbursed loan stands today: what she owes, instalment by instalment."""
        return balances.ledger_of(loan)

    @property
    def level(self) -> str:
        return readiness_level(self.assessment.readiness) if self.assessment else ""

    @property
    def factors(self) -> list[tuple[str, str]]:
        return top_factors(self.assessment.explanation) if self.assessment else []

    @property
    def meaning(self) -> str:
        return archetype_meaning(
            self.assessment.archetype if self.assessment else None, self.min_ha
        )

    @property
    def open_loans(self) -> list[Loan]:
        return [loan for loan in self.loans if loan.status in OPEN_LOANS]


def loans_of(producer_id: int) -> list[Loan]:
    """A producer's loans, newest first, with lender, product and repayments."""
    return list(
        db.session.scalars(
            select(Loan)
            .where(Loan.producer_id == producer_id)
            .options(
                selectinload(Loan.repayments),
                selectinload(Loan.lender),
                selectinload(Loan.credit_product),
            )
            .order_by(Loan.approved_at.desc(), Loan.id.desc())
        )
    )


def chosen_match(cluster_id: int) -> Match | None:
    """The credit product chosen for a group (rank 0), with product and lender."""
    return db.session.scalar(
        select(Match)
        .where(Match.cluster_id == cluster_id, Match.rank == 0)
        .options(selectinload(Match.credit_product), selectinload(Match.lender))
    )


def district_name(country: str, code: str) -> str:
    """A district's display name from the gazetteer (its code when unknown)."""
    district = gazetteer.get_district(country, code)
    return district.label if district is not None else code


def technical_assistance(farm: Farm | None, limit: int = TA_LISTINGS) -> tuple[list, dict]:
    """Technical-assistance listings serving the farm's region and value chain, and the
    catalogue's query string for all of them."""
    if farm is None:
        return [], {"kind": ListingKind.SERVICE.value}
    filters = CatalogFilters(
        kind=ListingKind.SERVICE.value,
        country=farm.country,
        region=farm.region,
        value_chain=farm.value_chain,
    )
    listings = list(search_listings(filters, page=1, per_page=limit).items)
    query = {
        "kind": ListingKind.SERVICE.value,
        "place": f"{farm.country}:{farm.region}",
        "value_chain": farm.value_chain,
    }
    return listings, query


def credit_page(producer: Producer) -> CreditPage:
    """The producer's latest assessment explained, their group and its offer, their loans."""
    page = CreditPage(
        producer=producer,
        loans=loans_of(producer.id),
        consent=consent_states(producer).get(ConsentScope.LENDERS.value),
        min_ha=current_app.config["MINKA_MATCHING_MIN_HA"],
    )
    page.run = runs.latest_run()
    if page.run is not None:
        page.assessment = db.session.scalar(
            select(Assessment).where(
                Assessment.run_id == page.run.id, Assessment.producer_id == producer.id
            )
        )
    assessment = page.assessment
    if assessment is None:
        if page.run is not None:
            page.provisional_archetype = runs.archetype_of(producer.id)
        return page
    page.farm = db.session.get(Farm, assessment.farm_id) if assessment.farm_id else None
    if "area_below_minimum" in assessment.reasons:
        page.ta_listings, page.ta_search = technical_assistance(page.farm)
    if assessment.cluster is not None:
        page.group = assessment.cluster
        page.group_place = district_name(page.group.country, page.group.district_code)
        match = chosen_match(page.group.id)
        page.outside_coverage = OUTSIDE_COVERAGE in assessment.reasons
        if match is not None and not page.outside_coverage:
            product = match.credit_product
            chain = page.farm.value_chain if page.farm else None
            amount, schedule = offer_terms(product, assessment.requested_minor, chain)
            page.offer = Offer(
                match, product, amount, schedule, loan_terms.cost_of(product, schedule)
            )
    return page


def summary_line(producer: Producer) -> str:
    """The dashboard card's one line on where the producer stands with credit."""
    loan = db.session.scalar(
        select(Loan)
        .where(Loan.producer_id == producer.id, Loan.status.in_(OPEN_LOANS))
        .order_by(Loan.approved_at.desc())
        .limit(1)
    )
    if loan is not None and loan.awaiting_answer:
        return _(
            "%(lender)s aprobó su préstamo: lea el cronograma y acéptelo o no en Mi crédito.",
            lender=loan.lender.name,
        )
    if loan is not None:
        return _("Tiene un préstamo de %(lender)s.", lender=loan.lender.name)
    assessment = runs.latest_assessment(producer.id)
    if assessment is None:
        return _("Todavía no hay evaluación.")
    if not assessment.eligible:
        return _("Por ahora no puede recibir un crédito grupal: vea qué lo cambiaría.")
    if assessment.cluster_id is None:
        return _("Puede recibir un crédito; todavía no hay un grupo para usted.")
    match = chosen_match(assessment.cluster_id)
    if match is None:
        return _("Puede recibir un crédito; su grupo todavía no tiene oferta.")
    if OUTSIDE_COVERAGE in assessment.reasons:
        return _("La oferta para su grupo no cubre la zona donde usted vive.")
    return _(
        "Oferta de %(lender)s para su grupo: %(status)s.",
        lender=match.lender.name,
        status=MatchStatus(match.status).label,
    )
