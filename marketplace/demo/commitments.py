"""Buyers' purchase commitments and producers' pledges in the demo world.

Each verified buyer organization posts two to four open commitments (and sometimes a closed
or a fulfilled one) for its value chain, in regions of its country where the demo farms of
that chain are, with delivery windows in the months after the anchor. Eligible farms pledge
following every rule of ``marketplace.commitments.pledges``: value chain and region, per-
producer minimum and maximum, at most the farm's expected production not yet pledged, no
farm that cleared forest after the cut-off in a deforestation-free commitment (and "unknown"
ones flagged as pending verification). Commitments end 10-90 % full. The demo producer
(productora@minka.demo) has one active pledge to a cacao commitment of the demo buyer's
organization (comprador@minka.demo's, which has three commitments), with volume left.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from marketplace import currencies
from marketplace.demo import bulk
from marketplace.demo.landscapes import ORGANIZATIONS
from marketplace.extensions import db
from marketplace.models import (
    CollectionCenter,
    CommitmentRegion,
    Farm,
    Organization,
    OrgKind,
    Pledge,
    Producer,
    PurchaseCommitment,
    User,
)

DEMO_BUYER = "chocoandino"  # OrgSpec key of comprador@minka.demo's organization
DEMO_PRODUCER_EMAIL = "productora@minka.demo"
DEMO_REGION = "San Martín"
DEMO_PLEDGE_KG = 1_500
MIN_VOLUME = 20_000
BUYER_CHAINS = {
    "chocoandino": "cacao",
    "cafeselva": "cafe",
    "chocomeso": "cacao",
    "mielespen": "miel",
    "cacaorigen": "cacao",
    "cafemacizo": "cafe",
}
PRODUCTS = {
    "cacao": ("Cacao en grano seco", "Cacao en grano seco fermentado (fino de aroma)"),
    "cafe": ("Café pergamino seco", "Café pergamino seco especial (taza 84+)"),
    "miel": ("Miel de abeja", "Miel de abeja multifloral orgánica"),
}
CURRENCY = {"PE": "PEN", "MX": "MXN", "CO": "COP"}
# Price per kg in major units (low, high) by value chain and currency.
PRICES = {
    "cacao": {"PEN": (9, 14), "MXN": (48, 75), "COP": (14_000, 21_000)},
    "cafe": {"PEN": (12, 18), "MXN": (62, 95), "COP": (16_000, 24_000)},
    "miel": {"PEN": (15, 24), "MXN": (45, 70), "COP": (15_000, 24_000)},
}
PREMIUMS = {"PEN": (0.5, 2.0), "MXN": (3, 9), "COP": (800, 2_500)}
PRICE_STEPS = {"PEN": Decimal("0.1"), "MXN": Decimal("0.5"), "COP": Decimal(10)}
REFERENCES = {
    "cacao": "Bolsa de Nueva York (ICE) del mes de entrega, convertida a moneda local",
    "cafe": "Bolsa de Nueva York (ICE, contrato C) del mes de entrega, convertida a moneda local",
}
QUALITY = {  # (max humidity %, min fermentation %, notes)
    "cacao": (7.0, 70.0, "Grano sin moho ni olores extraños; máximo 3 % de granos pizarrosos."),
    "cafe": (12.0, None, "Pergamino limpio, sin broca ni olores a fermento; rendimiento 70-80 %."),
    "miel": (19.0, None, "Miel madura, sin fermentar; en tambores nuevos de grado alimenticio."),
}
CUTOFFS = (date(2020, 12, 31), date(2014, 12, 31))


@dataclass
class _Farms:
    """Farms of the traded value chains, column-wise, with what each may still pledge."""

    id: np.ndarray
    producer: np.ndarray
    pledger: np.ndarray  # the producer's own login, else the technician who registered them
    chain: np.ndarray
    place: np.ndarray  # "country|region"
    cleared: np.ndarray
    free: np.ndarray  # expected kg not pledged yet (0 when the yield is unknown)


def _farms() -> _Farms:
    rows = db.session.execute(
        select(
            Farm.id,
            Farm.producer_id,
            Producer.user_id,
            Producer.registered_by_id,
            Farm.value_chain,
            Farm.country,
            Farm.region,
            Farm.productive_ha,
            Farm.yield_kg_ha,
            Farm.cleared_after_cutoff,
        )
        .join(Producer, Producer.id == Farm.producer_id)
        .where(Farm.value_chain.in_(tuple(PRODUCTS)))
        .order_by(Farm.id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    ha = np.asarray(columns[7], dtype=float)
    yields = np.asarray([np.nan if y is None else y for y in columns[8]], dtype=float)
    expected = np.where(np.isnan(yields), 0, np.floor(ha * np.nan_to_num(yields)))
    pledger = [u if u is not None else r for u, r in zip(columns[2], columns[3], strict=True)]
    return _Farms(
        id=np.asarray(columns[0], dtype=np.int64),
        producer=np.asarray(columns[1], dtype=np.int64),
        pledger=np.asarray([-1 if p is None else p for p in pledger], dtype=np.int64),
        chain=np.asarray(columns[4], dtype=object),
        place=np.asarray([f"{c}|{r}" for c, r in zip(columns[5], columns[6], strict=True)]),
        cleared=np.asarray(columns[9], dtype=object),
        free=expected.astype(np.int64),
    )


def _buyers() -> list[tuple[int, str, str, int]]:
    """(id, OrgSpec key, country, creator user id) of the verified, active buyer orgs."""
    keys = {spec.name: spec.key for spec in ORGANIZATIONS}
    orgs = db.session.execute(
        select(Organization.id, Organization.name, Organization.country)
        .where(
            Organization.kind == OrgKind.BUYER,
            Organization.verified_at.is_not(None),
            Organization.suspended_at.is_(None),
        )
        .order_by(Organization.id)
    ).all()
    creators: dict[int, int] = {}
    for user_id, org_id in db.session.execute(
        select(User.id, User.organization_id)
        .where(User.organization_id.in_([org.id for org in orgs]))
        .order_by(User.id)
    ):
        creators.setdefault(org_id, user_id)
    return [
        (org.id, keys.get(org.name, ""), org.country, creators[org.id])
        for org in orgs
        if org.id in creators
    ]


def _round(value: float, step: int) -> int:
    return int(round(value / step) * step)


def _price(major: float, currency: str) -> int:
    """A price per kg in minor units, rounded as buyers quote it (to 10 céntimos, 50
    centavos, 10 Colombian pesos)."""
    step = PRICE_STEPS[currency]
    return currencies.to_minor(round(Decimal(major) / step) * step, currency)


class _Builder:
    """Draws commitments one at a time, pledging from the farms as it goes."""

    def __init__(self, rng: np.random.Generator, anchor: datetime, farms: _Farms) -> None:
        self.rng, self.anchor, self.farms = rng, anchor, farms
        self.commitments: list[dict] = []
        self.regions: list[tuple[int, str, str]] = []  # (commitment row, country, region)
        self.pledges: list[dict] = []
        centres = db.session.execute(
            select(CollectionCenter.id, CollectionCenter.country, CollectionCenter.region).where(
                CollectionCenter.active.is_(True)
            )
        ).all()
        self.centres: dict[str, list[int]] = defaultdict(list)
        for centre_id, country, region in centres:
            self.centres[f"{country}|{region}"].append(centre_id)

    def regions_for(self, chain: str, country: str, must: str | None) -> list[str]:
        """1-3 regions of the country where farms of the chain are, weighted by their farms."""
        mask = self.farms.chain == chain
        places = [p for p in self.farms.place[mask].tolist() if p.startswith(country + "|")]
        names, counts = np.unique([p.split("|", 1)[1] for p in places], return_counts=True)
        if len(names) == 0:
            return [must] if must else []
        k = min(int(self.rng.integers(1, 4)), len(names))
        chosen = self.rng.choice(names, size=k, replace=False, p=counts / counts.sum()).tolist()
        if must and must not in chosen:
            chosen = [must, *chosen[: k - 1]]
        return sorted(chosen)

    def add(self, org: tuple, chain: str, status: str, must_region: str | None = None) -> int:
        """One commitment of `org` for `chain`, with its pledges; returns its row number."""
        rng, anchor = self.rng, self.anchor
        org_id, key, country, creator = org
        currency = CURRENCY.get(country, "USD")
        regions = self.regions_for(chain, country, must_region)
        created = anchor - timedelta(days=float(rng.uniform(5, 120)))
        start = anchor.date() + timedelta(days=int(rng.integers(30, 240)))
        premium = chain in REFERENCES and rng.random() < 0.3
        low, high = PRICES[chain].get(currency, PRICES[chain]["PEN"])
        humidity, fermentation, notes = QUALITY[chain]
        deforestation_free = chain != "miel" or rng.random() < 0.5
        deforestation_free = deforestation_free and rng.random() < 0.85
        min_kg = int(rng.choice([50, 100, 200]))
        max_kg = int(rng.choice([2_000, 3_000, 5_000, 10_000]))
        row = {
            "organization_id": org_id,
            "created_by_id": creator,
            "product": PRODUCTS[chain][int(rng.random() < 0.3)],
            "value_chain": chain,
            "country": country,
            "min_kg_per_producer": min_kg,
            "max_kg_per_producer": max_kg,
            "price_type": "premium" if premium else "fixed",
            "price_minor_per_kg": None if premium else _price(rng.uniform(low, high), currency),
            "premium_minor_per_kg": _price(rng.uniform(*PREMIUMS[currency]), currency)
            if premium
            else None,
            "reference_price": REFERENCES[chain] if premium else "",
            "currency": currency,
            "max_humidity_pct": humidity,
            "min_fermentation_pct": fermentation,
            "quality_notes": notes,
            "deforestation_free": bool(deforestation_free),
            "cutoff_date": CUTOFFS[int(rng.random() < 0.2)] if deforestation_free else None,
            "delivery_start": start,
            "delivery_end": start + timedelta(days=int(rng.integers(30, 91))),
            # the demo buyer receives deliveries: its commitments always name a centre, in
            # the demo producer's region for the one she pledges to (not 250 km away)
            "collection_center_id": self._centre(
                country, regions, always=key == DEMO_BUYER, prefer=must_region
            ),
            "status": status,
            "created_at": created,
            "updated_at": created,
        }
        k = len(self.commitments)
        self.commitments.append(row)
        self.regions += [(k, country, region) for region in regions]
        eligible = self._eligible(row, regions)
        capacity = int(self.farms.free[eligible].sum())
        volume = _round(rng.uniform(20_000, 300_000), 1_000)
        volume = max(MIN_VOLUME, min(volume, _round(capacity * 0.9, 1_000)))
        row["max_kg_per_producer"] = min(max_kg, volume)
        target = volume if status == "fulfilled" else int(volume * rng.uniform(0.1, 0.9))
        pledged = self._pledge(k, row, eligible, target, volume)
        if status == "fulfilled" and pledged >= MIN_VOLUME // 2:
            volume = pledged
        elif status == "fulfilled":
            row["status"] = "closed"  # too few farms left to fill it: the buyer closed it
        row["volume_kg"], row["pledged_kg"] = volume, pledged
        row["max_kg_per_producer"] = min(row["max_kg_per_producer"], volume)
        row["min_kg_per_producer"] = min(row["min_kg_per_producer"], row["max_kg_per_producer"])
        return k

    def _centre(
        self, country: str, regions: list[str], always: bool = False, prefer: str | None = None
    ) -> int | None:
        options = self.centres.get(f"{country}|{prefer}", []) if prefer else []
        options = options or [
            c for region in regions for c in self.centres.get(f"{country}|{region}", [])
        ]
        if not options or (self.rng.random() < 0.15 and not always):
            return None
        return int(self.rng.choice(options))

    def _eligible(self, row: dict, regions: list[str]) -> np.ndarray:
        farms = self.farms
        places = [f"{row['country']}|{region}" for region in regions]
        mask = (farms.chain == row["value_chain"]) & np.isin(farms.place, places)
        mask &= farms.free > 0
        if row["deforestation_free"]:
            mask &= farms.cleared != "yes"
        return np.flatnonzero(mask)

    def _pledge(self, k: int, row: dict, eligible: np.ndarray, target: int, volume: int) -> int:
        """Pledges from eligible farms in random order until `target` kg; returns the sum."""
        rng, farms = self.rng, self.farms
        per_producer: dict[int, int] = defaultdict(int)
        pledged = 0
        created = row["created_at"]
        span = max((self.anchor - created).total_seconds(), 60.0)
        for i in rng.permutation(eligible).tolist():
            if pledged >= target:
                break
            producer, pledger = int(farms.producer[i]), int(farms.pledger[i])
            room = row["max_kg_per_producer"] - per_producer[producer]
            kg = _round(farms.free[i] * rng.uniform(0.3, 1.0), 50)
            kg = min(kg, int(farms.free[i]) // 50 * 50, room, volume - pledged)
            kg = min(kg, max(_round(target - pledged, 50), 50))
            if pledger < 0 or kg <= 0 or per_producer[producer] + kg < row["min_kg_per_producer"]:
                continue
            per_producer[producer] += kg
            farms.free[i] -= kg
            pledged += kg
            self.pledges.append(
                {
                    "commitment": k,
                    "farm_id": int(farms.id[i]),
                    "producer_id": producer,
                    "pledged_by_id": pledger,
                    "kg": kg,
                    "status": "active",
                    "pending_verification": bool(
                        row["deforestation_free"] and farms.cleared[i] == "unknown"
                    ),
                    "created_at": created + timedelta(seconds=float(rng.uniform(0, span))),
                    "withdrawn_at": None,
                }
            )
        return pledged


def _demo_producer() -> int | None:
    return db.session.scalar(
        select(Producer.id)
        .join(User, User.id == Producer.user_id)
        .where(User.email == DEMO_PRODUCER_EMAIL)
    )


def _demo_pledge(builder: _Builder, k: int, producer: int, free: np.ndarray) -> None:
    """productora@minka.demo pledges from her first farm to the demo buyer's commitment."""
    farms, row = builder.farms, builder.commitments[k]
    fits = [
        i
        for i in np.flatnonzero(farms.producer == producer).tolist()
        if farms.place[i] == f"PE|{DEMO_REGION}" and farms.chain[i] == row["value_chain"]
    ]
    if not fits or row["status"] != "open":
        return
    i = fits[0]
    kg = min(DEMO_PLEDGE_KG, int(free[i]), row["max_kg_per_producer"])
    if kg < row["min_kg_per_producer"]:
        return
    if row["pledged_kg"] + kg >= row["volume_kg"]:  # leave volume for her second farm
        row["volume_kg"] = row["pledged_kg"] + kg + 5_000
    row["pledged_kg"] += kg
    builder.pledges.append(
        {
            "commitment": k,
            "farm_id": int(farms.id[i]),
            "producer_id": producer,
            "pledged_by_id": int(farms.pledger[i]),
            "kg": kg,
            "status": "active",
            "pending_verification": bool(
                row["deforestation_free"] and farms.cleared[i] == "unknown"
            ),
            "created_at": builder.anchor - timedelta(days=3),
            "withdrawn_at": None,
        }
    )


