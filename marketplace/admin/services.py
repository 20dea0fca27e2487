"""Administration: listing accounts, organizations and the audit log; deactivating accounts
(organizations' review and decisions: admin.org_review). Every action is audit-logged."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from marketplace import audit
from marketplace.admin.permissions import can_deactivate
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import money, number
from marketplace.labels import COUNTRIES
from marketplace.models import AuditLog, Organization, OrgKind, OrgStatus, Role, User
from marketplace.paging import capped_paginate

PER_PAGE = 25
# counted no further (a demo world of a million producers has 3 million entries; a filter
# narrows them)
AUDIT_COUNT_CAP = 10_000

ACTION_LABELS = {
    "user.signed_up": _l("Creó su cuenta"),
    "user.password_changed": _l("Cambió su contraseña"),
    "user.reset_code_sent": _l("Pidió un código por SMS para cambiar su contraseña olvidada"),
    "user.password_reset": _l("Cambió su contraseña olvidada con un código enviado por SMS"),
    "user.deactivated": _l("Desactivó una cuenta"),
    "user.reactivated": _l("Reactivó una cuenta"),
    "organization.created": _l("Creó una organización"),
    "organization.updated": _l("Cambió los datos de una organización"),
    "organization.verified": _l("Verificó una organización"),
    "organization.rejected": _l("Rechazó la verificación de una organización"),
    "organization.suspended": _l("Suspendió una organización"),
    "organization.reinstated": _l("Levantó la suspensión de una organización"),
    "producer.created": _l("Registró a un productor"),
    "producer.updated": _l("Actualizó los datos de un productor"),
    "producer.messages_consent_changed": _l(
        "Cambió el consentimiento de un productor para recibir SMS o WhatsApp"
    ),
    "producer.claim_code_sent": _l(
        "Pidió un código por SMS para reclamar el registro de un productor"
    ),
    "producer.claimed": _l("Unió su cuenta al registro que un técnico hizo de ella o él"),
    "farm.created": _l("Registró una finca"),
    "farm.updated": _l("Actualizó una finca"),
    "farm.deleted": _l("Eliminó una finca"),
    "consent.granted": _l("Dio su consentimiento"),
    "consent.revoked": _l("Retiró su consentimiento"),
    "privacy.data_exported": _l("Entregó una copia de los datos de un productor"),
    "privacy.request_filed": _l("Presentó una solicitud sobre datos personales"),
    "privacy.objection_made": _l("Se opuso a un uso de sus datos"),
    "privacy.objection_withdrawn": _l("Retiró su oposición a un uso de sus datos"),
    "privacy.request_done": _l("Atendió una solicitud sobre datos personales"),
    "privacy.request_rejected": _l("Rechazó una solicitud sobre datos personales"),
    "privacy.deletion_carried_out": _l("Suprimió los datos de un productor"),
    "listing.created": _l("Creó un producto o servicio del catálogo"),
    "listing.updated": _l("Modificó un producto o servicio del catálogo"),
    "listing.published": _l("Publicó un producto o servicio en el catálogo"),
    "listing.paused": _l("Pausó un producto o servicio del catálogo"),
    "listing.deleted": _l("Eliminó un producto o servicio del catálogo"),
    "commitment.created": _l("Publicó un compromiso de compra"),
    "commitment.updated": _l("Modificó un compromiso de compra"),
    "commitment.closed": _l("Cerró un compromiso de compra"),
    "pledge.created": _l("Comprometió volumen de cosecha"),
    "pledge.withdrawn": _l("Retiró volumen comprometido"),
    "order.placed": _l("Hizo un pedido"),
    "order.confirmed": _l("Confirmó un pedido"),
    "order.delivered": _l("Marcó un pedido como entregado"),
    "order.completed": _l("Completó un pedido"),
    "order.cancelled": _l("Canceló un pedido"),
    "center.created": _l("Registró un centro de acopio"),
    "center.updated": _l("Actualizó un centro de acopio"),
    "center.deactivated": _l("Desactivó un centro de acopio"),
    "center.reactivated": _l("Volvió a activar un centro de acopio"),
    "credit_product.created": _l("Creó un producto de crédito"),
    "credit_product.updated": _l("Modificó un producto de crédito"),
    "credit_product.activated": _l("Activó un producto de crédito"),
    "credit_product.deactivated": _l("Desactivó un producto de crédito"),
    "credit.usury_ceiling_changed": _l("Cambió la tasa de usura de Colombia"),
    "harvest_calendar.updated": _l("Cambió el calendario de cosechas"),
    "custody.conversion_factors_changed": _l("Cambió los factores de conversión"),
    "lot.split": _l("Dividió un lote"),
    "lot.split_from": _l("Creó un lote al dividir otro"),
    "lot.merged": _l("Fusionó otro lote en este"),
    "lot.merged_into": _l("Fusionó un lote en otro"),
    "credit.info_requested": _l("Pidió información sobre un grupo de crédito"),
    "credit.match_approved": _l("Aprobó un grupo de crédito"),
    "credit.match_declined": _l("Rechazó un grupo de crédito"),
    "credit.member_excluded": _l("Dejó a un miembro fuera de un préstamo"),
    "credit.members_viewed": _l("Vio los datos de los miembros de un grupo"),
    "credit.members_exported": _l("Descargó los datos de los miembros de un grupo"),
    "credit.loan_accepted": _l("Aceptó un préstamo"),
    "credit.loan_declined": _l("Rechazó un préstamo ofrecido"),
    "credit.loan_disbursed": _l("Registró el desembolso de un préstamo"),
    "credit.repayment_recorded": _l("Registró un pago de un préstamo"),
    "credit.checkoff_repayment": _l("Descontó un pago del préstamo en una entrega"),
    "credit.loan_repaid": _l("Un préstamo quedó pagado"),
    "delivery.recorded": _l("Registró una entrega"),
    "farm.polygon_saved": _l("Guardó el contorno de una parcela"),
    "farm.polygon_removed": _l("Quitó el contorno de una parcela"),
    "farm.risk_assessed": _l("Evaluó el riesgo de deforestación de una parcela"),
    "farm.evidence_recorded": _l("Registró evidencia de campo de una parcela"),
    "farm.risk_verified": _l("Verificó en campo el riesgo de una parcela"),
    "dispute.opened": _l("Abrió una disputa del riesgo de una parcela"),
    "dispute.proposed": _l("Propuso la decisión de una disputa (primera revisión)"),
    "dispute.returned": _l("Devolvió la propuesta de una disputa (segunda revisión)"),
    "dispute.confirmed": _l("Confirmó la decisión de una disputa (segunda revisión)"),
    "dispute.lapsed": _l("Una disputa dejó de regir: la evaluación de la parcela cambió"),
    "farm.tenure_document_uploaded": _l("Subió un documento de tenencia de una parcela"),
    "farm.tenure_document_accepted": _l("Aceptó un documento de tenencia de una parcela"),
    "farm.tenure_document_rejected": _l("Rechazó un documento de tenencia de una parcela"),
    "forest.imported": _l("Importó una capa de bosque"),
    "forest.removed": _l("Quitó una capa de bosque"),
    "plot_overlap.found": _l("Encontró parcelas de dos productores que se superponen"),
    "plot_overlap.resolved": _l("Dejaron de superponerse las parcelas de dos productores"),
    "lot.created": _l("Creó un lote"),
    "lot.deliveries_added": _l("Agregó entregas a un lote"),
    "lot.delivery_removed": _l("Sacó una entrega de un lote"),
    "lot.weight_set": _l("Registró el peso de salida de un lote"),
    "lot.closed": _l("Cerró un lote"),
    "shipment.created": _l("Creó un embarque"),
    "shipment.lots_added": _l("Agregó lotes a un embarque"),
    "shipment.lot_removed": _l("Sacó un lote de un embarque"),
    "shipment.ready": _l("Preparó un embarque para presentar"),
    "shipment.reopened": _l("Volvió un embarque a borrador"),
    "shipment.dds_recorded": _l("Registró los números de un DDS"),
    "shipment.filed": _l("Un embarque quedó presentado"),
    "payment.account_created": _l("Creó una cuenta de cobros con tarjeta"),
    "payment.checkout_started": _l("Inició un pago con tarjeta"),
    "payment.paid": _l("Un pago con tarjeta se completó"),
    "payment.amount_mismatch": _l("Un pago con tarjeta no coincidió con el pedido"),
    "payment.unknown_order": _l("Llegó un pago con tarjeta de un pedido desconocido"),
    "payment.duplicate_refunded": _l("Se devolvió un pago con tarjeta duplicado"),
    "payment.late_refunded": _l("Se devolvió un pago con tarjeta que llegó tarde"),
    "payment.refunded": _l("Devolvió un pago con tarjeta"),
    "payment.refund_recorded": _l("Se registró una devolución de un pago con tarjeta"),
    "payment.fee_changed": _l("Cambió la comisión de los pagos con tarjeta"),
    "payment.voucher_issued": _l("Se emitió una ficha de pago OXXO"),
    "payment.oxxo_failed": _l("Una ficha OXXO venció sin pagarse"),
    "payment.voucher_voided": _l("Anuló una ficha OXXO sin pagar de un pedido cancelado"),
    "transfer.details_saved": _l("Guardó sus datos para recibir transferencias"),
    "transfer.recorded": _l("Registró una transferencia o pago por billetera"),
    "transfer.confirmed": _l("Confirmó que recibió una transferencia"),
    "transfer.disputed": _l("Dijo que una transferencia no llegó"),
    "transfer.canceled": _l("Anuló una transferencia registrada"),
    "transfer.resolved": _l("Resolvió una disputa de pago"),
    "transfer.refund_made": _l("Registró que devolvió un pago"),
    "money.rescaled": _l("Corrigió los decimales de una moneda"),
    "matching_run.started": _l("Inició una corrida de emparejamiento de crédito"),
    "matching_run.succeeded": _l("Terminó una corrida de emparejamiento de crédito"),
    "matching_run.failed": _l("Falló una corrida de emparejamiento de crédito"),
}

ENTITY_LABELS = {
    "stored_file": _l("Archivo guardado"),
    "order_payment": _l("Pago de pedido"),
    "order_refund": _l("Devolución de pedido"),
    "transfer_details": _l("Datos para transferencias"),
    "user": _l("Cuenta"),
    "organization": _l("Organización"),
    "producer": _l("Productor"),
    "farm": _l("Finca"),
    "sync_receipt": _l("Envío desde el teléfono"),
    "consent": _l("Consentimiento"),
    "listing": _l("Producto del catálogo"),
    "purchase_commitment": _l("Compromiso de compra"),
    "pledge": _l("Compromiso de venta"),
    "credit_product": _l("Producto de crédito"),
    "matching_run": _l("Corrida de emparejamiento"),
    "harvest_calendar": _l("Calendario de cosechas"),
    "platform_setting": _l("Ajustes de la plataforma"),
    "assessment": _l("Evaluación de crédito"),
    "audit_log": _l("Registro de auditoría"),
    "cluster": _l("Grupo de crédito"),
    "collection_center": _l("Centro de acopio"),
    "commitment_region": _l("Región de un compromiso de compra"),
    "delivery": _l("Entrega"),
    "field_evidence": _l("Evidencia de campo"),
    "tenure_document": _l("Documento de tenencia"),
    "forest_area": _l("Área de bosque"),
    "forest_layer": _l("Capa de bosque"),
    "forest_assessment": _l("Evaluación de deforestación"),
    "forest_layer_set": _l("Capas leídas en una evaluación"),
    "forest_dispute": _l("Disputa del riesgo de una parcela"),
    "forest_dispute_evidence": _l("Evidencia de una disputa"),
    "legal_area": _l("Área protegida o territorio indígena"),
    "plot_overlap": _l("Superposición de parcelas de dos productores"),
    "listing_region": _l("Región de un producto del catálogo"),
    "listing_value_chain": _l("Cadena de valor de un producto del catálogo"),
    "loan": _l("Préstamo"),
    "loan_instalment": _l("Cuota de un préstamo"),
    "lot": _l("Lote"),
    "lot_review": _l("Revisión de un lote"),
    "match": _l("Grupo propuesto a una entidad de crédito"),
    "notification": _l("Aviso"),
    "order": _l("Pedido"),
    "payment_account": _l("Cuenta de cobros con tarjeta"),
    "repayment": _l("Pago de un préstamo"),
    "shipment": _l("Embarque"),
    "shipment_lot": _l("Lote de un embarque"),
    "shipment_statement": _l("Declaración de diligencia debida (DDS)"),
    "stripe_event": _l("Evento de Stripe"),
    "data_request": _l("Solicitud sobre datos personales"),
    "objection": _l("Oposición a un uso de los datos"),
    "outbound_message": _l("Mensaje de texto (SMS o WhatsApp)"),
    "one_time_code": _l("Código de un solo uso enviado por SMS"),
}

DETAIL_LABELS = {
    "reason": _l("Motivo"),
    "name": _l("Nombre"),
    "country": _l("País"),
    "role": _l("Rol"),
    "kind": _l("Tipo"),
    "scope": _l("Alcance"),
    "fields": _l("Datos"),
    "changes": _l("Cambios"),
    "producer": _l("Productor"),
    "verification_reset": _l("Volvió a pendiente de verificación"),
    "tax_id": _l("Número tributario"),
    "document": _l("Envió un documento nuevo"),
    "resubmitted": _l("Volvió a revisión tras un rechazo"),
    "on_behalf": _l("En nombre de otra persona"),
    "product": _l("Producto"),
    "commitment": _l("Compromiso de compra"),
    "farm": _l("Finca"),
    "kg": _l("Kilos"),
    "volume_kg": _l("Volumen (kg)"),
    "pledged_kg": _l("Comprometido (kg)"),
    "pending_verification": _l("Deforestación por verificar"),
    "notified": _l("Productores avisados"),
    "title": _l("Título"),
    "previous": _l("Estado anterior"),
    "active": _l("Activo"),
    "backend": _l("Dónde corrió"),
    "error": _l("Error"),
    "n_producers": _l("Productores evaluados"),
    "n_eligible": _l("Productores elegibles"),
    "n_groups": _l("Grupos de crédito"),
    "matched_groups": _l("Grupos emparejados"),
    "amount_minor": _l("Monto"),
    "owed_before_minor": _l("Saldo adeudado antes"),
    "repaid_minor": _l("Total pagado"),
    "total_minor": _l("Total"),
    "value_chain": _l("Cadena de valor"),
    "percent_before": _l("Antes (%)"),
    "percent_after": _l("Después (%)"),
    "months_before": _l("Meses antes"),
    "months_after": _l("Meses después"),
    "valid_from": _l("Rige desde"),
    "note": _l("Nota"),
    "group": _l("Grupo"),
    "producers": _l("Productores"),
    "use": _l("Uso de los datos"),
    "dispute": _l("Disputa"),
    "ground": _l("Motivo del reclamo"),
    "outcome": _l("Decisión"),
    "proposed_by": _l("Propuesta por la cuenta"),
    "before": _l("Antes"),
    "after": _l("Después"),
    "assessment": _l("Evaluación nueva"),
    "lapsed": _l("Dejó de regir"),
    "position": _l("Origen de la posición"),
}
#: Detail keys holding a record's id ("producer": 1234): written as the pages write record
#: numbers ("#1234"), never grouped.
RECORD_KEYS = frozenset(
    {
        "producer",
        "producers",
        "match",
        "commitment",
        "center",
        "pledge",
        "listing",
        "repayment",
        "loan",
        "dispute",
        "proposed_by",
        "assessment",
        "evidence_id",
    }
)
#: Detail keys holding an amount in minor units of the detail's "currency".
MONEY_KEYS = frozenset({"amount", "total", "refunded", "fee"})


def action_label(action: str) -> str:
    """A readable label for a known audit action; unknown actions are shown as stored."""
    text = ACTION_LABELS.get(action)
    return str(text) if text is not None else action


def action_prefixes() -> list[str]:
    """The action groups ("organization.", "user.", ...) known to the audit page."""
    return sorted({action.split(".", 1)[0] + "." for action in ACTION_LABELS})


def entity_label(entity_type: str) -> str:
    """A readable name for an audited table; unknown tables are shown as stored."""
    text = ENTITY_LABELS.get(entity_type)
    return str(text) if text is not None else entity_type


def _detail_value(key: str, value: Any, currency: str | None) -> str:
    if isinstance(value, bool):
        return str(_l("Sí") if value else _l("No"))
    if key in RECORD_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return f"#{value}"
    if isinstance(value, int | float):
        if currency and (key.endswith("_minor") or key in MONEY_KEYS):
            return money(value, currency)
        return number(value, 2)
    if isinstance(value, list | tuple):
        if key in RECORD_KEYS:
            return ", ".join(f"#{v}" for v in value)  # record ids, as the page writes them
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):  # {"field": [old, new]} as organization.updated stores it
        return "; ".join(
            f"{_detail_key(k)}: {v[0]} → {v[1]}"
            if isinstance(v, list) and len(v) == 2
            else f"{_detail_key(k)}: {v}"
            for k, v in value.items()
        )
    return str(value)


def _detail_key(key: str) -> str:
    text = DETAIL_LABELS.get(key)
    return str(text) if text is not None else key


def detail_items(detail: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value) pairs of an audit row's detail, for display: amounts in the detail's
    currency and numbers for the viewer, record ids as stored."""
    detail = detail or {}
    currency = detail.get("currency")
    return [(_detail_key(k), _detail_value(k, value, currency)) for k, value in detail.items()]


