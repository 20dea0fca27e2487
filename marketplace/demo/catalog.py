"""Listings of inputs and services of the demo suppliers and TA providers.

Every draw is vectorised with numpy (one generator, so the catalogue is the same for a seed)
and the rows go in with reserved ids and bulk inserts: 100,000 listings take seconds. Each
listing serves 1 to 4 regions of its organization's country (weighted towards the demo
landscapes of its value chain) and is dispatched from a district of the first of them. The
demo supplier (proveedor@minka.demo) gets 15 cacao inputs sold in San Martín.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np
from sqlalchemy import select

from marketplace import currencies, gazetteer
from marketplace.catalog import taxonomy
from marketplace.catalog.services import search_text
from marketplace.demo import bulk
from marketplace.demo.landscapes import LANDSCAPES, ORGANIZATIONS
from marketplace.demo.products import DELIVERY_NOTES, PRODUCTS, RATES, STEPS, Product
from marketplace.extensions import db
from marketplace.models import Listing, ListingRegion, ListingValueChain, Organization, OrgKind
from marketplace.money import max_price_minor

DEMO_SUPPLIER = "elhuallaga"  # OrgSpec key of proveedor@minka.demo's organization
DEMO_LISTINGS = 15
DEMO_REGION = "San Martín"
# What some organizations concentrate on (value chains); the rest follow their country's mix.
FOCUS = {
    "elhuallaga": ("cacao",),
    "agroselva": ("cafe", "cacao"),
    "cacaofino": ("cacao",),
    "agrosoconusco": ("cacao", "cafe"),
    "forrajeschenes": ("ganaderia", "miel"),
    "apicolapen": ("miel",),
    "elcaficultor": ("cafe",),
    "agroariari": ("cacao", "ganaderia"),
    "cacaopaz": ("cacao",),
}
ORG_WEIGHT = {"supplier": 3.0, "ta_provider": 1.5}
STATUS_WEIGHT = {"verified": 1.0, "suspended": 0.4, "pending": 0.1}
N_REGIONS_P = (0.35, 0.3, 0.2, 0.15)  # 1, 2, 3 or 4 regions served
STATUSES = ("published", "draft", "paused")
STATUS_P = (0.86, 0.09, 0.05)
SUPPLIER_SERVICES = 0.08  # share of a supplier's listings that are services (soil tests…)
LANDSCAPE_DISPATCH = 0.7  # dispatched from a landscape district when its region has one


def _chain_weights() -> dict[str, dict[str, float]]:
    """Each country's value chains weighted by its demo landscapes' producers."""
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for land in LANDSCAPES:
        for chain, share in land.chains:
            weights[land.country][chain] += land.share * share
    return weights


def _region_plan() -> dict[tuple[str, str], tuple[list[str], np.ndarray, dict[str, list]]]:
    """(country, chain) -> (regions, weights, landscape districts by region)."""
    plan = {}
    for country, chains in _chain_weights().items():
        regions = gazetteer.regions(country)
        for chain in chains:
            weight = dict.fromkeys(regions, 0.0)
            districts: dict[str, list] = defaultdict(list)
            for land in LANDSCAPES:
                share = dict(land.chains).get(chain, 0.0)
                if land.country != country or not share:
                    continue
                for code in land.districts:
                    district = gazetteer.get_district(country, code)
                    weight[district.region] += land.share * share / len(land.districts)
                    districts[district.region].append(district)
            top = max(weight.values())
            w = np.array([weight[r] or top * 0.008 for r in regions])
            plan[(country, chain)] = (regions, w / w.sum(), districts)
    return plan


def _demo_orgs() -> list[tuple[Organization, object]]:
    """The demo world's supplier and TA-provider organizations with their specs."""
    specs = {spec.name: spec for spec in ORGANIZATIONS if spec.kind in ORG_WEIGHT}
    found = db.session.scalars(
        select(Organization)
        .where(
            Organization.kind.in_((OrgKind.SUPPLIER, OrgKind.TA_PROVIDER)),
            Organization.name.in_(list(specs)),
        )
        .order_by(Organization.id)
    )
    by_name = {org.name: org for org in found}  # the newest, if a name repeats
    return [(org, specs[name]) for name, org in by_name.items()]


