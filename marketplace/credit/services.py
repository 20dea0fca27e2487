"""Credit products: the rules on their terms, saving, (de)activating, and the matching view."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import audit, currencies, gazetteer
from marketplace.credit import loan_terms, usury
from marketplace.credit.archetypes import targetable_types
from marketplace.credit.permissions import is_lender_member
from marketplace.credit.schedules import ScheduleError
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.models import (
    CreditProduct,
    GraceInterest,
    Organization,
    RepaymentSchedule,
    User,
    ValueChain,
)
from matching.types import MatchParams

# The largest loan per producer, in major units: a season's inputs or a small irrigation
# system fit; a typo with three extra zeros does not.
MAX_LOAN_MAJOR = {"PEN": 200_000, "USD": 60_000, "MXN": 1_000_000, "COP": 250_000_000}
MAX_BUDGET_MINOR = 10**15  # far above any lender's portfolio, far below BigInteger's limit
MAX_RATE_BP = 20_000  # 200 % a year
MAX_TERM_MONTHS = 120
BP_PER_UNIT = 10_000  # basis points in 100 %
NOT_OFFERED = _l(
    "Producto guardado sin activar: no se ofrece hasta que Minka verifique su organización."
)
PAGE_SIZE = 20
MAX_INSURANCE_PPM = 10_000  # 1 % of the balance a month
MAX_LATE_RATE_BP = 20_000  # 200 % a year; Peru's SBS caps it lower, the lender states its own
# the widest credit groups the matching forms (MatchParams.group_min, group_max)
GROUP_BOUNDS = (MatchParams.group_min, MatchParams.group_max)

# what a member's pledges must cover of her harvest instalments under an offtake product
DEFAULT_COLLATERAL_BP = 10_000
MIN_COLLATERAL_BP = 1_000
MAX_COLLATERAL_BP = 50_000


@dataclass
class ProductData:
    """A credit product's terms as a form collects them (money in minor units, rates in bp)."""

    name: str
    value_chains: list[str]
    country: str
    regions: list[str]
    # districts picked among the regions' ones; none means every district of the regions
    districts: list[str] = field(default_factory=list)
    min_amount_minor: int | None = None
    max_amount_minor: int | None = None
    currency: str = "PEN"
    annual_rate_bp: int | None = None
    term_months: int | None = None
    grace_months: int = 0
    grace_interest: str = GraceInterest.CAPITALISED
    repayment: str = RepaymentSchedule.HARVEST
    insurance_monthly_ppm: int = 0  # desgravamen, parts per million of the balance a month
    fee_minor: int | None = 0  # with each payment; None when typed unreadably
    late_rate_bp: int | None = 0  # interés moratorio, effective yearly; None when unreadable
    amount_step_minor: int | None = 0  # loan amounts in multiples of it; 0: no rounding
    requires_offtake: bool = False
    # with offtake: pledged value / harvest-month instalments, bp
    collateral_ratio_bp: int | None = DEFAULT_COLLATERAL_BP
    budget_minor: int | None = None
    min_readiness_bp: int = 0  # 0..10 000 (0..100 %)
    # group size the product lends to, within the matching's group bounds
    min_members: int | None = GROUP_BOUNDS[0]
    max_members: int | None = GROUP_BOUNDS[1]
    target_archetypes: list[str] = field(default_factory=list)  # archetype types; none: any


def max_loan_minor(currency: str) -> int:
    """The largest amount per producer accepted in `currency`, in minor units."""
    return currencies.to_minor(MAX_LOAN_MAJOR.get(currency, 60_000), currency)


def coverage(country: str, regions: list[str], districts: list[str]) -> list[str]:
    """District codes covered: those picked within the regions, or all the regions' ones."""
    if country not in gazetteer.COUNTRIES:
        return []
    known = set(gazetteer.regions(country))
    in_regions = [
        d.code
        for region in regions
        if region in known
        for d in gazetteer.districts(country, region)
    ]
    picked = set(districts) & set(in_regions)
    return sorted(picked) if picked else sorted(set(in_regions))


