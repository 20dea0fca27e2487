"""The catalogue's short-lived cache (catalog.cache) of searches and rendered pages: fresh
after every change made through the services (in any worker of the host), per language,
never showing one user's parts of a page to another, bounded, and off at 0 seconds."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from marketplace import shared
from marketplace.catalog import cache, plan, services
from marketplace.catalog.search import CatalogFilters, browse_listings, page_ids
from marketplace.notifications.services import notify_user
from marketplace.organizations.services import update_organization
from tests.conftest import signed_in_client
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


# --- the rendered results of /catalogo (catalog.views) --------------------------------------


def _page(client, **headers) -> str:
    response = client.get("/catalogo", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _behind_the_services_back(db, listing, **values) -> None:
    """A change no service announces: a cached page keeps showing what it showed."""
    for name, value in values.items():
        setattr(listing, name, value)
    db.session.commit()


def test_the_rendered_page_is_reused_until_a_service_changes_the_catalogue(
    app, db, cached, make_user, make_listing
):
    supplier = make_user("supplier")
    listing = services.create_listing(supplier, supplier.organization, data(), True)
    client = app.test_client()
    assert "Fertilizante Orgánico Premium" in _page(client)
    _behind_the_services_back(db, listing, title="Título que nadie anunció")
    assert "Fertilizante Orgánico Premium" in _page(client)  # reused, not rendered again
    services.update_listing(supplier, listing, data(price_minor=9900, stock=3), False)
    html = _page(client)
    assert "Título que nadie anunció" not in html and "Fertilizante Orgánico Premium" in html
    assert "99.00" in html and "Quedan 3" in html
    services.pause_listing(supplier, listing)
    assert "Fertilizante Orgánico Premium" not in _page(client)


def test_the_apis_page_is_reused_until_a_service_changes_the_catalogue(app, db, cached, make_user):
    supplier = make_user("supplier")
    listing = services.create_listing(supplier, supplier.organization, data(), True)
    client = app.test_client()

    def titles() -> list[str]:
        response = client.get("/api/v1/listings")
        assert response.status_code == 200 and response.mimetype == "application/json"
        return [item["title"] for item in response.get_json()["items"]]

    assert titles() == ["Fertilizante Orgánico Premium"]
    _behind_the_services_back(db, listing, title="Título que nadie anunció")
    assert titles() == ["Fertilizante Orgánico Premium"]  # reused, not queried again
    services.update_listing(supplier, listing, data(stock=3), False)
    assert titles() == ["Fertilizante Orgánico Premium"]
    assert client.get("/api/v1/listings").get_json()["items"][0]["stock"] == 3
    services.pause_listing(supplier, listing)
    assert titles() == []


def test_a_change_made_by_another_worker_shows_at_once(app, db, cached, make_listing):
    listing = make_listing(title="Abono de la otra tienda")
    client = app.test_client()
    assert "Abono de la otra tienda" in _page(client)
    _behind_the_services_back(db, listing, title="Abono renombrado")
    assert "Abono de la otra tienda" in _page(client)
    # What cache.changed() does in another process of this host: move the stamp forward.
    stamp = Path(app.instance_path) / cache.STAMP
    stamp.touch()
    later = stamp.stat().st_mtime_ns + 1_000_000
    os.utime(stamp, ns=(later, later))
    assert "Abono renombrado" in _page(client)


def test_with_redis_a_change_made_on_another_host_shows_at_once(
    app, db, cached, redis_url, make_listing
):
    listing = make_listing(title="Abono de la otra tienda")
    client = app.test_client()
    assert "Abono de la otra tienda" in _page(client)
    _behind_the_services_back(db, listing, title="Abono renombrado")
    assert "Abono de la otra tienda" in _page(client)
    # What cache.changed() does on another host: move the stamp in the shared Redis (the
    # instance folder's stamp file is not looked at any more).
    shared.bump(cache.STAMP)
    assert "Abono renombrado" in _page(client)


def test_renaming_the_publisher_shows_at_once(app, db, cached, make_user, make_listing):
    supplier = make_user("supplier")
    make_listing(org=supplier.organization)
    client = app.test_client()
    assert supplier.organization.name in _page(client)
    update_organization(supplier, supplier.organization, "Agroinsumos Nuevos", "PE")
    html = _page(client)
    # A verified organization that changes its name goes back to review: hidden until then.
    assert "Agroinsumos Nuevos" not in html and "No encontramos productos" in html


def test_each_language_gets_its_own_page(app, db, cached, make_listing):
    make_listing()
    client = app.test_client()
    assert "Catálogo de insumos y asistencia técnica" in _page(client)
    english = _page(client, **{"Accept-Language": "en"})
    assert "Catalogue of farm inputs and technical assistance" in english
    assert "Catálogo de insumos" not in english
    assert "Catálogo de insumos y asistencia técnica" in _page(client)


def test_nobody_sees_another_users_parts_of_the_page(
    app, db, cached, make_user, make_producer, make_farm, make_listing
):
    make_listing(title="Abono para San Martín", regions=["San Martín"])
    make_listing(title="Abono para Cusco", regions=["Cusco"])
    rosa, juan, lucia = (make_user(name=name) for name in ("Rosa Quispe", "Juan Mamani", "Lucía"))
    make_farm(make_producer(user=rosa))
    make_farm(make_producer(user=juan))  # same region as Rosa: the same results
    make_farm(make_producer(user=lucia), region="Cusco", district_code="080101", lat=-13.5)
    notify_user(rosa.id, "order.placed", order=1, quantity=1, title="Abono")
    db.session.commit()

    pages = {user.name: _page(signed_in_client(app, user)) for user in (rosa, juan, lucia)}
    assert "Rosa Quispe" in pages["Rosa Quispe"] and "sin leer" in pages["Rosa Quispe"]
    for name in ("Juan Mamani", "Lucía"):
        assert name in pages[name]
        assert "Rosa Quispe" not in pages[name] and "sin leer" not in pages[name]
    assert "Abono para San Martín" in pages["Juan Mamani"]
    assert "Abono para Cusco" not in pages["Juan Mamani"]
    assert "Abono para Cusco" in pages["Lucía"] and "Abono para San Martín" not in pages["Lucía"]
    tokens = {re.search(r'name="csrf_token" value="([^"]+)"', html)[1] for html in pages.values()}
    assert len(tokens) == 3
    anonymous = _page(app.test_client())
    assert "Salir" not in anonymous and "Rosa Quispe" not in anonymous
