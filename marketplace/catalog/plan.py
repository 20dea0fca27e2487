"""How a catalogue search reaches its rows quickly with 100,000 listings, on SQLite and on
PostgreSQL alike, without counting the whole table (catalog.search picks, in this order):

* **drive**: when one filter that has an index of its own (region served, category, value
  chain, price range, sold out) selects at most DRIVE_ROWS listings, start from those ids and sort
  them. A bounded count (it stops at the limit) decides, in well under a millisecond.
* **walk**: read the index that already has the requested order — (status, created_at)
  for "newest", (status, price_minor) or (status, country, price_minor) for price — and keep
  the rows that pass the filters until the page is full. With no filter, or one common
  indexed filter (the producer's default region), that takes a few hundred rows.
* **window, then drive or walk**: when several filters or a text search may make matches
  rare, walk only the first WINDOW_ROWS listings of the order; if the page is not full
  there, drive from the smallest indexed filter (up to DRIVE_ROWS_NARROWED ids), else walk
  the whole index (only a text search with no other filter gets there).
* **nearest**: look inside a small box around the farm on the (status, lat, lon) index and
  widen it until the page is provably complete.

SQLite has no statistics unless someone runs ANALYZE, so its planner may pick an index that
looks selective but forces a sort of tens of thousands of rows. `unindexed()` hides a column
from it (SQLite's documented unary "+" idiom; a no-op elsewhere) so that it takes the index
the plan chose. PostgreSQL plans from its own statistics and gets the same SQL.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sqlalchemy import Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from marketplace.catalog import cache, taxonomy
from marketplace.extensions import db
from marketplace.models import Listing, ListingRegion, ListingStatus, ListingValueChain

if TYPE_CHECKING:
    from marketplace.catalog.search import CatalogFilters

#: Sort a candidate set of at most this many listings rather than walk an ordered index...
DRIVE_ROWS = 4_000
#: ...or up to this many when a walk through the first WINDOW_ROWS did not fill the page.
DRIVE_ROWS_NARROWED = 20_000
#: A walk first reads at most this many listings (in sort order, and at least WINDOW_FACTOR
#: times what the page needs) before giving up on it.
WINDOW_ROWS = 3_000
WINDOW_FACTOR = 8
#: Half-sizes (degrees of latitude) of the boxes tried around the farm for "nearest".
BOXES = (0.25, 1.0, 4.0)


class unindexed(GenericFunction):  # noqa: N801 (reads like the SQL it stands for)
    """A column the planner should not use an index for: ``+column`` on SQLite."""

    inherit_cache = True
    identifier = "minka_unindexed"

    def __init__(self, column, **kwargs) -> None:
        kwargs.setdefault("type_", column.type)
        super().__init__(column, **kwargs)


@compiles(unindexed)
def _plain(element, compiler, **kw) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _plus(element, compiler, **kw) -> str:
    return "+" + compiler.process(element.clauses, **kw)


def _scale(lat: float) -> float:
    """cos(latitude): how much shorter a degree of longitude is than one of latitude."""
    return max(math.cos(math.radians(lat)), 0.05)


def distance(near: tuple[float, float]):
    """Squared equirectangular distance to `near` (lat, lon) as a SQL expression.

    cos(lat) is computed here, so the SQL is plain arithmetic on both databases."""
    lat, lon = near
    dlat = Listing.lat - lat
    dlon = (Listing.lon - lon) * _scale(lat)
    return dlat * dlat + dlon * dlon


def _candidate_sets(filters: CatalogFilters) -> list[tuple[tuple, Select]]:
    """Id sets of the filters that have an index of their own, each with a key naming it."""
    sets = []
    if filters.region and filters.country:
        sets.append(
            (
                ("region", filters.country, filters.region),
                select(ListingRegion.listing_id).where(
                    ListingRegion.country == filters.country,
                    ListingRegion.region == filters.region,
                ),
            )
        )
    category = taxonomy.CATEGORIES.get(filters.category or "")
    if category is not None:
        sets.append(
            (
                ("category", category.kind, category.code),
                select(Listing.id).where(
                    Listing.status == ListingStatus.PUBLISHED,
                    Listing.kind == category.kind,
                    Listing.category == category.code,
                ),
            )
        )
    if filters.value_chain:
        sets.append(
            (
                ("value_chain", filters.value_chain),
                select(ListingValueChain.listing_id).where(
                    ListingValueChain.value_chain == filters.value_chain
                ),
            )
        )
    if filters.sold_out:  # the (status, stock) index
        sets.append(
            (
                ("sold_out",),
                select(Listing.id).where(
                    Listing.status == ListingStatus.PUBLISHED, Listing.stock == 0
                ),
            )
        )
    low, high = filters.price_min_minor, filters.price_max_minor
    if low is not None or high is not None:
        priced = select(Listing.id).where(Listing.status == ListingStatus.PUBLISHED)
        if low is not None:
            priced = priced.where(Listing.price_minor >= low)
        if high is not None:
            priced = priced.where(Listing.price_minor <= high)
        sets.append((("price", low, high), priced))
    return sets


def _bounded_count(key: tuple, ids: Select, limit: int) -> int:
    """How many ids `ids` (named by `key`) selects, counting no further than limit + 1;
    remembered briefly (catalog.cache)."""
    query = select(func.count()).select_from(ids.limit(limit + 1).subquery())
    return cache.remembered(("count", key, limit), lambda: db.session.scalar(query))


def driver(filters: CatalogFilters, limit: int) -> Select | None:
    """The smallest indexed id set of `filters` if it holds at most `limit` ids, else None."""
    best, best_n = None, limit + 1
    for key, ids in _candidate_sets(filters):
        n = _bounded_count(key, ids, best_n - 1)
        if n < best_n:
            best, best_n = ids, n
    return best


def window(filters: CatalogFilters, needed: int) -> list:
    """A bound on the sort column keeping only the first listings of the walk (WINDOW_ROWS,
    or WINDOW_FACTOR x `needed` if more), so a walk that finds too few matches stops early;
    [] when there are not that many published listings.

    Listings outside the window come after every listing inside it, so a page found
    whole inside the window is the true page."""
    size = max(WINDOW_ROWS, WINDOW_FACTOR * needed)
    descending = filters.sort != "price_asc"
    column = Listing.created_at
    bound = select(Listing.created_at).where(Listing.status == ListingStatus.PUBLISHED)
    if filters.sort in ("price_asc", "price_desc"):
        column = Listing.price_minor
        bound = select(column).where(Listing.status == ListingStatus.PUBLISHED)
        if filters.country:  # the (status, country, price) index, as the walk uses
            bound = bound.where(Listing.country == filters.country)
    bound = bound.order_by(column.desc() if descending else column).offset(size - 1).limit(1)
    value = db.session.scalar(bound)
    if value is None:
        return []
    return [column >= value] if descending else [column <= value]


def _box_terms(near: tuple[float, float], half: float | None) -> list:
    if half is None:
        return []
    lat, lon = near
    wide = half / _scale(lat)
    return [
        Listing.lat.between(lat - half, lat + half),
        Listing.lon.between(lon - wide, lon + wide),
    ]


def nearest_ids(near: tuple[float, float], terms: list, offset: int, limit: int) -> list[int]:
    """Ids of the listings at positions offset .. offset + limit - 1 when the matches of
    `terms` are sorted by distance to `near` (lat, lon), then id.

    Tries boxes around `near` from the smallest: anything outside a box of half-size h is
    farther than h, so once the last wanted listing inside the box is within h, no listing
    outside can come before it. Only ids and coordinates are sorted (from the index)."""
    lat, lon = near
    scale = _scale(lat)
    for half in (*BOXES, None):
        rows = db.session.execute(
            select(Listing.id, Listing.lat, Listing.lon)
            .where(*terms, *_box_terms(near, half))
            .order_by(distance(near), Listing.id)
            .offset(offset)
            .limit(limit)
        ).all()
        last = rows[-1] if rows else None
        if half is None or (
            len(rows) == limit
            and (last.lat - lat) ** 2 + ((last.lon - lon) * scale) ** 2 <= half**2
        ):
            return [row.id for row in rows]
    return []
