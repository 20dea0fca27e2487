"""Shipments (embarques): a buyer groups closed lots of her commitments for an EU importer,
fixes the files and records the DDS numbers once filed.

draft -> ready -> filed, and ready -> draft while no DDS number is recorded. Lots come and go
only while draft; a lot is in at most one shipment (the lot id is the key of shipment_lot).
Every change takes the shipment's row first with a conditional UPDATE on its status (never
read-then-write), so concurrent changes queue and a changed status refuses. Nothing here
deletes a shipment or a recorded DDS: they are kept at least five years (EUDR).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date
from typing import NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.models import (
    PurchaseCommitment,
    Shipment,
    ShipmentLot,
    ShipmentStatement,
    ShipmentStatus,
    User,
)
from marketplace.models.base import utcnow
from marketplace.models.traceability import Delivery, Lot, LotStatus
from marketplace.traceability import shipment_files
from marketplace.traceability import shipment_rules as rules

DRAFT, READY, FILED = (s.value for s in ShipmentStatus)
_NOT_DRAFT = _l("El embarque ya no es un borrador: vuelva a cargar la página.")


def _refuse(message, field: str | None = None) -> NoReturn:
    db.session.rollback()
    raise DomainError(message, field)


@dataclass
class ShipmentData:
    """What the buyer types for a new shipment."""

    value_chain: str
    hs_code: str
    description: str
    importer_name: str
    importer_country: str
    importer_eori: str
    exporter_name: str
    exporter_country: str
    exporter_eori: str = ""


FIELDS = tuple(f.name for f in fields(ShipmentData))


def _check(data: ShipmentData) -> None:
    errors = {}
    if data.value_chain not in rules.HS_CODES:
        errors["value_chain"] = _l("Los embarques son de cacao o de café.")
    elif not rules.hs_code_allowed(data.value_chain, data.hs_code):
        errors["hs_code"] = _l("Elija un código SA de la cadena de valor del embarque.")
    if not data.description:
        errors["description"] = _l("Describa la mercancía.")
    elif len(data.description) > rules.DESCRIPTION_MAX:
        errors["description"] = _l("La descripción tiene como máximo 150 caracteres.")
    if not data.importer_name:
        errors["importer_name"] = _l("Escriba el nombre del importador.")
    if data.importer_country not in rules.EU_COUNTRIES:
        errors["importer_country"] = _l("El importador está en un país de la Unión Europea.")
    if not rules.is_eu_eori(data.importer_eori):
        errors["importer_eori"] = _l(
            "El EORI del importador son las 2 letras de un país de la UE y hasta 15 letras o "
            "números, por ejemplo DE123456789012345."
        )
    if not data.exporter_name:
        errors["exporter_name"] = _l("Escriba el nombre del exportador.")
    if data.exporter_eori and not rules.is_eori(data.exporter_eori):
        errors["exporter_eori"] = _l(
            "Un EORI son 2 letras de país y hasta 15 letras o números; déjelo vacío si el "
            "exportador no tiene."
        )
    if errors:
        raise InvalidInput(errors)


def create_shipment(actor: User, data: ShipmentData) -> Shipment:
    """A new draft shipment of the actor's organization."""
    data.description = " ".join(data.description.split())
    data.importer_eori = rules.normalized(data.importer_eori)
    data.exporter_eori = rules.normalized(data.exporter_eori)
    _check(data)
    shipment = Shipment(
        code=f"tmp-{uuid.uuid4().hex[:24]}",
        organization_id=actor.organization_id,
        status=DRAFT,
        created_by_id=actor.id,
        **vars(data),
    )
    db.session.add(shipment)
    db.session.flush()
    shipment.code = f"EMB-{actor.organization.country}-{shipment.id:06d}"
    audit.record(actor, "shipment.created", shipment, hs_code=data.hs_code)
    db.session.commit()
    return shipment


