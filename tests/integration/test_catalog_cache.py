"""The catalogue's short-lived search cache (catalog.cache): fresh after every change made
through the services, bounded, and off when MINKA_CATALOG_CACHE_SECONDS is 0."""

from __future__ import annotations

import pytest

from marketplace.catalog import cache, plan, services
from marketplace.catalog.search import CatalogFilters, browse_listings, page_ids
from tests.integration.test_catalog import data


@pytest.fixture
def cached(app, monkeypatch):
    monkeypatch.setitem(app.config, "MINKA_CATALOG_CACHE_SECONDS", 30)
    cache.changed()
    yield
    cache.changed()


def test_identical_searches_are_remembered_until_a_listing_changes(
    db, cached, make_user, make_listing
):
    first = make_listing()
    assert page_ids(CatalogFilters(), 1, 20) == ([first.id], False)
    make_listing()  # written behind the services' back: the cached page stays
    assert page_ids(CatalogFilters(q="  "), 1, 20) == ([first.id], False)
    supplier = make_user("supplier")
    made = services.create_listing(supplier, supplier.organization, data(), True)
    found, more = page_ids(CatalogFilters(), 1, 20)
    assert made.id in found and first.id in found and len(found) == 3 and not more
    services.pause_listing(supplier, made)
    assert made.id not in page_ids(CatalogFilters(), 1, 20)[0]


def test_stock_changes_and_bounded_counts(db, cached, make_listing, monkeypatch):
    listing = make_listing(regions=["San Martín", "Junín"])
    filters = CatalogFilters(country="PE", region="San Martín", in_stock=True)
    assert plan.driver(filters, 10) is not None
    calls = []
    real = cache.remembered
    monkeypatch.setattr(cache, "remembered", lambda k, f: real(k, lambda: calls.append(k) or f()))
    plan.driver(filters, 10)
    assert calls == []  # the bounded count came from the cache
    rows = browse_listings(filters).items
    assert [(r.id, r.region_count, r.organization_name) for r in rows] == [
        (listing.id, 2, listing.organization.name)
    ]
    cache.changed()  # what the orders' services call when stock changes
    plan.driver(filters, 10)
    assert calls != []


def test_the_cache_is_bounded_and_off_at_zero(app, db, cached, make_listing, monkeypatch):
    make_listing()
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for page in range(1, 6):
        page_ids(CatalogFilters(), page, 1)
    assert len(cache._entries) == 3
    monkeypatch.setitem(app.config, "MINKA_CATALOG_CACHE_SECONDS", 0)
    cache.changed()
    page_ids(CatalogFilters(), 1, 1)
    assert len(cache._entries) == 0