def _allocate(rng: np.random.Generator, orgs: list, n: int) -> np.ndarray:
    """Which organization (index into `orgs`) each listing belongs to; demo supplier first."""
    keys = [spec.key for _org, spec in orgs]
    demo = keys.index(DEMO_SUPPLIER) if DEMO_SUPPLIER in keys else -1
    first = min(DEMO_LISTINGS, n) if demo >= 0 else 0
    others = [i for i in range(len(orgs)) if i != demo] or [demo]
    w = np.array([ORG_WEIGHT[orgs[i][1].kind] * STATUS_WEIGHT[orgs[i][1].status] for i in others])
    counts = rng.multinomial(n - first, w / w.sum())
    rest = np.repeat(np.array(others), counts)
    return np.concatenate([np.full(first, demo), rng.permutation(rest)]).astype(np.int64)


def _candidates(kind: str, chain: str, country: str) -> list[int]:
    currency = currencies.of_country(country)
    cap = max_price_minor(currency) / currencies.get(currency).factor / RATES[currency]
    return [
        i
        for i, p in enumerate(PRODUCTS)
        if taxonomy.CATEGORIES[p.category].kind == kind
        and chain in p.chains
        and country in p.countries
        and p.high <= cap
    ]


def _products(rng, orgs, org_of, kind, chain, country) -> np.ndarray:
    """A product template per listing, fitting its kind, chain and country."""
    product = np.zeros(len(org_of), dtype=np.int64)
    groups = defaultdict(list)
    for row, key in enumerate(zip(kind.tolist(), chain.tolist(), country.tolist(), strict=True)):
        groups[key].append(row)
    for (k, c, cc), rows in groups.items():
        options = _candidates(k, c, cc) or _candidates(k, "cacao", "PE")
        product[rows] = np.asarray(options)[rng.integers(0, len(options), len(rows))]
    demo = np.flatnonzero(org_of == _index_of(orgs, DEMO_SUPPLIER))[:DEMO_LISTINGS]
    if len(demo):  # the demo supplier: distinct cacao inputs
        options = _candidates(taxonomy.INPUT, "cacao", "PE")
        product[demo] = rng.choice(options, len(demo), replace=len(demo) > len(options))
    return product


def _index_of(orgs: list, key: str) -> int:
    return next((i for i, (_org, spec) in enumerate(orgs) if spec.key == key), -1)


def _regions(rng, chain, country, forced_first) -> tuple[list[list[str]], list]:
    """1-4 regions served per listing (ranked) and the dispatch district (of the first)."""
    plan = _region_plan()
    n = len(chain)
    served: list[list[str]] = [[] for _ in range(n)]
    dispatch: list = [None] * n
    size = rng.choice(4, n, p=N_REGIONS_P) + 1
    groups = defaultdict(list)
    for row, key in enumerate(zip(country.tolist(), chain.tolist(), strict=True)):
        groups[key].append(row)
    for key, rows in groups.items():
        regions, w, districts = plan.get(key) or plan[(key[0], "cacao")]
        rows = np.asarray(rows)
        noise = np.log(w)[None, :] + rng.gumbel(size=(len(rows), len(regions)))
        forced = forced_first[rows]
        if forced.any() and DEMO_REGION in regions:
            noise[forced, regions.index(DEMO_REGION)] = np.inf
        order = np.argsort(-noise, axis=1)
        from_landscape = rng.random(len(rows)) < LANDSCAPE_DISPATCH
        pick = rng.random(len(rows))
        for j, row in enumerate(rows.tolist()):
            names = [regions[r] for r in order[j, : size[row]]]
            served[row] = names
            local = districts.get(names[0]) if from_landscape[j] else None
            pool = local or _with_coordinates(key[0], names[0])
            dispatch[row] = pool[int(pick[j] * len(pool))]
    return served, dispatch