def _amount_problems(data: ProductData) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.currency not in currencies.CODES:
        problems["currency"] = _l("Elija una moneda de la lista.")
        return problems
    ceiling = max_loan_minor(data.currency)
    for name, value in (
        ("min_amount", data.min_amount_minor),
        ("max_amount", data.max_amount_minor),
    ):
        if value is None:
            problems[name] = _l("Este dato es obligatorio.")
        elif value <= 0:
            problems[name] = _l("Escriba un monto mayor que 0.")
        elif value > ceiling:
            problems[name] = _l("El monto por productor es demasiado alto; revise los ceros.")
    if not problems and data.min_amount_minor > data.max_amount_minor:
        problems["min_amount"] = _l("El mínimo no puede ser mayor que el máximo.")
    step = data.amount_step_minor
    if step is None or step < 0:
        problems["amount_step"] = _l("Escriba un monto de 0 o más.")
    elif data.min_amount_minor and step > data.min_amount_minor:
        problems["amount_step"] = _l("El redondeo no puede pasar del monto mínimo.")
    if data.budget_minor is None:
        problems["budget"] = _l("Este dato es obligatorio.")
    elif not 0 <= data.budget_minor <= MAX_BUDGET_MINOR:
        problems["budget"] = _l("El presupuesto no puede ser negativo ni desmesurado.")
    return problems


def _rate_problems(data: ProductData) -> dict[str, str]:
    problems: dict[str, str] = {}
    tea = data.annual_rate_bp
    if tea is None:
        problems["annual_rate"] = _l("Este dato es obligatorio.")
    elif not 0 < tea <= MAX_RATE_BP:
        problems["annual_rate"] = _l("La TEA debe ser mayor que 0 % y como máximo 200 %.")
    if not 0 <= data.insurance_monthly_ppm <= MAX_INSURANCE_PPM:
        problems["insurance"] = _l("Escriba un porcentaje entre 0 y 1.")
    if data.fee_minor is None or data.fee_minor < 0:
        problems["fee"] = _l("Escriba un monto de 0 o más.")
    elif data.min_amount_minor and data.fee_minor * 4 > data.min_amount_minor:
        problems["fee"] = _l("La comisión es muy alta para el monto mínimo; revise los ceros.")
    late = data.late_rate_bp
    if late is None or not 0 <= late <= MAX_LATE_RATE_BP:
        problems["late_rate"] = _l("El interés moratorio va de 0 % a 200 % al año.")
    if data.grace_interest not in GraceInterest.codes():
        problems["grace_interest"] = _l("Elija qué pasa con los intereses de la gracia.")
    return problems


def _priced(values: dict) -> dict:
    """The product's values with its cost computed from its own schedule (never typed);
    InvalidInput when the terms make no schedule or an unbelievable cost."""
    try:
        cost_bp = loan_terms.product_cost_bp(CreditProduct(**values))
    except ScheduleError:
        raise InvalidInput(
            {"repayment": _l("Con este plazo y esta gracia no queda cuándo pagar.")}
        ) from None
    if cost_bp > MAX_RATE_BP:
        raise InvalidInput(
            {"annual_rate": _l("Con seguro y comisiones, el costo anual pasa del 200 %.")}
        )
    usury_problem = usury.problem(values["coverage_country"], cost_bp)
    if usury_problem:
        raise InvalidInput({"annual_rate": usury_problem})
    return {**values, "total_cost_bp": cost_bp}


def _term_problems(data: ProductData) -> dict[str, str]:
    problems: dict[str, str] = {}
    term = data.term_months
    if term is None or not 1 <= term <= MAX_TERM_MONTHS:
        problems["term_months"] = _l("El plazo va de 1 a 120 meses.")
    if data.grace_months is None or data.grace_months < 0:
        problems["grace_months"] = _l("La gracia no puede ser negativa.")
    elif term is not None and data.grace_months >= term:
        problems["grace_months"] = _l("La gracia debe ser menor que el plazo.")
    if data.repayment not in {r.value for r in RepaymentSchedule}:
        problems["repayment"] = _l("Elija cómo se paga.")
    if not 0 <= data.min_readiness_bp <= BP_PER_UNIT:
        problems["min_readiness"] = _l("Escriba un porcentaje entre 0 y 100.")
    ratio = data.collateral_ratio_bp
    if ratio is None or not MIN_COLLATERAL_BP <= ratio <= MAX_COLLATERAL_BP:
        problems["collateral_ratio"] = _l("Escriba un porcentaje entre 10 y 500.")
    return problems


def _group_problems(data: ProductData) -> dict[str, str]:
    problems: dict[str, str] = {}
    low, high = GROUP_BOUNDS
    outside = _l("Escriba un número de %(low)s a %(high)s.", low=low, high=high)
    for name in ("min_members", "max_members"):
        value = getattr(data, name)
        if value is None:
            problems[name] = _l("Este dato es obligatorio.")
        elif not low <= value <= high:
            problems[name] = outside
    if not problems and data.min_members > data.max_members:
        problems["min_members"] = _l("El mínimo de integrantes no puede pasar del máximo.")
    if not set(data.target_archetypes) <= {code for code, _name in targetable_types()}:
        problems["target_archetypes"] = _l("Elija tipos de productor de la lista.")
    return problems


