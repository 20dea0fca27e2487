"""Suppliers' listings: creating, editing, publishing, pausing and deleting them, and what
the lead's dashboards read. Producers' browsing lives in catalog.search (re-exported here).

Only members of a supplier or TA-provider organization manage listings; an organization
publishes only while it is verified and not suspended (drafts are allowed before).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace import audit, currencies, gazetteer
from marketplace.catalog import cache, taxonomy
from marketplace.catalog.search import (
    MAX_PAGE,
    PER_PAGE,
    CatalogFilters,
    browse_listings,
    listing_for_members,
    published_listing,
    search_listings,
)
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.models import (
    DeliveryMode,
    Listing,
    ListingRegion,
    ListingStatus,
    ListingValueChain,
    Organization,
    OrgKind,
    Role,
    User,
    ValueChain,
)
from marketplace.money import MAX_PRICE_MAJOR, max_price_minor
from marketplace.text import fold

__all__ = [
    "PER_PAGE",
    "CatalogFilters",
    "ListingData",
    "browse_listings",
    "create_listing",
    "delete_listing",
    "dispatch_district",
    "listing_for_members",
    "listing_problems",
    "org_listings",
    "pause_listing",
    "publish_listing",
    "published_listing",
    "search_listings",
    "search_text",
    "supplier_org",
    "supplier_summary",
    "update_listing",
]

SUPPLIER_KINDS = (OrgKind.SUPPLIER, OrgKind.TA_PROVIDER)
MAX_STOCK = 1_000_000
MAX_LEAD_DAYS = 365
TITLE_LENGTH = (3, 140)
MAX_DESCRIPTION = 2_000
LOW_STOCK = 5

# Delivery modes that make sense for each kind: an input is picked up or delivered, a
# service happens at the farm or at a collection centre (a workshop, a soil-sample drop).
MODES_BY_KIND = {
    taxonomy.INPUT: (DeliveryMode.PICKUP, DeliveryMode.FARM_DELIVERY),
    taxonomy.SERVICE: (DeliveryMode.ON_FARM_SERVICE, DeliveryMode.PICKUP),
}
NOT_VERIFIED = _l(
    "Su organización aún no está verificada o está suspendida: puede guardar borradores, "
    "pero no publicar. Un administrador de Minka la revisará."
)


@dataclass
class ListingData:
    """A listing as the supplier's form collects it (price already in minor units)."""

    kind: str
    category: str
    title: str
    price_minor: int
    currency: str
    unit: str
    delivery_mode: str
    region: str  # where it is dispatched from (region and district of the org's country)
    district_code: str
    description: str = ""
    stock: int | None = None
    lead_time_days: int = 0
    regions: list[str] = field(default_factory=list)  # regions served
    value_chains: list[str] = field(default_factory=list)
    # The stock the supplier saw when the form was drawn: an unchanged figure is not written
    # back, so orders placed meanwhile keep the units they took.
    stock_seen: int | None = None


def supplier_org(user: User) -> Organization | None:
    """The supplier or TA-provider organization whose listings `user` manages, if any."""
    org = user.organization if user.role == Role.SUPPLIER else None
    if org is None or org.kind not in SUPPLIER_KINDS:
        return None
    return org


@lru_cache(maxsize=4096)
def _district_at(country: str, lat: float, lon: float) -> tuple[str, str]:
    nearest = min(
        (d for d in gazetteer.all_districts(country) if d.has_coordinates),
        key=lambda d: (d.lat - lat) ** 2 + (d.lon - lon) ** 2,
        default=None,
    )
    return (nearest.region, nearest.code) if nearest else ("", "")


def dispatch_district(listing: Listing) -> tuple[str, str]:
    """(region, district code) of the district whose seat is the listing's dispatch point."""
    return _district_at(listing.country, listing.lat, listing.lon)


def search_text(title: str, description: str, category: str) -> str:
    """What the catalogue's search matches: title, description and category, folded."""
    with force_locale("es"):  # the Spanish label, whatever the supplier's language
        category_label = taxonomy.CATEGORIES[category].label if category else ""
    return fold(f"{title} {description} {category_label}")