@lru_cache(maxsize=256)
def _with_coordinates(country: str, region: str) -> list:
    return [d for d in gazetteer.districts(country, region) if d.has_coordinates]


def _modes(rng, kind: np.ndarray, category: list[str]) -> np.ndarray:
    u = rng.random(len(kind))
    lab = np.array([c == "analisis_suelo" for c in category])
    service = np.where(u < np.where(lab, 0.5, 0.15), "pickup", "on_farm_service")
    goods = np.where(u < 0.55, "pickup", "farm_delivery")
    return np.where(kind == taxonomy.INPUT, goods, service)


def _prices(rng, items: list[Product], currency: np.ndarray) -> np.ndarray:
    low = np.array([p.low for p in items])
    high = np.array([p.high for p in items])
    rate = np.array([RATES[c] for c in currency.tolist()])
    step = np.array([STEPS[c] for c in currency.tolist()])
    value = (low + rng.random(len(items)) * (high - low)) * rate
    value = np.maximum(step, np.round(value / step) * step)
    cap = np.array([max_price_minor(c) for c in currency.tolist()])
    factor = np.array([currencies.get(c).factor for c in currency.tolist()])
    return np.minimum(np.round(value * factor), cap).astype(np.int64)


def _stock(rng, kind: np.ndarray) -> list[int | None]:
    u = rng.random(len(kind))
    stock = np.clip(np.round(rng.lognormal(4.6, 1.0, len(kind))), 6, 5000).astype(np.int64)
    stock = np.where(u < 0.14, rng.integers(1, 6, len(kind)), stock)
    stock = np.where(u < 0.06, 0, stock)
    return [int(s) if k == taxonomy.INPUT else None for s, k in zip(stock, kind, strict=True)]


def _lead_days(rng, mode: np.ndarray) -> np.ndarray:
    n = len(mode)
    return np.select(
        [mode == "pickup", mode == "farm_delivery"],
        [rng.integers(0, 4, n), rng.integers(2, 11, n)],
        rng.integers(3, 22, n),
    )


def _status(rng, orgs, org_of) -> np.ndarray:
    status = np.asarray(STATUSES)[rng.choice(len(STATUSES), len(org_of), p=STATUS_P)]
    pending = np.array([spec.status == "pending" for _org, spec in orgs])
    status = np.where(pending[org_of], "draft", status)
    demo = np.flatnonzero(org_of == _index_of(orgs, DEMO_SUPPLIER))[:DEMO_LISTINGS]
    status[demo] = "published"
    status[demo[12:14]] = "draft"
    status[demo[14:15]] = "paused"
    return status


def _created(rng, anchor: datetime, orgs, org_of) -> list[datetime]:
    """Some time after the organization joined (verified, or created when still pending)."""
    since = np.array(
        [(anchor - (org.verified_at or org.created_at)).total_seconds() for org, _ in orgs]
    )
    seconds = 3600 + rng.random(len(org_of)) * np.maximum(since[org_of] - 7200, 0)
    return [anchor - timedelta(seconds=s) for s in np.round(seconds).tolist()]