def _lock(shipment: Shipment, status: str, message=_NOT_DRAFT) -> None:
    """Take the shipment's row (a no-op UPDATE only in `status`) and reload it."""
    result = db.session.execute(
        update(Shipment)
        .where(Shipment.id == shipment.id, Shipment.status == status)
        .values(status=Shipment.status)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        _refuse(message)
    db.session.refresh(shipment)


def shipment_lots(shipment: Shipment) -> list[Lot]:
    """The shipment's lots, in the order of their codes."""
    query = (
        select(Lot)
        .join(ShipmentLot, ShipmentLot.lot_id == Lot.id)
        .where(ShipmentLot.shipment_id == shipment.id)
        .order_by(Lot.code)
    )
    return list(db.session.scalars(query))


def _lots_that_fit(shipment: Shipment):
    return (
        select(Lot)
        .join(PurchaseCommitment, Lot.commitment_id == PurchaseCommitment.id)
        .where(
            Lot.status == LotStatus.CLOSED,
            PurchaseCommitment.organization_id == shipment.organization_id,
            PurchaseCommitment.value_chain == shipment.value_chain,
            ~Lot.id.in_(select(ShipmentLot.lot_id)),
        )
    )


def addable_lots(shipment: Shipment, limit: int = 200) -> list[Lot]:
    """Closed lots of the organization's commitments of the same value chain, in no shipment."""
    return list(db.session.scalars(_lots_that_fit(shipment).order_by(Lot.code).limit(limit)))


def add_lots(actor: User, shipment: Shipment, lot_ids: list[int]) -> int:
    """Put these lots in the draft shipment; return how many joined."""
    wanted = set(lot_ids)
    if not wanted:
        _refuse(_l("Marque al menos un lote."), "lot_ids")
    _lock(shipment, DRAFT)
    fitting = set(db.session.scalars(_lots_that_fit(shipment).where(Lot.id.in_(wanted))))
    if len(fitting) != len(wanted):
        _refuse(
            _l(
                "Algún lote no está cerrado, es de otra cadena de valor o ya está en otro "
                "embarque; vuelva a cargar la página."
            ),
            "lot_ids",
        )
    try:
        db.session.add_all(
            ShipmentLot(lot_id=i, shipment_id=shipment.id, added_by_id=actor.id)
            for i in sorted(wanted)
        )
        db.session.flush()
    except IntegrityError:  # another shipment took the lot meanwhile
        _refuse(_l("Algún lote ya está en otro embarque; vuelva a cargar la página."), "lot_ids")
    audit.record(actor, "shipment.lots_added", shipment, lots=sorted(wanted))
    db.session.commit()
    return len(wanted)


def remove_lot(actor: User, shipment: Shipment, lot_id: int) -> None:
    """Take a lot out of the draft shipment."""
    _lock(shipment, DRAFT)
    result = db.session.execute(
        delete(ShipmentLot).where(
            ShipmentLot.shipment_id == shipment.id, ShipmentLot.lot_id == lot_id
        )
    )
    if result.rowcount != 1:
        _refuse(_l("Ese lote no está en este embarque."))
    audit.record(actor, "shipment.lot_removed", shipment, lot=lot_id)
    db.session.commit()


def net_mass_kg(shipment: Shipment) -> int:
    """The shipment's net mass: the output weight of its lots."""
    query = (
        select(func.coalesce(func.sum(Lot.weight_kg), 0))
        .join(ShipmentLot, ShipmentLot.lot_id == Lot.id)
        .where(ShipmentLot.shipment_id == shipment.id)
    )
    return int(db.session.scalar(query))


def harvest_period(shipment: Shipment) -> tuple[date, date] | None:
    """The first and last day of the harvest in the shipment (the deliveries' harvest
    periods; a delivery recorded before harvests were kept counts by its date); None
    without deliveries."""
    lot_ids = select(ShipmentLot.lot_id).where(ShipmentLot.shipment_id == shipment.id)
    first, last = db.session.execute(
        select(
            func.min(func.coalesce(Delivery.harvest_start, Delivery.delivered_on)),
            func.max(func.coalesce(Delivery.harvest_end, Delivery.delivered_on)),
        ).where(Delivery.lot_id.in_(lot_ids))
    ).one()
    return (first, last) if first is not None else None


def mark_ready(actor: User, shipment: Shipment, **limits) -> Shipment:
    """Fix the shipment's files for filing: one statement per part, each within the limits."""
    _lock(shipment, DRAFT)
    if not shipment_lots(shipment):
        _refuse(_l("Agregue al menos un lote antes de preparar el embarque."))
    found = shipment_files.files(shipment, **limits)
    if found.pending:
        _refuse(
            _l(
                "Hay %(count)s parcelas pendientes: no pueden ir en el archivo. Complételas o "
                "saque sus lotes del embarque.",
                count=len(found.pending),
            )
        )
    db.session.add_all(
        ShipmentStatement(
            shipment_id=shipment.id,
            part=part.number,
            farm_ids=part.farm_ids,
            producers=part.producers,
            size_bytes=part.size_bytes,
        )
        for part in found.parts
    )
    shipment.status = READY
    audit.record(
        actor,
        "shipment.ready",
        shipment,
        parts=len(found.parts),
        net_mass_kg=net_mass_kg(shipment),
        plots=found.plots,
    )
    db.session.commit()
    return shipment


def reopen(actor: User, shipment: Shipment) -> Shipment:
    """Back to draft, while no DDS number is recorded; the parts are made again later."""
    _lock(shipment, READY, _l("Solo un embarque listo para presentar vuelve a borrador."))
    if any(s.reference_number for s in shipment.statements):
        _refuse(_l("Ya hay un DDS registrado: el embarque no puede volver a borrador."))
    db.session.execute(
        delete(ShipmentStatement).where(ShipmentStatement.shipment_id == shipment.id)
    )
    shipment.status = DRAFT
    audit.record(actor, "shipment.reopened", shipment)
    db.session.commit()
    db.session.expire(shipment, ["statements"])
    return shipment


def _check_numbers(reference: str, verification: str) -> None:
    errors = {}
    if not rules.is_dds_reference(reference):
        errors["reference_number"] = _l(
            "El número de referencia tiene 14 caracteres: 2 cifras del año, 2 letras del país "
            "y 10 letras o números, por ejemplo 25NLSN6LX69730."
        )
    if not rules.is_dds_verification(verification):
        errors["verification_number"] = _l(
            "El número de verificación tiene 8 letras o números, por ejemplo K7R8LA90."
        )
    if errors:
        raise InvalidInput(errors)


def record_statement(
    actor: User, shipment: Shipment, part: int, reference: str, verification: str
) -> ShipmentStatement:
    """Record the DDS numbers of one part (once); the last part makes the shipment filed."""
    reference, verification = rules.normalized(reference), rules.normalized(verification)
    _check_numbers(reference, verification)
    _lock(shipment, READY, _l("Este embarque no espera números de DDS."))
    now = utcnow()
    try:
        result = db.session.execute(
            update(ShipmentStatement)
            .where(
                ShipmentStatement.shipment_id == shipment.id,
                ShipmentStatement.part == part,
                ShipmentStatement.reference_number.is_(None),
            )
            .values(
                reference_number=reference,
                verification_number=verification,
                filed_at=now,
                filed_by_id=actor.id,
            )
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        _refuse(_l("Ese número de referencia ya está registrado."), "reference_number")
    if result.rowcount != 1:
        if part not in {s.part for s in shipment.statements}:
            _refuse(_l("Este embarque no tiene esa parte."))
        _refuse(_l("Esta parte ya tiene sus números de DDS; no se cambian."))
    audit.record(
        actor, "shipment.dds_recorded", shipment, part=part, reference=reference,
        verification=verification,
    )  # fmt: skip
    db.session.expire(shipment, ["statements"])
    if all(s.reference_number for s in shipment.statements):
        shipment.status, shipment.filed_at, shipment.filed_by_id = FILED, now, actor.id
        audit.record(actor, "shipment.filed", shipment, parts=len(shipment.statements))
    db.session.commit()
    return db.session.scalar(
        select(ShipmentStatement).where(
            ShipmentStatement.shipment_id == shipment.id, ShipmentStatement.part == part
        )
    )


def organization_shipments(organization_id: int, limit: int = 100) -> list[Shipment]:
    """The organization's shipments, newest first."""
    query = (
        select(Shipment)
        .where(Shipment.organization_id == organization_id)
        .order_by(Shipment.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def shipments_of_lots(lot_ids) -> dict[int, Shipment]:
    """The shipment each of these lots is in (lots in none are left out)."""
    ids = list(lot_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ShipmentLot.lot_id, Shipment)
        .join(Shipment, Shipment.id == ShipmentLot.shipment_id)
        .where(ShipmentLot.lot_id.in_(ids))
    )
    return {lot_id: shipment for lot_id, shipment in rows}
