"""Producers' browsing of the catalogue: filters, Spanish search, sorts and pagination.

Built to stay fast with 100,000 listings: every page is one indexed query for the ids
(LIMIT per_page + 1, so no COUNT over the table), remembered for a few seconds per process
(catalog.cache), then one query for those rows; the organizations that may not publish are
excluded with a NOT IN over a handful of ids, which lets the database walk the
(status, created_at) or (status, price) index in order.

The text search matches each word's light Spanish stem (marketplace.text.stem) inside the
folded search_text, so plurals, gender and accents do not matter, in the same single scan.
Items in stock come first, the sold-out ones after them (see _search).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace

from flask_babel import force_locale
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from marketplace.catalog import cache, plan, taxonomy
from marketplace.catalog.plan import distance, unindexed
from marketplace.extensions import db
from marketplace.models import (
    Farm,
    Listing,
    ListingRegion,
    ListingStatus,
    ListingValueChain,
    Organization,
    Producer,
    User,
)
from marketplace.permissions import MAX_ID
from marketplace.text import fold, stem

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 10_000  # deeper pages are not for people; also keeps OFFSET within 64 bits
MAX_PRICE_FILTER = 10**13  # minor units: above any accepted price in any currency
MAX_WORDS = 6
MAX_WORD = 40
SORTS = ("newest", "price_asc", "price_desc", "nearest")


@dataclass
class CatalogFilters:
    """What a producer asks the catalogue for (every field optional)."""

    q: str = ""
    kind: str | None = None
    category: str | None = None
    value_chain: str | None = None
    country: str | None = None
    region: str | None = None
    price_min_minor: int | None = None
    price_max_minor: int | None = None
    in_stock: bool = False
    sort: str = "newest"
    near: tuple[float, float] | None = None  # (lat, lon) for sort="nearest"
    sold_out: bool = False  # only the sold-out inputs (the tail of every unfiltered search)


class CatalogPage(Pagination):
    """A page that knows whether another follows (the search fetched one row more): no COUNT.

    `total` is None; `has_next`, `next_num`, `has_prev` and `prev_num` work as usual.
    """

    def __init__(self, items: list, more: bool, page: int, per_page: int) -> None:
        self._items, self._more = items, more
        super().__init__(page, per_page, MAX_PER_PAGE, error_out=False, count=False)

    def _query_items(self) -> list:
        return self._items

    def _query_count(self) -> int | None:
        return None

    @property
    def has_next(self) -> bool:
        """True when at least one more listing follows this page."""
        return self._more

    @property
    def pages(self) -> int:
        """The pages known so far: this one, and the next when there is one."""
        return self.page + (1 if self._more else 0)


def words(q: str) -> list[str]:
    """The folded words of a search (at most six, each cut to 40 characters)."""
    return [w[:MAX_WORD] for w in fold(q).split()][:MAX_WORDS]


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def visible() -> list:
    """Conditions for a listing producers may see: published by an org that may publish."""
    return [Listing.status == ListingStatus.PUBLISHED, Listing.organization_id.not_in(_hidden())]


def _hidden() -> Select:
    return select(Organization.id).where(
        or_(Organization.verified_at.is_(None), Organization.suspended_at.is_not(None))
    )


# What a listing's pages read besides the row: its seller, regions and value chains.
LISTING_LOADS = (
    joinedload(Listing.organization),
    selectinload(Listing.regions),
    selectinload(Listing.value_chains),
)


def _eager(query: Select) -> Select:
    return query.options(*LISTING_LOADS)


def _conditions(filters: CatalogFilters, driven: bool) -> list:
    """WHERE terms of a search. Terms the chosen plan must not use an index for are wrapped
    in `unindexed` (see catalog.plan): the plan, not the planner's guess, picks the index."""
    by_price = filters.sort in ("price_asc", "price_desc") and not driven
    status = unindexed(Listing.status) if driven else Listing.status
    price = Listing.price_minor if by_price else unindexed(Listing.price_minor)
    country = Listing.country if by_price else unindexed(Listing.country)
    terms = [status == ListingStatus.PUBLISHED, Listing.organization_id.not_in(_hidden())]
    if filters.category:
        terms.append(unindexed(Listing.category) == filters.category)
    if filters.kind:
        terms.append(unindexed(Listing.kind) == filters.kind)
    if filters.country and (by_price or not filters.region):  # regions imply the country
        terms.append(country == filters.country)
    if filters.region:
        served = [ListingRegion.listing_id == Listing.id, ListingRegion.region == filters.region]
        if filters.country:
            served.append(ListingRegion.country == filters.country)
        terms.append(exists().where(*served))
    if filters.value_chain:
        terms.append(
            exists().where(
                ListingValueChain.listing_id == Listing.id,
                ListingValueChain.value_chain == filters.value_chain,
            )
        )
    if filters.price_min_minor is not None:
        terms.append(price >= filters.price_min_minor)
    if filters.price_max_minor is not None:
        terms.append(price <= filters.price_max_minor)
    if filters.in_stock:
        terms.append(or_(Listing.stock.is_(None), Listing.stock > 0))
    if filters.sold_out:
        terms.append(Listing.stock == 0)
    for word in words(filters.q):  # stems: plural, gender and accents do not matter
        terms.append(Listing.search_text.like(_like(stem(word)), escape="\\"))
    return terms