# -- Listings --------------------------------------------------------------------------------


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def users_page(search: str = "", role: str = "", page: int = 1) -> Pagination:
    """A page of accounts, newest first, matching a name/e-mail/phone search and a role."""
    query = select(User).options(joinedload(User.organization))
    text = (search or "").strip()
    if text:
        conditions = [User.name.icontains(text, autoescape=True)]
        conditions.append(User.email.icontains(text, autoescape=True))
        if len(_digits(text)) >= 3:
            conditions.append(User.phone.contains(_digits(text), autoescape=True))
        query = query.where(or_(*conditions))
    if role in set(Role):
        query = query.where(User.role == role)
    query = query.order_by(User.created_at.desc(), User.id.desc())
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def _organization_filters(query: Select, search: str, kind: str, status: str, country: str):
    text = (search or "").strip()
    if text:
        query = query.where(
            or_(
                Organization.name.icontains(text, autoescape=True),
                Organization.join_code == text.upper(),
            )
        )
    if kind in set(OrgKind):
        query = query.where(Organization.kind == kind)
    if country in COUNTRIES:
        query = query.where(Organization.country == country)
    if status == OrgStatus.SUSPENDED:
        query = query.where(Organization.suspended_at.is_not(None))
    elif status == OrgStatus.VERIFIED:
        query = query.where(
            Organization.verified_at.is_not(None), Organization.suspended_at.is_(None)
        )
    elif status == OrgStatus.PENDING:
        query = query.where(
            Organization.verified_at.is_(None),
            Organization.suspended_at.is_(None),
            Organization.rejected_at.is_(None),
        )
    elif status == OrgStatus.REJECTED:
        query = query.where(
            Organization.verified_at.is_(None),
            Organization.suspended_at.is_(None),
            Organization.rejected_at.is_not(None),
        )
    return query


