"""Incentivos: what buyers and lenders offer a producer for deforestation-free, verified
farms, and what the producer still needs to qualify.

Buyers pay a premium (or a fixed price) per kg on open commitments that require
deforestation-free volume. Credit products carry no "preferential rate" field: the products
covering a farm's district that ask for an offtake or a minimum readiness are the ones that
reward a verified farm, so those are shown with the conditions the producer still misses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.commitments.offers import open_commitments_for
from marketplace.credit.runs import latest_assessment
from marketplace.extensions import db
from marketplace.models import (
    ConsentScope,
    CreditProduct,
    Farm,
    Organization,
    Pledge,
    PledgeStatus,
    Producer,
    PurchaseCommitment,
)
from marketplace.models.traceability import RiskStatus
from marketplace.producers.services import with_live_consent

POLYGON_ABOVE_HA = 4.0  # EUDR: plots above 4 ha need a polygon, smaller ones a point
DEFORESTATION_FREE = (RiskStatus.FREE, RiskStatus.VERIFIED)
MAX_COMMITMENTS = 20


@dataclass
class Requirement:
    """One condition to qualify; `action` names what the page links to when it is not met."""

    text: str
    met: bool
    action: str = ""  # farm | commitment | consent | credit
    farm_id: int | None = None


@dataclass
class Incentive:
    """A buyer's premium or a lender's product, as it concerns one producer."""

    kind: str  # premium | credit
    title: str
    organization: str
    farm: Farm | None
    needs: list[Requirement] = field(default_factory=list)
    commitment: PurchaseCommitment | None = None
    product: CreditProduct | None = None

    @property
    def qualifies(self) -> bool:
        return all(need.met for need in self.needs)

    @property
    def missing(self) -> list[Requirement]:
        return [need for need in self.needs if not need.met]


def needs_polygon(farm: Farm) -> bool:
    """A farm above 4 ha without a drawn or uploaded polygon."""
    return farm.total_ha > POLYGON_ABOVE_HA and not farm.polygon_geojson


def is_deforestation_free(farm: Farm) -> bool:
    """The farm's assessment says free, or its field evidence was verified."""
    return farm.risk_status in DEFORESTATION_FREE


def farm_requirements(farm: Farm) -> list[Requirement]:
    """The plot conditions every incentive shares: a polygon above 4 ha, deforestation-free."""
    needs = []
    if farm.total_ha > POLYGON_ABOVE_HA:
        needs.append(
            Requirement(
                _(
                    "Dibujar o subir el polígono de la finca %(farm)s: mide más de 4 ha.",
                    farm=farm.name,
                ),
                not needs_polygon(farm),
                "farm",
                farm.id,
            )
        )
    if farm.risk_status == RiskStatus.AT_RISK:
        text = _(
            "La finca %(farm)s muestra pérdida de bosque después de la fecha de corte: "
            "no califica.",
            farm=farm.name,
        )
    elif farm.risk_status == RiskStatus.NEEDS_VERIFICATION:
        text = _(
            "La finca %(farm)s tiene cobertura de bosque: pida a su técnico que registre "
            "evidencia de campo para verificarla.",
            farm=farm.name,
        )
    else:
        text = _("La finca %(farm)s debe figurar como libre de deforestación.", farm=farm.name)
    needs.append(Requirement(text, is_deforestation_free(farm), "farm", farm.id))
    return needs


def _best(farms: list[Farm]) -> Farm | None:
    """The farm that misses the fewest conditions (the first on a tie)."""
    if not farms:
        return None
    return min(farms, key=lambda farm: sum(not n.met for n in farm_requirements(farm)))


def _pledged_commitments(producer_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Pledge.commitment_id).where(
                Pledge.producer_id == producer_id, Pledge.status == PledgeStatus.ACTIVE
            )
        )
    )


def buyer_premiums(producer: Producer) -> list[Incentive]:
    """Open commitments for the producer's farms that require deforestation-free volume."""
    pledged = _pledged_commitments(producer.id)
    out = []
    for commitment in open_commitments_for(producer, limit=MAX_COMMITMENTS):
        if not commitment.deforestation_free:
            continue
        regions = {(r.country, r.region) for r in commitment.regions}
        farms = [
            farm
            for farm in producer.farms
            if farm.value_chain == commitment.value_chain and (farm.country, farm.region) in regions
        ]
        farm = _best(farms)
        needs = farm_requirements(farm) if farm else []
        needs.append(
            Requirement(
                _("Comprometer volumen con este compromiso de compra."),
                commitment.id in pledged,
                "commitment",
            )
        )
        out.append(
            Incentive(
                "premium",
                commitment.product,
                commitment.organization.name,
                farm,
                needs,
                commitment=commitment,
            )
        )
    return out


def _covering_products(farms: list[Farm]) -> list[tuple[CreditProduct, list[Farm]]]:
    countries = {farm.country for farm in farms}
    if not countries:
        return []
    products = db.session.scalars(
        select(CreditProduct)
        .join(Organization, Organization.id == CreditProduct.organization_id)
        .where(
            CreditProduct.active.is_(True),
            CreditProduct.coverage_country.in_(sorted(countries)),
            Organization.verified_at.is_not(None),
            Organization.suspended_at.is_(None),
        )
        .options(joinedload(CreditProduct.organization))
        .order_by(CreditProduct.annual_rate_bp, CreditProduct.id)
    )
    out = []
    for product in products:
        covered = [
            farm
            for farm in farms
            if farm.country == product.coverage_country
            and farm.district_code in product.coverage_districts
            and farm.value_chain in product.value_chains
        ]
        if covered and (product.requires_offtake or product.min_readiness > 0):
            out.append((product, covered))
    return out


def lender_products(producer: Producer) -> list[Incentive]:
    """Credit products covering the producer's farms that reward a verified farm."""
    consent = producer.id in with_live_consent([producer.id], ConsentScope.LENDERS)
    has_pledge = bool(_pledged_commitments(producer.id))
    assessment = latest_assessment(producer.id)
    out = []
    for product, farms in _covering_products(producer.farms):
        farm = _best(farms)
        needs = farm_requirements(farm)
        needs.append(
            Requirement(
                _("Aceptar compartir sus datos con entidades de crédito."), consent, "consent"
            )
        )
        if product.requires_offtake:
            needs.append(
                Requirement(
                    _("Tener volumen comprometido con un comprador (venta asegurada)."),
                    has_pledge,
                    "commitment",
                )
            )
        if product.min_readiness > 0:
            needs.append(_readiness_requirement(product, assessment))
        out.append(
            Incentive(
                "credit", product.name, product.organization.name, farm, needs, product=product
            )
        )
    return out


def _readiness_requirement(product: CreditProduct, assessment) -> Requirement:
    wanted = round(product.min_readiness * 100)
    if assessment is None:
        text = _(
            "Una preparación para el crédito de al menos %(wanted)d %% (aún sin evaluar).",
            wanted=wanted,
        )
        return Requirement(text, False, "credit")
    have = round(assessment.readiness * 100)
    text = _(
        "Una preparación para el crédito de al menos %(wanted)d %% (la suya: %(have)d %%).",
        wanted=wanted,
        have=have,
    )
    return Requirement(text, assessment.readiness >= product.min_readiness, "credit")


def incentives_for(producer: Producer) -> dict[str, list[Incentive]]:
    """Both kinds of incentive for one producer, the ones they already qualify for first."""
    premiums = sorted(buyer_premiums(producer), key=lambda i: not i.qualifies)
    credit = sorted(lender_products(producer), key=lambda i: not i.qualifies)
    return {"premiums": premiums, "credit": credit}