def listing_problems(org: Organization, data: ListingData) -> dict[str, str]:
    """Every rule `data` breaks, by form field (empty when the listing may be saved)."""
    problems: dict[str, str] = {}
    if data.kind not in taxonomy.KINDS:
        problems["kind"] = _l("Elija insumo o servicio.")
    if not taxonomy.fits(data.category, data.kind):
        problems["category"] = _l("Elija una categoría que corresponda al tipo elegido.")
    title = data.title.strip()
    if not TITLE_LENGTH[0] <= len(title) <= TITLE_LENGTH[1]:
        problems["title"] = _l("El nombre debe tener entre 3 y 140 caracteres.")
    if len(data.description) > MAX_DESCRIPTION:
        problems["description"] = _l("La descripción admite hasta 2000 caracteres.")
    if data.currency not in currencies.CODES:
        problems["currency"] = _l("Elija una moneda de la lista.")
    elif not 0 < data.price_minor <= max_price_minor(data.currency):
        problems["price"] = _l(
            "Escriba un precio mayor que 0 y de hasta %(max)s.",
            max=number(MAX_PRICE_MAJOR[data.currency], 0),
        )
    if data.unit not in taxonomy.UNIT_CODES:
        problems["unit"] = _l("Elija una unidad de la lista.")
    if data.kind == taxonomy.INPUT and (data.stock is None or not 0 <= data.stock <= MAX_STOCK):
        problems["stock"] = _l("Indique el stock: un número entero entre 0 y 1 000 000.")
    if data.delivery_mode not in MODES_BY_KIND.get(data.kind, ()):
        problems["delivery_mode"] = _l("Elija una forma de entrega que corresponda al tipo.")
    if not 0 <= data.lead_time_days <= MAX_LEAD_DAYS:
        problems["lead_time_days"] = _l("El plazo de entrega va de 0 a 365 días.")
    known = set(gazetteer.regions(org.country))
    if not data.regions:
        problems["regions"] = _l("Marque al menos una región donde atiende.")
    elif not set(data.regions) <= known:
        problems["regions"] = _l("Marque solo regiones de la lista.")
    category = taxonomy.CATEGORIES.get(data.category)
    if not data.value_chains:
        problems["value_chains"] = _l("Marque al menos una cadena productiva.")
    elif category is not None and not set(data.value_chains) <= set(category.chains):
        names = ", ".join(ValueChain(chain).label for chain in category.chains)
        problems["value_chains"] = _l(
            "Esta categoría es para estas cadenas: %(names)s.", names=names
        )
    district = gazetteer.get_district(org.country, data.district_code)
    if district is None or not district.has_coordinates:
        problems["district_code"] = _l("Elija un distrito de la lista.")
    elif district.region != data.region:
        problems["district_code"] = _l("Ese distrito no pertenece a la región elegida.")
    return problems


def _apply(listing: Listing, org: Organization, data: ListingData) -> None:
    """Copy checked data onto the listing (stock only when the supplier changed it)."""
    district = gazetteer.get_district(org.country, data.district_code)
    listing.kind = data.kind
    listing.category = data.category
    listing.title = data.title.strip()
    listing.description = data.description.strip()
    listing.search_text = search_text(listing.title, listing.description, data.category)
    listing.price_minor = data.price_minor
    listing.currency = data.currency
    listing.unit = data.unit
    if data.kind == taxonomy.SERVICE:
        listing.stock = None
    elif listing.id is None or data.stock != data.stock_seen or listing.stock is None:
        listing.stock = data.stock
    listing.delivery_mode = data.delivery_mode
    listing.lead_time_days = data.lead_time_days
    listing.country = org.country
    listing.lat, listing.lon = district.lat, district.lon
    wanted = sorted(set(data.regions))
    if [r.region for r in listing.regions] != wanted:
        listing.regions = [ListingRegion(country=org.country, region=r) for r in wanted]
    chains = sorted(set(data.value_chains))
    if sorted(v.value_chain for v in listing.value_chains) != chains:
        listing.value_chains = [ListingValueChain(value_chain=v) for v in chains]


