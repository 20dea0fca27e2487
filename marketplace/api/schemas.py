"""Serialisers of the API: models in, plain dicts out (what jsonify writes).

Only what the public catalogue shows leaves here: organizations by id and name, places by
country and region. Nothing about producers (names, phones, national ids, farms) nor about
the staff behind an organization (who created a commitment, who operates a centre).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination

from marketplace import currencies
from marketplace.models import Listing, Organization, PurchaseCommitment


def decimal_text(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal string in major units: 1250 PEN -> "12.50"."""
    digits = currencies.minor_units(currency)
    return f"{Decimal(amount_minor).scaleb(-digits):.{digits}f}"


def money(amount_minor: int, currency: str) -> dict:
    """A price: integer minor units, ISO currency and the decimal amount as text."""
    return {
        "amount_minor": amount_minor,
        "currency": currency,
        "amount": decimal_text(amount_minor, currency),
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def organization(org: Organization) -> dict:
    """An organization as the public sees it: id and name."""
    return {"id": org.id, "name": org.name}


def listing(item: Listing) -> dict:
    """A published listing."""
    return {
        "id": item.id,
        "kind": item.kind,
        "category": item.category,
        "title": item.title,
        "description": item.description,
        "price": money(item.price_minor, item.currency),
        "unit": item.unit,
        "stock": item.stock,
        "delivery_mode": item.delivery_mode,
        "lead_time_days": item.lead_time_days,
        "country": item.country,
        "regions": [{"country": r.country, "region": r.region} for r in item.regions],
        "value_chains": sorted(v.value_chain for v in item.value_chains),
        "supplier": organization(item.organization),
        "created_at": _iso(item.created_at),
    }


def _commitment_price(item: PurchaseCommitment) -> dict:
    """Price per kg: a fixed amount, or a premium over a reference price."""
    fixed, premium = item.price_minor_per_kg, item.premium_minor_per_kg
    return {
        "type": item.price_type,
        "currency": item.currency,
        "amount_minor": fixed,
        "amount": decimal_text(fixed, item.currency) if fixed is not None else None,
        "premium_minor": premium,
        "premium": decimal_text(premium, item.currency) if premium is not None else None,
        "reference": item.reference_price or "",
    }


def commitment(item: PurchaseCommitment) -> dict:
    """A buyer's purchase commitment with its fill; pledges only as a total."""
    centre = item.collection_center
    fill = min(item.pledged_kg / item.volume_kg, 1.0) if item.volume_kg > 0 else 0.0
    return {
        "id": item.id,
        "product": item.product,
        "value_chain": item.value_chain,
        "country": item.country,
        "volume_kg": item.volume_kg,
        "pledged_kg": item.pledged_kg,
        "remaining_kg": item.remaining_kg,
        "fill": round(fill, 4),
        "min_kg_per_producer": item.min_kg_per_producer,
        "max_kg_per_producer": item.max_kg_per_producer,
        "price_per_kg": _commitment_price(item),
        "quality": {
            "max_humidity_pct": item.max_humidity_pct,
            "min_fermentation_pct": item.min_fermentation_pct,
            "notes": item.quality_notes or "",
        },
        "deforestation_free": item.deforestation_free,
        "cutoff_date": _iso(item.cutoff_date),
        "delivery_window": {"start": _iso(item.delivery_start), "end": _iso(item.delivery_end)},
        "collection_centre": (
            {
                "id": centre.id,
                "name": centre.name,
                "country": centre.country,
                "region": centre.region,
            }
            if centre is not None
            else None
        ),
        "regions": [{"country": r.country, "region": r.region} for r in item.regions],
        "buyer": organization(item.organization),
        "status": item.status,
        "created_at": _iso(item.created_at),
    }


def page(pagination: Pagination, items: list[dict]) -> dict:
    """A page of results; `total` only when the query counted it anyway."""
    body = {
        "items": items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "has_next": pagination.has_next,
    }
    if pagination.total is not None:
        body["total"] = pagination.total
    return body