def _order(sort: str, near: tuple[float, float] | None) -> list:
    if sort == "price_asc":
        return [Listing.price_minor, Listing.id]
    if sort == "price_desc":
        return [Listing.price_minor.desc(), Listing.id.desc()]
    if sort == "nearest" and near is not None:
        return [distance(near), Listing.id]
    return [Listing.created_at.desc(), Listing.id.desc()]


def _bounds(page: int, per_page: int) -> tuple[int, int]:
    return min(max(page, 1), MAX_PAGE), min(max(per_page, 1), MAX_PER_PAGE)


def search_listings(filters: CatalogFilters, page: int = 1, per_page: int = PER_PAGE):
    """A page of published listings matching `filters`, with organization, regions and
    value chains loaded; `total` is None (see CatalogPage). The plan: catalog.plan."""
    page, per_page = _bounds(page, per_page)
    key = cache_key(filters, page, per_page)
    hit, value, token = cache.lookup(key)
    if not hit:  # one query finds and loads the rows (plus the eager loads)
        items, more = _search(filters, page, per_page, Listing)
        cache.store(key, ([listing.id for listing in items], more), token)
        return CatalogPage(items, more, page, per_page)
    ids, more = value
    found = db.session.scalars(_eager(select(Listing).where(Listing.id.in_(ids)))) if ids else []
    by_id = {listing.id: listing for listing in found}
    return CatalogPage([by_id[i] for i in ids if i in by_id], more, page, per_page)


def browse_listings(filters: CatalogFilters, page: int = 1, per_page: int = PER_PAGE):
    """Like search_listings, but the items are light rows with what a catalogue card shows:
    id, title, price_minor, currency, unit, stock, delivery_mode, organization_name and
    region_count (one query, no ORM objects)."""
    page, per_page = _bounds(page, per_page)
    ids, more = page_ids(filters, page, per_page)
    rows = []
    if ids:
        regions = (
            select(func.count())
            .where(ListingRegion.listing_id == Listing.id)
            .correlate(Listing)
            .scalar_subquery()
        )
        query = (
            select(
                Listing.id,
                Listing.title,
                Listing.price_minor,
                Listing.currency,
                Listing.unit,
                Listing.stock,
                Listing.delivery_mode,
                Organization.name.label("organization_name"),
                regions.label("region_count"),
            )
            .join(Organization, Organization.id == Listing.organization_id)
            .where(Listing.id.in_(ids))
        )
        by_id = {row.id: row for row in db.session.execute(query)}
        rows = [by_id[i] for i in ids if i in by_id]
    return CatalogPage(rows, more, page, per_page)