def organizations_page(
    search: str = "", kind: str = "", status: str = "", country: str = "", page: int = 1
) -> Pagination:
    """A page of organizations, newest first, filtered by kind, status and country."""
    query = _organization_filters(select(Organization), search, kind, status, country)
    query = query.order_by(Organization.created_at.desc(), Organization.id.desc())
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def member_counts(organizations: list[Organization]) -> dict[int, int]:
    """Members per organization id, in one grouped query (organizations without members: 0)."""
    ids = [org.id for org in organizations]
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.organization_id, func.count(User.id))
        .where(User.organization_id.in_(ids))
        .group_by(User.organization_id)
    )
    counts = dict.fromkeys(ids, 0)
    counts.update({org_id: count for org_id, count in rows})
    return counts


def organization_members(org: Organization) -> list[User]:
    """The accounts that belong to an organization, by name."""
    return list(
        db.session.scalars(
            select(User).where(User.organization_id == org.id).order_by(User.name, User.id)
        )
    )


def organization_history(org: Organization) -> list[AuditLog]:
    """The audit rows about an organization, newest first."""
    return list(
        db.session.scalars(
            select(AuditLog)
            .options(joinedload(AuditLog.actor))
            .where(AuditLog.entity_type == Organization.__tablename__)
            .where(AuditLog.entity_id == org.id)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        )
    )


