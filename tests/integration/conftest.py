"""Fixtures of the API's tests: published listings, buyers' commitments and a collection centre
(test_api.py, test_api_schema_fuzz.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from marketplace.catalog.services import search_text
from marketplace.extensions import db as _db
from marketplace.models import (
    CollectionCenter,
    CommitmentRegion,
    Listing,
    ListingRegion,
    ListingValueChain,
    PurchaseCommitment,
)
from marketplace.models.base import local_today, utcnow


@pytest.fixture
def supplier(make_org):
    return make_org("supplier", name="Agroinsumos del Huallaga")


@pytest.fixture
def new_listing(supplier):
    """A published listing of `supplier` (or of `org=`), serving San Martín for cacao."""
    created = iter(range(1, 10_000))

    def make(title: str = "Fertilizante Orgánico", **overrides) -> Listing:
        regions = overrides.pop("regions", [("PE", "San Martín")])
        chains = overrides.pop("value_chains", ["cacao"])
        org = overrides.pop("org", supplier)
        values = {
            "kind": "input",
            "category": "fertilizantes",
            "description": "Guano de isla, saco de 50 kg",
            "price_minor": 8_500,
            "currency": "PEN",
            "unit": "saco_50kg",
            "stock": 40,
            "delivery_mode": "pickup",
            "lead_time_days": 3,
            "country": "PE",
            "lat": -7.18,
            "lon": -76.73,
            "status": "published",
            "created_at": utcnow() - timedelta(hours=10_000 - next(created)),
        }
        values.update(overrides)
        listing = Listing(organization_id=org.id, title=title, **values)
        listing.search_text = search_text(title, listing.description, listing.category)
        listing.regions = [ListingRegion(country=c, region=r) for c, r in regions]
        listing.value_chains = [ListingValueChain(value_chain=v) for v in chains]
        _db.session.add(listing)
        _db.session.commit()
        return listing

    return make


@pytest.fixture
def buyer(make_user):
    return make_user("buyer", name="Lucía Compradora", email="lucia.staff@chocolates.example")


@pytest.fixture
def centre(make_org):
    coop = make_org("cooperative", name="Cooperativa Oro Verde")
    centre = CollectionCenter(
        organization_id=coop.id,
        name="Centro de acopio Juanjuí",
        operator_name="Teodoro Operador Privado",
        country="PE",
        region="San Martín",
        district_code="220601",
        lat=-7.18,
        lon=-76.73,
        opening_hours="L-S 7:00-15:00",
    )
    _db.session.add(centre)
    _db.session.commit()
    return centre


@pytest.fixture
def new_commitment(buyer, centre):
    """An open fixed-price commitment of `buyer`'s organization for cacao from San Martín."""

    def make(**overrides) -> PurchaseCommitment:
        regions = overrides.pop("regions", [("PE", "San Martín")])
        today = local_today()
        values = {
            "organization_id": buyer.organization_id,
            "created_by_id": buyer.id,
            "product": "Cacao en grano seco",
            "value_chain": "cacao",
            "country": "PE",
            "volume_kg": 10_000,
            "pledged_kg": 2_500,
            "min_kg_per_producer": 100,
            "max_kg_per_producer": 2_000,
            "price_type": "fixed",
            "price_minor_per_kg": 1_250,
            "currency": "PEN",
            "max_humidity_pct": 7.5,
            "min_fermentation_pct": 70.0,
            "quality_notes": "Sin moho",
            "deforestation_free": True,
            "cutoff_date": date(2020, 12, 31),
            "delivery_start": today + timedelta(days=30),
            "delivery_end": today + timedelta(days=90),
            "collection_center_id": centre.id,
            "status": "open",
        }
        values.update(overrides)
        commitment = PurchaseCommitment(**values)
        commitment.regions = [CommitmentRegion(country=c, region=r) for c, r in regions]
        _db.session.add(commitment)
        _db.session.commit()
        return commitment

    return make
