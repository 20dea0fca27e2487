"""The catalogue's services: suppliers' listings (rules, statuses, audit) and producers'
search (filters, Spanish folded search, sorts, pagination, both query plans)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalog import plan, services
from marketplace.catalog.search import CatalogFilters, producer_place
from marketplace.errors import DomainError, InvalidInput
from marketplace.models import AuditLog, Listing, User
from marketplace.models.base import utcnow
from marketplace.money import max_price_minor

JUANJUI = (-7.176667, -76.723889)  # seat of district 220601 (San Martín)


def data(**overrides) -> services.ListingData:
    values = {
        "kind": "input",
        "category": "abonos_organicos",
        "title": "Fertilizante Orgánico Premium",
        "description": "Compost maduro para cacao.",
        "price_minor": 4550,
        "currency": "PEN",
        "unit": "saco_50kg",
        "stock": 40,
        "delivery_mode": "pickup",
        "lead_time_days": 2,
        "region": "San Martín",
        "district_code": "220601",
        "regions": ["San Martín", "Huánuco"],
        "value_chains": ["cacao"],
    }
    values.update(overrides)
    return services.ListingData(**values)


@pytest.fixture
def supplier(make_user):
    return make_user("supplier")


def ids(page) -> list[int]:
    return [listing.id for listing in page.items]


# --- suppliers' listings --------------------------------------------------------------------


def test_new_listing_is_a_draft_with_folded_search_text_and_seat_coordinates(db, supplier):
    listing = services.create_listing(supplier, supplier.organization, data())
    assert listing.status == "draft"
    assert listing.search_text.startswith("fertilizante organico premium compost maduro")
    assert "abonos organicos y bioinsumos" in listing.search_text  # the category's label
    assert (listing.lat, listing.lon) == JUANJUI
    assert listing.country == "PE"
    assert [r.region for r in listing.regions] == ["Huánuco", "San Martín"]
    assert services.dispatch_district(listing) == ("San Martín", "220601")
    assert db.session.scalars(select(AuditLog.action)).all() == ["listing.created"]
    assert services.published_listing(listing.id) is None


def test_verified_org_publishes_pauses_resumes_and_deletes(db, supplier):
    listing = services.create_listing(supplier, supplier.organization, data(), publish=True)
    assert listing.status == "published"
    assert services.published_listing(listing.id) == listing
    services.pause_listing(supplier, listing)
    assert services.published_listing(listing.id) is None
    with pytest.raises(DomainError):
        services.pause_listing(supplier, listing)
    services.publish_listing(supplier, listing)  # resume
    services.delete_listing(supplier, listing)
    assert db.session.get(Listing, listing.id).status == "deleted"  # kept for orders
    assert services.published_listing(listing.id) is None
    assert services.listing_for_members(supplier.organization_id, listing.id) is None
    with pytest.raises(DomainError):
        services.publish_listing(supplier, listing)
    with pytest.raises(DomainError):
        services.update_listing(supplier, listing, data())
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == [
        "listing.created",
        "listing.published",
        "listing.paused",
        "listing.published",
        "listing.deleted",
    ]


@pytest.mark.parametrize("state", ["unverified", "suspended"])
def test_org_that_may_not_publish_keeps_drafts(db, make_user, make_org, state):
    org = make_org("ta_provider", verified=state != "unverified")
    if state == "suspended":
        org.suspended_at = utcnow()
        db.session.commit()
    user = make_user("supplier", organization=org)
    service = data(kind="service", category="poda", unit="jornal", stock=None)
    service.delivery_mode = "on_farm_service"
    listing = services.create_listing(user, org, service)
    with pytest.raises(DomainError, match="aún no está verificada"):
        services.publish_listing(user, listing)
    with pytest.raises(DomainError, match="aún no está verificada"):
        services.create_listing(user, org, service, publish=True)
    assert db.session.get(Listing, listing.id).status == "draft"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price_minor": 0}, "price"),
        ({"price_minor": 100_000_001}, "price"),
        ({"stock": None}, "stock"),
        ({"stock": -1}, "stock"),
        ({"stock": 1_000_001}, "stock"),
        ({"title": "ab"}, "title"),
        ({"title": "x" * 141}, "title"),
        ({"regions": []}, "regions"),
        ({"regions": ["Cauca"]}, "regions"),  # not a region of Peru
        ({"value_chains": []}, "value_chains"),
        ({"value_chains": ["miel"]}, "value_chains"),  # compost is not for honey
        ({"category": "poda"}, "category"),  # a service category for an input
        ({"category": "no-existe"}, "category"),
        ({"delivery_mode": "on_farm_service"}, "delivery_mode"),
        ({"currency": "EUR"}, "currency"),
        ({"unit": "tonelada"}, "unit"),
        ({"lead_time_days": 400}, "lead_time_days"),
        ({"district_code": "120303"}, "district_code"),  # Pichanaqui is in Junín
        ({"district_code": "999999"}, "district_code"),
    ],
)
def test_listing_rules(db, supplier, overrides, field):
    with pytest.raises(InvalidInput) as caught:
        services.create_listing(supplier, supplier.organization, data(**overrides))
    assert field in caught.value.errors
    assert db.session.scalar(select(Listing.id)) is None


def test_limits_are_accepted(db, supplier):
    top = max_price_minor("PEN")
    listing = services.create_listing(
        supplier, supplier.organization, data(price_minor=top, currency="PEN", stock=1_000_000)
    )
    assert listing.price_minor == top


def test_services_have_no_stock(db, supplier):
    service = data(kind="service", category="poda", unit="jornal", stock=12)
    service.delivery_mode = "on_farm_service"
    assert services.create_listing(supplier, supplier.organization, service).stock is None


def test_unchanged_stock_does_not_undo_orders_placed_meanwhile(db, supplier):
    listing = services.create_listing(supplier, supplier.organization, data(stock=40))
    listing.stock = 37  # an order took 3 units after the supplier opened the form
    db.session.commit()
    services.update_listing(supplier, listing, data(stock=40, stock_seen=40, title="Nuevo"))
    assert (listing.title, listing.stock) == ("Nuevo", 37)
    services.update_listing(supplier, listing, data(stock=50, stock_seen=40))
    assert listing.stock == 50


def test_update_changes_regions_chains_and_search_text(db, supplier):
    listing = services.create_listing(supplier, supplier.organization, data())
    changed = data(title="Humus de lombriz", regions=["Junín"], value_chains=["cafe", "cacao"])
    services.update_listing(supplier, listing, changed, publish=True)
    assert listing.status == "published"
    assert [r.region for r in listing.regions] == ["Junín"]
    assert sorted(v.value_chain for v in listing.value_chains) == ["cacao", "cafe"]
    assert listing.search_text.startswith("humus de lombriz")


def test_supplier_summary(db, supplier, make_listing):
    org = supplier.organization
    make_listing(org, stock=3)
    make_listing(org, stock=50)
    make_listing(org, status="draft")
    make_listing(org, status="paused", stock=0)
    make_listing(org, status="deleted", stock=1)
    make_listing(org, kind="service")
    make_listing(stock=1)  # another organization's
    summary = services.supplier_summary(org.id)
    assert summary["by_status"] == {"draft": 1, "published": 3, "paused": 1}
    assert summary["total"] == 5
    assert [listing.stock for listing in summary["low_stock"]] == [0, 3]


def test_org_listings_page_hides_deleted(db, supplier, make_listing):
    kept = [make_listing(supplier.organization, status=s).id for s in ("draft", "paused")]
    make_listing(supplier.organization, status="deleted")
    page = services.org_listings(supplier.organization_id)
    assert sorted(ids(page)) == sorted(kept)


# --- producers' search ----------------------------------------------------------------------


def test_only_published_listings_of_orgs_that_may_publish_are_visible(db, make_listing, make_org):
    shown = make_listing()
    make_listing(status="draft")
    make_listing(status="paused")
    make_listing(status="deleted")
    make_listing(make_org("supplier", verified=False))
    suspended = make_org("supplier")
    suspended.suspended_at = utcnow()
    db.session.commit()
    hidden = make_listing(suspended)
    assert ids(services.search_listings(CatalogFilters(), 1, 20)) == [shown.id]
    assert services.published_listing(hidden.id) is None


def test_search_folds_accents_and_case_and_needs_every_word(db, make_listing):
    wanted = make_listing(title="Fertilizante Orgánico Premium", search_text="")
    wanted.search_text = services.search_text(wanted.title, "", wanted.category)
    make_listing(title="Fertilizante foliar con zinc", search_text="fertilizante foliar")
    make_listing(title="100% algodón", search_text="100% algodon")
    db.session.commit()
    for q in ("fertilizante organico", "FERTILIZANTE orgánico", "orgá fertil", "bioinsumos"):
        assert ids(services.search_listings(CatalogFilters(q=q), 1, 20)) == [wanted.id], q
    assert len(services.search_listings(CatalogFilters(q="Fertilizante"), 1, 20).items) == 2
    assert ids(services.search_listings(CatalogFilters(q="%"), 1, 20)) != []
    assert ids(services.search_listings(CatalogFilters(q="_"), 1, 20)) == []  # no wildcard


def test_filters(db, make_listing, make_org):
    mx = make_org("supplier", country="MX")
    sm = make_listing(price_minor=4500, stock=0, value_chains=["cacao", "cafe"])
    junin = make_listing(regions=["Junín"], price_minor=9000, value_chains=["cafe"])
    service = make_listing(kind="service", regions=["San Martín", "Junín"], price_minor=6000)
    chiapas = make_listing(mx, country="MX", currency="MXN", regions=["Chiapas"])

    def found(**kw) -> set[int]:
        return set(ids(services.search_listings(CatalogFilters(**kw), 1, 20)))

    assert found(country="PE", region="San Martín") == {sm.id, service.id}
    assert found(country="PE") == {sm.id, junin.id, service.id}
    assert found(country="MX") == {chiapas.id}
    assert found(kind="service") == {service.id}
    assert found(category="poda") == {service.id}
    assert found(category="abonos_organicos", country="PE") == {sm.id, junin.id}
    assert found(value_chain="cafe") == {sm.id, junin.id}
    assert found(price_min_minor=5000, price_max_minor=9000) == {junin.id, service.id}
    assert found(in_stock=True, country="PE") == {junin.id, service.id}


@pytest.mark.parametrize(
    ("drive_rows", "window_rows", "narrowed"),
    [
        (0, 10**6, 0),  # walk the sort index
        (10**9, 10**6, 10**9),  # drive from the smallest filter's ids
        (0, 3, 0),  # walk a small window first, then the whole index
        (0, 3, 10**9),  # walk a small window first, then drive
    ],
    ids=["walk", "drive", "window-then-walk", "window-then-drive"],
)
def test_every_plan_finds_the_same_pages(
    db, make_listing, monkeypatch, drive_rows, window_rows, narrowed
):
    """Whatever plan catalog.plan picks, the results and their order are the same."""
    monkeypatch.setattr(plan, "DRIVE_ROWS", drive_rows)
    monkeypatch.setattr(plan, "DRIVE_ROWS_NARROWED", narrowed)
    monkeypatch.setattr(plan, "WINDOW_ROWS", window_rows)
    monkeypatch.setattr(plan, "WINDOW_FACTOR", 1)
    made = [
        make_listing(
            regions=["San Martín"] if i % 3 else ["Junín"],
            price_minor=1000 + (i * 37) % 500,
            value_chains=["cacao"] if i % 2 else ["cafe"],
            lat=-7.0 - i * 0.01,
            lon=-76.7,
        )
        for i in range(30)
    ]
    expect_new = sorted(
        (m for m in made if m.regions[0].region == "San Martín"),
        key=lambda m: (m.created_at, m.id),
        reverse=True,
    )
    pages = [
        services.search_listings(CatalogFilters(country="PE", region="San Martín"), p, 7)
        for p in (1, 2, 3)
    ]
    assert sum((ids(p) for p in pages), []) == [m.id for m in expect_new]
    assert [p.has_next for p in pages] == [True, True, False]
    searched = [
        services.search_listings(
            CatalogFilters(q="abono", country="PE", region="San Martín", in_stock=True), p, 7
        )
        for p in (1, 2, 3)
    ]
    assert sum((ids(p) for p in searched), []) == [m.id for m in expect_new]
    in_sm = [m.id for m in made if m.regions[0].region == "San Martín"]  # nearest first
    near = CatalogFilters(country="PE", region="San Martín", sort="nearest", near=(-7.0, -76.7))
    assert ids(services.search_listings(near, 2, 5)) == in_sm[5:10]
    everything = services.search_listings(CatalogFilters(country="PE"), 1, 7)
    assert ids(everything) == [m.id for m in reversed(made)][:7] and everything.has_next
    for sort, order in (("price_asc", 1), ("price_desc", -1)):
        filters = CatalogFilters(value_chain="cacao", price_min_minor=1100, sort=sort)
        found = services.search_listings(filters, 1, 50).items
        expected = sorted(
            (m for m in made if m.value_chains[0].value_chain == "cacao" and m.price_minor >= 1100),
            key=lambda m: (order * m.price_minor, order * m.id),
        )
        assert [m.id for m in found] == [m.id for m in expected]
        cheap = services.search_listings(CatalogFilters(country="PE", sort=sort), 2, 4).items
        every = sorted(made, key=lambda m: (order * m.price_minor, order * m.id))
        assert [m.id for m in cheap] == [m.id for m in every[4:8]]


def test_nearest_sorts_by_distance_whatever_the_box(db, make_listing, monkeypatch):
    far = make_listing(lat=-12.05, lon=-77.04, regions=["Lima"])
    near = make_listing(lat=-7.18, lon=-76.72)
    middle = make_listing(lat=-6.50, lon=-76.40)
    close = make_listing(lat=-7.10, lon=-76.80)
    expected = [near.id, close.id, middle.id, far.id]
    for boxes in [(), (0.01,), (0.25, 1.0, 4.0)]:
        monkeypatch.setattr(plan, "BOXES", boxes)
        filters = CatalogFilters(sort="nearest", near=JUANJUI)
        assert ids(services.search_listings(filters, 1, 20)) == expected
        second = services.search_listings(filters, 2, 2)
        assert ids(second) == expected[2:] and not second.has_next and second.has_prev


def test_price_sorts_and_pagination_without_count(db, make_listing):
    made = [make_listing(price_minor=p) for p in (500, 300, 900, 100, 700)]
    asc = services.search_listings(CatalogFilters(sort="price_asc"), 1, 2)
    assert [m.price_minor for m in asc.items] == [100, 300]
    assert asc.total is None and asc.has_next and not asc.has_prev and asc.next_num == 2
    desc = services.search_listings(CatalogFilters(sort="price_desc"), 3, 2)
    assert [m.price_minor for m in desc.items] == [100] and not desc.has_next
    newest = services.search_listings(CatalogFilters(), 1, 20)
    assert ids(newest) == [m.id for m in reversed(made)]
    assert services.search_listings(CatalogFilters(), 9, 20).items == []


def test_search_loads_everything_a_page_shows_without_n_plus_1(db, make_listing, app):
    from sqlalchemy import event

    for i in range(25):
        make_listing(regions=["San Martín", "Junín"], value_chains=["cacao", "cafe"], title=f"P{i}")
    db.session.expire_all()
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        page = services.search_listings(CatalogFilters(), 1, 20)
        shown = [(x.organization.name, len(x.regions), len(x.value_chains)) for x in page.items]
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    # Listings with their organizations, their regions, their value chains.
    assert len(statements) == 3, statements
    assert len(shown) == 20 and shown[0][1:] == (2, 2)


def test_producer_place_is_the_first_farm(db, make_user, make_producer, make_farm):
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    assert producer_place(user) is None
    make_farm(producer, region="San Martín", lat=-7.1, lon=-76.7)
    make_farm(producer, region="Junín", district_code="120303", lat=-10.9, lon=-74.8)
    place = producer_place(user)
    assert (place.country, place.region, place.lat, place.lon) == ("PE", "San Martín", -7.1, -76.7)


# --- the demo world's catalogue ---------------------------------------------------------------


def _demo(db, runner, seed: int = 2026, listings: int = 600) -> list[Listing]:
    args = ["demo-data", "--producers", "40", "--listings", str(listings), "--seed", str(seed)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return list(db.session.scalars(select(Listing).order_by(Listing.id)))


def test_demo_listings_are_valid_and_lively(db, runner):
    listings = _demo(db, runner)
    assert len(listings) == 600
    for listing in listings:
        region, district = services.dispatch_district(listing)
        as_typed = data(
            kind=listing.kind,
            category=listing.category,
            title=listing.title,
            description=listing.description,
            price_minor=listing.price_minor,
            currency=listing.currency,
            unit=listing.unit,
            stock=listing.stock,
            delivery_mode=listing.delivery_mode,
            lead_time_days=listing.lead_time_days,
            region=region,
            district_code=district,
            regions=[r.region for r in listing.regions],
            value_chains=[v.value_chain for v in listing.value_chains],
        )
        assert services.listing_problems(listing.organization, as_typed) == {}, listing.title
        assert listing.search_text == services.search_text(
            listing.title, listing.description, listing.category
        )
        assert region in {r.region for r in listing.regions}  # dispatched from a region served
        assert 1 <= len(listing.regions) <= 4
    verified = [x for x in listings if x.organization.can_publish]
    published = sum(x.status == "published" for x in verified) / len(verified)
    assert 0.78 <= published <= 0.92
    assert {x.status for x in listings if not x.organization.verified} <= {"draft"}
    assert {x.currency for x in listings} == {"PEN", "MXN", "COP"}
    supplier = db.session.scalar(select(User).where(User.email == "proveedor@minka.demo"))
    mine = [x for x in listings if x.organization_id == supplier.organization_id]
    assert len(mine) == 15
    assert all("San Martín" in {r.region for r in x.regions} for x in mine)
    assert sum(x.status == "published" for x in mine) == 12
    assert len({x.title for x in mine}) >= 12
    found = services.search_listings(CatalogFilters(country="PE", region="San Martín"), 1, 20)
    assert len(found.items) == 20


def test_demo_catalogue_is_the_same_for_a_seed(db, runner):
    def fingerprint(listings):
        return [(x.title, x.price_minor, x.stock, x.status, x.lat) for x in listings[:50]]

    first = fingerprint(_demo(db, runner, seed=5, listings=120))
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    assert fingerprint(_demo(db, runner, seed=5, listings=120)) == first


def test_unindexed_hides_a_column_from_sqlite_only():
    from sqlalchemy.dialects import postgresql, sqlite

    term = plan.unindexed(Listing.status) == "published"
    assert str(term.compile(dialect=sqlite.dialect())).startswith("+listing.status = ")
    assert str(term.compile(dialect=postgresql.dialect())).startswith("listing.status = ")


def test_peso_prices_of_real_equipment_fit(db, supplier):
    """A 9 000 000 COP solar dryer is a real price, not a typo; 64-bit money holds it."""
    dryer = data(price_minor=900_000_000, currency="COP")
    listing = services.create_listing(supplier, supplier.organization, dryer)
    assert listing.price_minor == 900_000_000
    typo = data(price_minor=max_price_minor("COP") + 1, currency="COP")
    with pytest.raises(InvalidInput):
        services.create_listing(supplier, supplier.organization, typo)
