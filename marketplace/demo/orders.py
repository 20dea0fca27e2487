"""Producers' orders in the demo world, in every status, consistent with the listings' stock.

About one producer in ten has ordered something from a published listing of their country:
picked up at the active collection centre nearest to their farm, or delivered to (or served
at) the farm where the listing serves the farm's region. Orders still open are recent; older
ones were delivered and completed, or cancelled. The stock left on each input is what it had
less what its orders took (cancelled orders gave theirs back). Each order's steps are in the
audit log (its timeline) and the other side was notified. The demo producer
(productora@minka.demo) has three orders of the demo supplier: placed, confirmed, delivered.

Orders are planned first on lean listing rows, then the chosen listings' texts are read and
every row is bulk-inserted: 10,000 orders take about a second.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np
from sqlalchemy import bindparam, select, update

from marketplace.demo import bulk, order_rows
from marketplace.demo.order_rows import (
    CANCEL_REASONS,
    N_DRAWS,
    U_AGE,
    U_LISTING,
    U_QTY,
    U_STAFF,
    U_STATUS,
    Plan,
)
from marketplace.demo.organizations import DEMO_DOMAIN
from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
    Farm,
    Listing,
    ListingRegion,
    Order,
    Organization,
    Producer,
    Role,
    User,
)
from marketplace.orders.services import MAX_TOTAL_MINOR

SHARE = 0.1  # of producers, with an order
STATUSES = ("placed", "confirmed", "delivered", "completed", "cancelled")
STATUS_CDF = np.cumsum((0.13, 0.13, 0.12, 0.47, 0.15))
MAX_AGE_DAYS = {"placed": 4, "confirmed": 10, "delivered": 25, "completed": 150, "cancelled": 150}
CHUNK = 2_000
DEMO_PRODUCER = f"productora@{DEMO_DOMAIN}"
DEMO_SUPPLIER = f"proveedor@{DEMO_DOMAIN}"
DEMO_PLAN = (("placed", 2, 0.4), ("confirmed", 1, 2.5), ("delivered", 3, 9.0))


def _lean_listings() -> list[tuple]:
    """(id, organization, price, stock, delivery mode, country) of every published listing of
    an organization that may publish."""
    return db.session.execute(
        select(
            Listing.id,
            Listing.organization_id,
            Listing.price_minor,
            Listing.stock,
            Listing.delivery_mode,
            Listing.country,
        )
        .join(Organization, Organization.id == Listing.organization_id)
        .where(
            Listing.status == "published",
            Organization.verified_at.is_not(None),
            Organization.suspended_at.is_(None),
        )
        .order_by(Listing.id)
    ).all()


def _chunked(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _texts(listing_ids: list[int]) -> dict[int, tuple]:
    """(title, unit, currency, created_at) of the listings orders were planned on."""
    found = {}
    for part in _chunked(sorted(set(listing_ids))):
        query = select(
            Listing.id, Listing.title, Listing.unit, Listing.currency, Listing.created_at
        ).where(Listing.id.in_(part))
        found.update({row[0]: row[1:] for row in db.session.execute(query)})
    return found


def _producers(ids: list[int]) -> list[tuple]:
    """(id, user, cooperative, created_at, farm id, country, region, lat, lon) of each
    producer, with their first farm (producers without a farm are left out)."""
    people, farms = {}, {}
    for part in _chunked(ids):
        query = select(
            Producer.id, Producer.user_id, Producer.cooperative_id, Producer.created_at
        ).where(Producer.id.in_(part))
        people.update({row[0]: tuple(row) for row in db.session.execute(query)})
        query = (
            select(Farm.producer_id, Farm.id, Farm.country, Farm.region, Farm.lat, Farm.lon)
            .where(Farm.producer_id.in_(part))
            .order_by(Farm.id)
        )
        for row in db.session.execute(query):
            farms.setdefault(row[0], tuple(row[1:]))
    return [people[pid] + farms[pid] for pid in ids if pid in farms]


def _staff(role: str) -> dict[int, list[int]]:
    query = (
        select(User.organization_id, User.id)
        .where(User.role == role, User.organization_id.is_not(None))
        .order_by(User.id)
    )
    staff: dict[int, list[int]] = defaultdict(list)
    for org, user in db.session.execute(query):
        staff[org].append(user)
    return staff


def _nearest_centres(people: list[tuple]) -> list[int | None]:
    """The active centre nearest to each producer's first farm, in the farm's country."""
    query = (
        select(CollectionCenter.id, CollectionCenter.country, CollectionCenter.lat)
        .add_columns(CollectionCenter.lon)
        .join(Organization, Organization.id == CollectionCenter.organization_id)
        .where(CollectionCenter.active.is_(True), Organization.verified_at.is_not(None))
        .where(Organization.suspended_at.is_(None))
        .order_by(CollectionCenter.id)
    )
    rows = db.session.execute(query).all()
    nearest: list[int | None] = [None] * len(people)
    for country in {row[1] for row in rows}:
        ids, clat, clon = _centre_arrays(rows, country)
        which = [i for i, p in enumerate(people) if p[5] == country]
        if not which:
            continue
        lat = np.radians([people[i][7] for i in which])[:, None]
        lon = np.radians([people[i][8] for i in which])[:, None]
        hav = np.sin((clat - lat) / 2) ** 2
        hav += np.cos(lat) * np.cos(clat) * np.sin((clon - lon) / 2) ** 2
        for i, k in zip(which, np.argmin(hav, axis=1).tolist(), strict=True):
            nearest[i] = int(ids[k])
    return nearest


def _centre_arrays(rows: list, country: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mine = [row for row in rows if row[1] == country]
    ids = np.array([row[0] for row in mine])
    return ids, np.radians([row[2] for row in mine]), np.radians([row[3] for row in mine])


class Catalogue:
    """The listings a producer may order, by country and farm region (cached), and the stock
    left on each input as orders are planned."""

    def __init__(self, listings: list[tuple], countries_with_centres: set[str]) -> None:
        self.listings = listings
        self.index = {row[0]: k for k, row in enumerate(listings)}
        self.pickup: dict[str, list[int]] = defaultdict(list)
        self.farm_modes: set[int] = set()
        for k, row in enumerate(listings):
            if row[4] != "pickup":
                self.farm_modes.add(k)
            elif row[5] in countries_with_centres:
                self.pickup[row[5]].append(k)
        self.stock = {k: row[3] for k, row in enumerate(listings) if row[3] is not None}
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def candidates(self, country: str, region: str) -> np.ndarray:
        """Listing rows orderable from a farm in (country, region)."""
        key = (country, region)
        if key not in self._cache:
            served = db.session.scalars(
                select(ListingRegion.listing_id).where(
                    ListingRegion.country == country, ListingRegion.region == region
                )
            )
            rows = {self.index[i] for i in served if i in self.index} & self.farm_modes
            self._cache[key] = np.array(sorted(rows | set(self.pickup[country])), dtype=np.int64)
        return self._cache[key]

    def take(self, k: int, quantity: int, status: str) -> tuple[int, str, str | None]:
        """Quantity, status and forced cancel reason once `k`'s stock is counted."""
        quantity = max(1, min(quantity, MAX_TOTAL_MINOR // max(self.listings[k][2], 1)))
        if k not in self.stock or status == "cancelled":
            return quantity, status, None
        left = self.stock[k]
        if left < 1:
            return quantity, "cancelled", CANCEL_REASONS[0]
        quantity = min(quantity, left)
        self.stock[k] = left - quantity
        return quantity, status, None


class Planner:
    """Chooses, for each producer, a listing, a quantity and a status."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.technicians = _staff(Role.TECHNICIAN)

    def plan(
        self,
        person: tuple,
        centre: int | None,
        u: list[float],
        status: str,
        quantity: int,
        age_days: float,
        only: set[int] | None = None,
    ) -> Plan | None:
        """An order of `person`, or None when nothing fits (no listing, nobody to place it)."""
        options = self.catalogue.candidates(person[5], person[6])
        if only is not None:
            options = np.array([k for k in options.tolist() if k in only], dtype=np.int64)
        if len(options) == 0:
            return None
        placed_by = person[1]
        if placed_by is None:  # registered by their cooperative: a technician orders for them
            staff = self.technicians.get(person[2]) or []
            if not staff:
                return None
            placed_by = staff[int(u[U_STAFF] * len(staff))]
        k = int(options[int(u[U_LISTING] * len(options))])
        quantity, status, forced = self.catalogue.take(k, quantity, status)
        return Plan(person, placed_by, k, quantity, status, centre, age_days, u, forced)


def _status(u: float) -> str:
    return STATUSES[min(int(np.searchsorted(STATUS_CDF, u * STATUS_CDF[-1])), len(STATUSES) - 1)]


def build(rng: np.random.Generator, anchor: datetime) -> dict[str, int]:
    """Bulk-insert the demo orders with their audit rows and notifications."""
    rng = rng.spawn(1)[0]  # this stage's draws do not shift the other stages'
    listings = _lean_listings()
    all_ids = db.session.scalars(select(Producer.id).order_by(Producer.id)).all()
    if not listings or not all_ids:
        return {"order": 0}
    demo_id = db.session.scalar(
        select(Producer.id)
        .join(User, User.id == Producer.user_id)
        .where(User.email == DEMO_PRODUCER)
    )
    others = np.array([pid for pid in all_ids if pid != demo_id], dtype=np.int64)
    n = min(len(others), int(round(len(all_ids) * SHARE)))
    chosen = sorted(rng.choice(others, n, replace=False).tolist()) if n else []
    people = _producers(([demo_id] if demo_id else []) + chosen)
    centres = _nearest_centres(people)
    catalogue = Catalogue(listings, {p[5] for p, c in zip(people, centres, strict=True) if c})
    planner = Planner(catalogue)
    draws = rng.random((len(people) + 3 * len(DEMO_PLAN), N_DRAWS)).tolist()
    plans: list[Plan] = []
    start = 0
    if demo_id and people and people[0][0] == demo_id:
        start = 1
        demo_org = db.session.scalar(
            select(User.organization_id).where(User.email == DEMO_SUPPLIER)
        )
        theirs = {k for k, row in enumerate(listings) if row[1] == demo_org}
        for status, quantity, age in DEMO_PLAN:
            for _try in range(3):  # another of the demo supplier's listings if one ran out
                made = planner.plan(
                    people[0], centres[0], draws.pop(), status, quantity, age, theirs
                )
                if made is None:
                    break
                theirs.discard(made.k)
                if made.forced_reason is None:
                    plans.append(made)
                    break
    for person, centre, u in zip(people[start:], centres[start:], draws, strict=False):
        status = _status(u[U_STATUS])
        quantity = min(12, 1 + int(np.log1p(-u[U_QTY] * 0.999) / np.log(0.65)))
        age = (0.1 + 0.9 * u[U_AGE]) * MAX_AGE_DAYS[status]
        made = planner.plan(person, centre, u, status, quantity, age)
        if made is not None:
            plans.append(made)
    return _write(rng, anchor, plans, catalogue)


def _write(
    rng: np.random.Generator, anchor: datetime, plans: list[Plan], catalogue: Catalogue
) -> dict[str, int]:
    """Turn the plans into rows, insert them, and store the stock left."""
    if not plans:
        return {"order": 0}
    listings = catalogue.listings
    texts = _texts([listings[plan.k][0] for plan in plans])
    suppliers = _staff(Role.SUPPLIER)
    order_ids = bulk.reserve_ids(Order, len(plans)).tolist()
    run = int(rng.integers(0, 2**62))
    rows = order_rows.Rows(anchor)
    for order_id, plan in zip(order_ids, plans, strict=True):
        listing = listings[plan.k]
        order_rows.add(
            rows,
            order_id,
            plan,
            listing,
            texts[listing[0]],
            suppliers.get(listing[1], []),
            f"demo-{run:016x}-{order_id:x}",
        )
    counts = order_rows.insert(rows)
    changed = [
        {"listing_id": listings[k][0], "left": left}
        for k, left in catalogue.stock.items()
        if left != listings[k][3]
    ]
    if changed:
        table = Listing.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("listing_id"))
            .values(stock=bindparam("left")),
            changed,
        )
    return counts