def product_problems(data: ProductData) -> dict[str, str]:
    """Every rule the terms break, by form field (empty when the terms are possible)."""
    problems: dict[str, str] = {}
    if not data.name.strip():
        problems["name"] = _l("Este dato es obligatorio.")
    elif len(data.name.strip()) > 120:
        problems["name"] = _l("Use como máximo 120 caracteres.")
    chains = {c.value for c in ValueChain}
    if not data.value_chains or not set(data.value_chains) <= chains:
        problems["value_chains"] = _l("Elija al menos una cadena de valor.")
    if not coverage(data.country, data.regions, data.districts):
        problems["regions"] = _l("Elija al menos una región donde ofrece el crédito.")
    problems |= _amount_problems(data)
    problems |= _rate_problems(data)
    problems |= _term_problems(data)
    problems |= _group_problems(data)
    return problems


def _lender_org(actor: User) -> Organization:
    if not is_lender_member(actor):
        raise DomainError(_l("Solo los miembros de una entidad financiera definen créditos."))
    return actor.organization


def _values(data: ProductData) -> dict:
    return {
        "name": data.name.strip(),
        "value_chains": sorted(set(data.value_chains)),
        "coverage_country": data.country,
        "coverage_districts": coverage(data.country, data.regions, data.districts),
        "min_amount_minor": data.min_amount_minor,
        "max_amount_minor": data.max_amount_minor,
        "currency": data.currency,
        "annual_rate_bp": data.annual_rate_bp,
        "term_months": data.term_months,
        "grace_months": data.grace_months,
        "grace_interest": data.grace_interest,
        "repayment": data.repayment,
        "insurance_monthly_ppm": data.insurance_monthly_ppm,
        "fee_minor": data.fee_minor,
        "late_rate_bp": data.late_rate_bp,
        "amount_step_minor": data.amount_step_minor,
        "requires_offtake": data.requires_offtake,
        "collateral_ratio_bp": data.collateral_ratio_bp,
        "budget_minor": data.budget_minor,
        "min_readiness": data.min_readiness_bp / BP_PER_UNIT,
        "min_members": data.min_members,
        "max_members": data.max_members,
        "target_archetypes": sorted(set(data.target_archetypes)),
    }


def _check(actor: User, data: ProductData) -> tuple[Organization, dict]:
    """The lender's organization and the product's values, cost included; InvalidInput
    with every problem of the terms."""
    org = _lender_org(actor)
    data.country = org.country
    problems = product_problems(data)
    if problems:
        raise InvalidInput(problems)
    return org, _priced(_values(data))


def create_product(actor: User, data: ProductData) -> CreditProduct:
    """Save a lender's new product; it is offered at once only if the organization is verified."""
    org, values = _check(actor, data)
    product = CreditProduct(organization_id=org.id, active=org.can_publish, **values)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "credit_product.created", product, name=product.name, active=product.active)
    db.session.commit()
    return product


def update_product(actor: User, product: CreditProduct, data: ProductData) -> CreditProduct:
    """Change a product's terms (its active state is left as it is)."""
    if product.organization_id != actor.organization_id:
        raise DomainError(_l("Este producto es de otra organización."))
    _org, values = _check(actor, data)
    changed = sorted(k for k, v in values.items() if getattr(product, k) != v)
    for key, value in values.items():
        setattr(product, key, value)
    audit.record(actor, "credit_product.updated", product, fields=changed)
    db.session.commit()
    return product


def set_active(actor: User, product: CreditProduct, active: bool) -> CreditProduct:
    """Offer a product (verified organizations only) or stop offering it."""
    org = _lender_org(actor)
    if product.organization_id != org.id:
        raise DomainError(_l("Este producto es de otra organización."))
    if active and not org.can_publish:
        raise DomainError(
            _l("No se puede activar: no se ofrece hasta que Minka verifique su organización.")
        )
    if product.active != active:
        product.active = active
        action = "credit_product.activated" if active else "credit_product.deactivated"
        audit.record(actor, action, product)
        db.session.commit()
    return product


def organization_products(org_id: int, page: int = 1):
    """A lender organization's products, active first, then by name (one page)."""
    query = (
        select(CreditProduct)
        .where(CreditProduct.organization_id == org_id)
        .order_by(CreditProduct.active.desc(), CreditProduct.name, CreditProduct.id)
    )
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)