def build(rng: np.random.Generator, anchor: datetime) -> dict[str, int]:
    """Bulk-insert commitments, their regions and their pledges; return {table: count}."""
    buyers = _buyers()
    if not buyers:
        return {}
    farms = _farms()
    demo = _demo_producer()
    demo_farms = np.flatnonzero(farms.producer == demo) if demo is not None else []
    demo_free = farms.free.copy()
    farms.free[demo_farms] = 0  # the demo producer pledges exactly once, below
    builder = _Builder(rng, anchor, farms)
    demo_commitment = None
    for org in buyers:
        key = org[1]
        chain = BUYER_CHAINS.get(key) or str(rng.choice(["cacao", "cafe"]))
        if key == DEMO_BUYER:
            demo_commitment = builder.add(org, chain, "open", must_region=DEMO_REGION)
            builder.add(org, chain, "open")
            builder.add(org, chain, "fulfilled")
            continue
        for _ in range(int(rng.integers(2, 5))):
            builder.add(org, chain, "open")
        if rng.random() < 0.6:
            builder.add(org, chain, str(rng.choice(["closed", "fulfilled"])))
    if demo is not None and demo_commitment is not None:
        _demo_pledge(builder, demo_commitment, demo, demo_free)
    return _write(builder)


def _write(builder: _Builder) -> dict[str, int]:
    ids = bulk.reserve_ids(PurchaseCommitment, len(builder.commitments))
    keys = list(builder.commitments[0])
    columns = {key: [row[key] for row in builder.commitments] for key in keys}
    counts = {
        "purchase_commitment": bulk.insert_columns(PurchaseCommitment, {"id": ids, **columns})
    }
    counts["commitment_region"] = bulk.insert_columns(
        CommitmentRegion,
        {
            "commitment_id": [int(ids[k]) for k, _c, _r in builder.regions],
            "country": [country for _k, country, _r in builder.regions],
            "region": [region for _k, _c, region in builder.regions],
        },
    )
    pledges = builder.pledges
    pledge_ids = bulk.reserve_ids(Pledge, len(pledges))
    pledge_keys = [key for key in pledges[0] if key != "commitment"] if pledges else []
    counts["pledge"] = bulk.insert_columns(
        Pledge,
        {
            "id": pledge_ids,
            "commitment_id": [int(ids[p["commitment"]]) for p in pledges],
            **{key: [p[key] for p in pledges] for key in pledge_keys},
        },
    )
    return counts
