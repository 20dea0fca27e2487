"""The rules a commitment's terms must follow, as {field: Spanish message}."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import currencies, gazetteer
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.models import (
    CollectionCenter,
    Farm,
    Pledge,
    PledgeStatus,
    PriceType,
    PurchaseCommitment,
    ValueChain,
)

if TYPE_CHECKING:
    from marketplace.commitments.services import CommitmentData

MAX_VOLUME_KG = 10_000_000
MAX_PRICE_MINOR = 1_000_000_000
EARLIEST_CUTOFF = date(1990, 1, 1)
# A purchase commitment covers a harvest or two: a window ending later, or longer, is a typo.
LONGEST_WINDOW = timedelta(days=3 * 366)
MAX_PRODUCT = 120
MAX_REFERENCE = 200
MAX_NOTES = 2000


def _volumes(data: CommitmentData, problems: dict) -> None:
    if not 1 <= data.volume_kg <= MAX_VOLUME_KG:
        problems["volume_kg"] = _l("Escriba un volumen entre 1 y 10 000 000 kg.")
    if not 1 <= data.min_kg_per_producer <= MAX_VOLUME_KG:
        problems["min_kg_per_producer"] = _l("Escriba un número de kilos mayor que 0.")
    if not 1 <= data.max_kg_per_producer <= MAX_VOLUME_KG:
        problems["max_kg_per_producer"] = _l("Escriba un número de kilos mayor que 0.")
    if problems:
        return
    if data.min_kg_per_producer > data.max_kg_per_producer:
        problems["min_kg_per_producer"] = _l("El mínimo no puede ser mayor que el máximo.")
    elif data.max_kg_per_producer > data.volume_kg:
        problems["max_kg_per_producer"] = _l(
            "El máximo por productor no puede superar el volumen total."
        )


def _price(data: CommitmentData, problems: dict) -> None:
    if data.currency not in currencies.CODES:
        problems["currency"] = _l("Elija una moneda de la lista.")
    if data.price_type == PriceType.FIXED:
        price = data.price_minor_per_kg
        if price is None or not 0 < price <= MAX_PRICE_MINOR:
            problems["price_minor_per_kg"] = _l("Escriba el precio por kg, por ejemplo 8.50")
    elif data.price_type == PriceType.PREMIUM:
        premium = data.premium_minor_per_kg
        if premium is None or not 0 <= premium <= MAX_PRICE_MINOR:
            problems["premium_minor_per_kg"] = _l("Escriba la prima por kg, por ejemplo 0.80")
        if not data.reference_price.strip():
            problems["reference_price"] = _l(
                "Diga sobre qué precio se paga la prima, por ejemplo «Bolsa de Nueva York»."
            )
        elif len(data.reference_price.strip()) > MAX_REFERENCE:
            problems["reference_price"] = _l("Use como máximo 200 caracteres.")
    else:
        problems["price_type"] = _l("Elija precio fijo o prima sobre un precio de referencia.")


def _quality(data: CommitmentData, problems: dict) -> None:
    for name in ("max_humidity_pct", "min_fermentation_pct"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 100:
            problems[name] = _l("Escriba un porcentaje entre 0 y 100.")
    if len(data.quality_notes.strip()) > MAX_NOTES:
        problems["quality_notes"] = _l("Use como máximo 2000 caracteres.")


def _dates(data: CommitmentData, today: date, problems: dict) -> None:
    if data.deforestation_free:
        cutoff = data.cutoff_date
        if cutoff is None or not EARLIEST_CUTOFF <= cutoff <= today:
            problems["cutoff_date"] = _l(
                "Elija una fecha de corte entre el 1 de enero de 1990 y hoy."
            )
    if data.delivery_end <= today:
        problems["delivery_end"] = _l("La entrega debe terminar después de hoy.")
    elif data.delivery_end > today + LONGEST_WINDOW:
        problems["delivery_end"] = _l("La entrega debe terminar dentro de los próximos 3 años.")
    elif data.delivery_start > data.delivery_end:
        problems["delivery_start"] = _l("El inicio de la entrega debe ser antes de su fin.")
    elif data.delivery_end - data.delivery_start > LONGEST_WINDOW:
        problems["delivery_start"] = _l("La entrega puede durar como máximo 3 años.")


def _place(data: CommitmentData, problems: dict) -> None:
    if data.country not in gazetteer.COUNTRIES:
        problems["country"] = _l("Elija un país de la lista.")
        return
    known = set(gazetteer.regions(data.country))
    if not data.regions:
        problems["regions"] = _l("Elija al menos una región donde compra.")
    elif not set(data.regions) <= known:
        problems["regions"] = _l("Elija regiones del país del compromiso.")
    if data.collection_center_id is not None:
        center = db.session.get(CollectionCenter, data.collection_center_id)
        if center is None or not center.active or center.country != data.country:
            problems["collection_center_id"] = _l("Elija un centro de acopio de la lista.")


def commitment_problems(data: CommitmentData, today: date) -> dict[str, str]:
    """Every rule the terms break, by field (empty when they are fine)."""
    problems: dict[str, str] = {}
    product = data.product.strip()
    if not product:
        problems["product"] = _l("Escriba el producto, por ejemplo «Cacao en grano seco».")
    elif len(product) > MAX_PRODUCT:
        problems["product"] = _l("Use como máximo 120 caracteres.")
    if data.value_chain not in set(ValueChain):
        problems["value_chain"] = _l("Elija una cadena de valor de la lista.")
    _volumes(data, problems)
    _price(data, problems)
    _quality(data, problems)
    _dates(data, today, problems)
    _place(data, problems)
    return problems


def frozen_terms_problems(
    commitment: PurchaseCommitment, data: CommitmentData, regions: list[str]
) -> dict[str, str]:
    """Terms that pledges already made rely on, and so cannot change any more."""
    if commitment.pledged_kg <= 0:
        return {}
    problems: dict[str, str] = {}
    if data.volume_kg < commitment.pledged_kg:
        problems["volume_kg"] = _l(
            "Ya hay %(kg)s kg comprometidos: el volumen total no puede ser menor.",
            kg=number(commitment.pledged_kg, 0),
        )
    if data.value_chain != commitment.value_chain:
        problems["value_chain"] = _l(
            "Ya hay volumen comprometido: la cadena de valor no puede cambiar."
        )
    if data.country != commitment.country:
        problems["country"] = _l("Ya hay volumen comprometido: el país no puede cambiar.")
    stricter_cutoff = (
        data.deforestation_free
        and commitment.deforestation_free
        and data.cutoff_date != commitment.cutoff_date
    )
    if (data.deforestation_free and not commitment.deforestation_free) or stricter_cutoff:
        problems["deforestation_free"] = _l(
            "Ya hay volumen comprometido: las condiciones de deforestación no pueden cambiar."
        )
    pledged_regions = set(
        db.session.scalars(
            select(Farm.region)
            .join(Pledge, Pledge.farm_id == Farm.id)
            .where(Pledge.commitment_id == commitment.id, Pledge.status == PledgeStatus.ACTIVE)
            .distinct()
        )
    )
    missing = sorted(pledged_regions - set(regions))
    if missing and "country" not in problems:
        problems["regions"] = _l(
            "Hay volumen comprometido en %(regions)s: esas regiones deben quedar.",
            regions=", ".join(missing),
        )
    return problems