def create_listing(
    actor: User, org: Organization, data: ListingData, publish: bool = False
) -> Listing:
    """Save a new listing as a draft, or published when asked and the org may publish."""
    problems = listing_problems(org, data)
    if problems:
        raise InvalidInput(problems)
    if publish and not org.can_publish:
        raise DomainError(NOT_VERIFIED)
    listing = Listing(organization_id=org.id, status=ListingStatus.DRAFT)
    _apply(listing, org, data)
    db.session.add(listing)
    db.session.flush()
    audit.record(actor, "listing.created", listing, title=listing.title)
    if publish:
        listing.status = ListingStatus.PUBLISHED
        audit.record(actor, "listing.published", listing, title=listing.title)
    db.session.commit()
    cache.changed()
    return listing


def update_listing(
    actor: User, listing: Listing, data: ListingData, publish: bool = False
) -> Listing:
    """Change a listing's details (its status stays, unless a draft is published now)."""
    if listing.status == ListingStatus.DELETED:
        raise DomainError(_l("Este producto fue eliminado y ya no se puede cambiar."))
    org = listing.organization
    problems = listing_problems(org, data)
    if problems:
        raise InvalidInput(problems)
    if publish and not org.can_publish:
        raise DomainError(NOT_VERIFIED)
    _apply(listing, org, data)
    audit.record(actor, "listing.updated", listing, title=listing.title)
    if publish and listing.status != ListingStatus.PUBLISHED:
        listing.status = ListingStatus.PUBLISHED
        audit.record(actor, "listing.published", listing, title=listing.title)
    db.session.commit()
    cache.changed()
    return listing


def publish_listing(actor: User, listing: Listing) -> Listing:
    """Publish a draft, or resume a paused listing; only verified, active organizations."""
    if listing.status not in (ListingStatus.DRAFT, ListingStatus.PAUSED):
        raise DomainError(_l("Solo se publican borradores o productos pausados."))
    if not listing.organization.can_publish:
        raise DomainError(NOT_VERIFIED)
    before = listing.status
    listing.status = ListingStatus.PUBLISHED
    audit.record(actor, "listing.published", listing, title=listing.title, previous=before)
    db.session.commit()
    cache.changed()
    return listing


def pause_listing(actor: User, listing: Listing) -> Listing:
    """Hide a published listing from producers for a while."""
    if listing.status != ListingStatus.PUBLISHED:
        raise DomainError(_l("Solo se pausan productos publicados."))
    listing.status = ListingStatus.PAUSED
    audit.record(actor, "listing.paused", listing, title=listing.title)
    db.session.commit()
    cache.changed()
    return listing


def delete_listing(actor: User, listing: Listing) -> Listing:
    """Soft-delete: hidden from everyone, kept for the orders that point to it."""
    if listing.status == ListingStatus.DELETED:
        raise DomainError(_l("Este producto ya fue eliminado."))
    previous = listing.status
    listing.status = ListingStatus.DELETED
    audit.record(actor, "listing.deleted", listing, title=listing.title, previous=previous)
    db.session.commit()
    cache.changed()
    return listing


def org_listings(org_id: int, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """A page of an organization's listings in any status but deleted, newest first."""
    page = min(max(page, 1), MAX_PAGE)
    query = (
        select(Listing)
        .where(Listing.organization_id == org_id, Listing.status != ListingStatus.DELETED)
        .options(selectinload(Listing.regions))
        .order_by(Listing.created_at.desc(), Listing.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def supplier_summary(org_id: int) -> dict:
    """For the supplier's dashboard: listings by status and inputs running low (stock <= 5)."""
    rows = db.session.execute(
        select(Listing.status, func.count())
        .where(Listing.organization_id == org_id)
        .group_by(Listing.status)
    ).all()
    counts = {str(status): 0 for status in ListingStatus if status != ListingStatus.DELETED}
    counts.update({status: n for status, n in rows if status != ListingStatus.DELETED})
    low = db.session.scalars(
        select(Listing)
        .where(
            Listing.organization_id == org_id,
            Listing.status.in_((ListingStatus.PUBLISHED, ListingStatus.PAUSED)),
            Listing.stock.is_not(None),
            Listing.stock <= LOW_STOCK,
        )
        .order_by(Listing.stock, Listing.title)
        .limit(20)
    ).all()
    return {"by_status": counts, "total": sum(counts.values()), "low_stock": list(low)}