def audit_page(
    action: str = "", actor: str = "", actor_id: int | None = None, page: int = 1
) -> Pagination:
    """A page of the audit log, newest first, by action prefix and by who acted."""
    query = select(AuditLog).options(joinedload(AuditLog.actor))
    prefix = (action or "").strip()
    if prefix:
        query = query.where(AuditLog.action.startswith(prefix, autoescape=True))
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    text = (actor or "").strip()
    if text:
        query = query.join(User, AuditLog.actor_id == User.id).where(
            or_(
                User.name.icontains(text, autoescape=True),
                User.email.icontains(text, autoescape=True),
            )
        )
    query = query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
    return capped_paginate(query, page, PER_PAGE, AUDIT_COUNT_CAP)


# -- Actions ---------------------------------------------------------------------------------


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Deactivate (no more sign-in) or reactivate an account; nobody deactivates themself."""
    if not active and not can_deactivate(actor, user):
        raise DomainError(_l("No puede desactivar su propia cuenta."))
    if user.active == active:
        message = (
            _l("Esta cuenta ya está activa.") if active else _l("Esta cuenta ya está desactivada.")
        )
        raise DomainError(message)
    user.active = active
    if not active:
        user.end_sessions()
    audit.record(actor, "user.reactivated" if active else "user.deactivated", user)
    db.session.commit()
    return user