def build(rng: np.random.Generator, anchor: datetime, listings: int) -> dict[str, int]:
    """Bulk-insert the demo organizations' listings; return {table: count}."""
    orgs = _demo_orgs()
    if not orgs or listings <= 0:
        return {"listing": 0, "listing_region": 0, "listing_value_chain": 0}
    org_of = _allocate(rng, orgs, listings)
    n = len(org_of)
    country = np.array([org.country for org, _ in orgs])[org_of]
    is_ta = np.array([org.kind == OrgKind.TA_PROVIDER for org, _ in orgs])[org_of]
    kind = np.where(is_ta | (rng.random(n) < SUPPLIER_SERVICES), "service", "input")
    chain = _chains(rng, orgs, org_of, country)
    demo_rows = org_of == _index_of(orgs, DEMO_SUPPLIER)
    kind[demo_rows], chain[demo_rows] = "input", "cacao"
    items = [PRODUCTS[i] for i in _products(rng, orgs, org_of, kind, chain, country).tolist()]
    kind = np.array([taxonomy.CATEGORIES[p.category].kind for p in items])
    main = zip(items, chain.tolist(), strict=True)
    chain = np.array([c if c in p.chains else p.chains[0] for p, c in main])
    pick = rng.random(n).tolist()
    variant = [p.variants[int(u * len(p.variants))] for p, u in zip(items, pick, strict=True)]
    category = [p.category for p in items]
    mode = _modes(rng, kind, category)
    currency = np.array([currencies.of_country(c) for c in country.tolist()])
    served, dispatch = _regions(rng, chain, country, demo_rows)
    texts: dict[tuple, tuple[str, str, str]] = {}
    titles, descriptions, search = [], [], []
    for p, v, m in zip(items, variant, mode.tolist(), strict=True):
        key = (p.title, v, p.description, m)
        if key not in texts:
            title = p.title.format(v) if "{}" in p.title else p.title
            description = f"{p.description} {DELIVERY_NOTES[m]}"
            texts[key] = (title, description, search_text(title, description, p.category))
        title, description, text = texts[key]
        titles.append(title)
        descriptions.append(description)
        search.append(text)
    created = _created(rng, anchor, orgs, org_of)
    ids = bulk.reserve_ids(Listing, n)
    counts = {
        "listing": bulk.insert_columns(
            Listing,
            {
                "id": ids,
                "organization_id": np.array([org.id for org, _ in orgs])[org_of],
                "kind": kind.tolist(),
                "category": category,
                "title": titles,
                "description": descriptions,
                "search_text": search,
                "price_minor": _prices(rng, items, currency),
                "currency": currency.tolist(),
                "unit": [p.unit for p in items],
                "stock": _stock(rng, kind),
                "delivery_mode": mode.tolist(),
                "lead_time_days": _lead_days(rng, mode),
                "country": country.tolist(),
                "lat": [d.lat for d in dispatch],
                "lon": [d.lon for d in dispatch],
                "status": _status(rng, orgs, org_of).tolist(),
                "created_at": created,
                "updated_at": created,
            },
        )
    }
    region_rows = [(i, r) for i, names in enumerate(served) for r in names]
    counts["listing_region"] = bulk.insert_columns(
        ListingRegion,
        {
            "listing_id": ids[[i for i, _ in region_rows]],
            "country": country[[i for i, _ in region_rows]].tolist(),
            "region": [r for _, r in region_rows],
        },
    )
    chain_rows = _listing_chains(rng, items, chain, country)
    counts["listing_value_chain"] = bulk.insert_columns(
        ListingValueChain,
        {"listing_id": ids[[i for i, _ in chain_rows]], "value_chain": [c for _, c in chain_rows]},
    )
    return counts


def _chains(rng, orgs, org_of, country) -> np.ndarray:
    """The main value chain of each listing: the org's focus, else its country's mix."""
    weights = _chain_weights()
    chain = np.empty(len(org_of), dtype="<U12")
    for i, (org, spec) in enumerate(orgs):
        rows = np.flatnonzero(org_of == i)
        focus = FOCUS.get(spec.key)
        options = list(focus) if focus else list(weights[org.country])
        w = np.ones(len(options)) if focus else np.array([weights[org.country][c] for c in options])
        chain[rows] = np.asarray(options)[rng.choice(len(options), len(rows), p=w / w.sum())]
    return chain


def _listing_chains(rng, items, chain, country) -> list[tuple[int, str]]:
    """The main chain, plus (half the time each) the product's other chains in its country."""
    present = {cc: set(chains) for cc, chains in _chain_weights().items()}
    u = rng.random((len(items), 6))
    rows = []
    for i, (p, main, cc) in enumerate(zip(items, chain.tolist(), country.tolist(), strict=True)):
        rows.append((i, main))
        extra = [c for c in p.chains if c != main and c in present[cc]]
        rows.extend((i, c) for j, c in enumerate(extra) if u[i, j] < 0.5)
    return rows