def page_ids(filters: CatalogFilters, page: int, per_page: int) -> tuple[list[int], bool]:
    """The ids of a page of matches, in order, and whether more follow (cached briefly)."""
    page, per_page = _bounds(page, per_page)
    compute = lambda: _search(filters, page, per_page, Listing.id)  # noqa: E731
    return cache.remembered(cache_key(filters, page, per_page), compute)


def cache_key(filters: CatalogFilters, page: int, per_page: int) -> tuple:
    """What identifies a search's page: the filters (words of the text search), page, size."""
    return ("page", astuple(replace(filters, q=" ".join(words(filters.q)))), page, per_page)


def _search(filters: CatalogFilters, page: int, per_page: int, what) -> tuple[list, bool]:
    """The page's listings (`what` = Listing) or ids (Listing.id), and whether more follow.

    Unless the producer asked for items in stock only, the items in stock come first (in the
    chosen order) and the sold-out ones after them (same order): nobody should meet an
    "Agotado" before what can be ordered. The sold-out ones are few and found from their own
    index (plan.driver), so the second part costs little."""
    offset = (page - 1) * per_page
    if filters.in_stock or filters.sold_out:
        return _plan(what, filters, offset, per_page)
    items, more = _plan(what, replace(filters, in_stock=True), offset, per_page)
    if more:
        return items, more
    if items or offset == 0:
        in_stock = offset + len(items)
    else:  # past the last page of items in stock: how many there are, to skip them
        in_stock = _count(replace(filters, in_stock=True))
    sold, more = _plan(
        what, replace(filters, sold_out=True), max(offset - in_stock, 0), per_page - len(items)
    )
    return items + sold, more


def _count(filters: CatalogFilters) -> int:
    """How many listings match `filters` (only for pages past the last one in stock)."""
    query = select(func.count()).select_from(
        select(Listing.id).where(*_conditions(filters, driven=False)).subquery()
    )
    return db.session.scalar(query) or 0


def _plan(what, filters: CatalogFilters, offset: int, limit: int) -> tuple[list, bool]:
    """Listings `offset` .. `offset + limit - 1` of the matches, by the plan that fits."""
    wanted = limit + 1
    small = plan.driver(filters, plan.DRIVE_ROWS)
    if small is not None:
        return _page(what, filters, offset, limit, drive=small)
    if filters.sort == "nearest" and filters.near is not None:
        terms = _conditions(filters, driven=False)
        ids = plan.nearest_ids(filters.near, terms, offset, wanted)
        return _page(what, filters, offset, limit, ids=ids)
    if offset == 0 and not _narrowed(filters):
        return _page(what, filters, offset, limit)
    window = plan.window(filters, offset + wanted)
    if window:
        found = _page(what, filters, offset, limit, extra=window)
        if found[1]:
            return found
    medium = plan.driver(filters, plan.DRIVE_ROWS_NARROWED)
    return _page(what, filters, offset, limit, drive=medium)


def _narrowed(filters: CatalogFilters) -> bool:
    """True when the filters may make matches rare. Not so with none, or with a single
    indexed filter (region, category, value chain or price range) that plan.driver found
    to hold more than DRIVE_ROWS listings: a walk then fills a page within a few hundred."""
    indexed = [
        filters.region and filters.country,
        filters.category in taxonomy.CATEGORIES,
        filters.value_chain,
        filters.price_min_minor is not None or filters.price_max_minor is not None,
    ]
    # "in stock" is not among them: few listings are sold out, a walk fills a page as fast
    others = [filters.q.strip(), filters.kind, filters.sold_out]
    others.append(filters.country and not filters.region)
    others.append(filters.region and not filters.country)
    return sum(map(bool, indexed)) > 1 or any(others)


def _page(
    what,
    filters: CatalogFilters,
    offset: int,
    limit: int,
    drive: Select | None = None,
    extra: list | tuple = (),
    ids: list[int] | None = None,
) -> tuple[list[int], bool]:
    """Run one plan: walk (optionally within a window), drive from `drive`, or order `ids`
    (this page's already). The page's listings (`what` = Listing, with _eager's loads) or
    ids (`what` = Listing.id) in order, and whether another page follows."""
    if ids is not None:
        terms = [Listing.id.in_(ids)]
    else:
        terms = [*_conditions(filters, driven=drive is not None), *extra]
        if drive is not None:
            terms.append(Listing.id.in_(drive))
    query = select(what).where(*terms).order_by(*_order(filters.sort, filters.near))
    if ids is None:
        query = query.limit(limit + 1).offset(offset)
    if what is Listing:
        query = _eager(query)
    found = list(db.session.execute(query).unique().scalars())
    return found[:limit], len(found) > limit


def published_listing(listing_id: int) -> Listing | None:
    """A listing producers may see (published by an org that may publish), or None."""
    if not 0 < listing_id <= MAX_ID:
        return None
    return db.session.scalar(_eager(select(Listing).where(Listing.id == listing_id, *visible())))


def listing_for_members(org_id: int, listing_id: int) -> Listing | None:
    """One of the organization's own listings (any status but deleted), or None."""
    if not 0 < listing_id <= MAX_ID:
        return None
    return db.session.scalar(
        _eager(
            select(Listing).where(
                Listing.id == listing_id,
                Listing.organization_id == org_id,
                Listing.status != ListingStatus.DELETED,
            )
        )
    )


@dataclass(frozen=True)
class Place:
    """Where a producer's first farm is: the catalogue's default region and "nearest" origin."""

    country: str
    region: str
    lat: float
    lon: float


# Built once: the catalogue asks it on every page a producer sees.
_FIRST_FARM = (
    select(Farm.country, Farm.region, Farm.lat, Farm.lon)
    .join(Producer, Producer.id == Farm.producer_id)
    .where(Producer.user_id == bindparam("user"))
    .order_by(Farm.id)
    .limit(1)
)


def producer_place(user: User) -> Place | None:
    """The place of the first farm of a producer's own account, or None."""
    row = db.session.execute(_FIRST_FARM, {"user": user.id}).first()
    return Place(*row) if row else None


SIMILAR = 5


def similar_listings(listing: Listing, producer: Producer | None = None) -> list:
    """Up to SIMILAR listings in stock of the same category and country as `listing` (light
    rows as browse_listings gives), nearest to the producer's first farm there first."""
    farm = (
        next((f for f in producer.farms if f.country == listing.country), None)
        if producer
        else None
    )
    filters = CatalogFilters(
        category=listing.category,
        country=listing.country,
        in_stock=True,
        sort="nearest" if farm is not None else "newest",
        near=(farm.lat, farm.lon) if farm is not None else None,
    )
    found = browse_listings(filters, 1, SIMILAR + 1).items
    return [row for row in found if row.id != listing.id][:SIMILAR]


@dataclass(frozen=True)
class Suggestion:
    """A category worth a look after a search found nothing: where it has listings."""

    category: str
    label: str
    country: str | None
    region: str | None

    @property
    def place(self) -> str:
        """The catalogue's place filter for it ("PE:San Martín", "PE" or "")."""
        if self.country and self.region:
            return f"{self.country}:{self.region}"
        return self.country or ""


MAX_SUGGESTIONS = 4


def suggest_categories(filters: CatalogFilters) -> list[Suggestion]:
    """Categories whose name shares a stem with the search's words and that have listings
    in the producer's region (else in her country): what to offer when nothing matched.
    Each check is one query driven by the category's index (a page of one id)."""
    stems = [stem(word) for word in words(filters.q)]
    if not stems:
        return []
    found = []
    for category in taxonomy.CATEGORIES.values():
        with force_locale("es"):
            name = fold(f"{category.label} {category.code.replace('_', ' ')}")
        if not any(s in name for s in stems):
            continue
        places = [(filters.country, filters.region)] if filters.region else []
        places.append((filters.country, None))
        for country, region in places:
            probe = CatalogFilters(category=category.code, country=country, region=region)
            if page_ids(probe, 1, 1)[0]:
                found.append(Suggestion(category.code, category.label, country, region))
                break
        if len(found) == MAX_SUGGESTIONS:
            break
    return found
