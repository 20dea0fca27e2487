"""Reading orders: each side's lists, an order's timeline, and the dashboards' summaries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace.extensions import db
from marketplace.models import AuditLog, Order, Producer
from marketplace.orders import states

PER_PAGE = 20

#: The supplier's filters: the default "to handle" (placed + confirmed), each status, all.
SUPPLIER_FILTERS = {
    "por_atender": (_l("Por atender"), states.OPEN),
    states.PLACED: (_l("Nuevos"), (states.PLACED,)),
    states.CONFIRMED: (_l("Confirmados"), (states.CONFIRMED,)),
    states.DELIVERED: (_l("Entregados"), (states.DELIVERED,)),
    states.COMPLETED: (_l("Completados"), (states.COMPLETED,)),
    states.CANCELLED: (_l("Cancelados"), (states.CANCELLED,)),
    "todos": (_l("Todos"), ()),
}
DEFAULT_FILTER = "por_atender"

#: What each audited step of an order is called on its timeline.
STEP_LABELS = {
    "order.placed": _l("Pedido enviado"),
    "order.confirmed": _l("Confirmado por el proveedor"),
    "order.delivered": _l("Entregado"),
    "order.completed": _l("Completado"),
    "order.cancelled": _l("Cancelado"),
    "payment.checkout_started": _l("Pago en línea iniciado"),
    "payment.paid": _l("Pago con tarjeta recibido"),
    "payment.refunded": _l("Pago con tarjeta devuelto"),
    "payment.refund_recorded": _l("Devolución registrada"),
    "payment.late_refunded": _l("Pago tardío devuelto (el pedido ya estaba cancelado)"),
    "payment.amount_mismatch": _l("Pago en revisión: el monto no coincide"),
    "payment.voucher_issued": _l("Ficha OXXO emitida"),
    "payment.oxxo_failed": _l("La ficha OXXO venció sin pagarse"),
    "payment.voucher_voided": _l("Ficha OXXO anulada al cancelar el pedido"),
    "transfer.recorded": _l("Transferencia registrada por el productor"),
    "transfer.confirmed": _l("Transferencia confirmada por el proveedor"),
    "transfer.disputed": _l("El proveedor dice que la transferencia no llegó"),
    "transfer.canceled": _l("Transferencia anulada"),
    "transfer.resolved": _l("Disputa de pago resuelta por Minka"),
    "transfer.refund_made": _l("El proveedor devolvió el pago"),
}


def producer_orders(producer: Producer, page: int = 1) -> Pagination:
    """A page of a producer's orders, newest first, with their supplier."""
    query = (
        select(Order)
        .where(Order.producer_id == producer.id)
        .options(joinedload(Order.supplier))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def supplier_orders(org_id: int, status_filter: str = DEFAULT_FILTER, page: int = 1) -> Pagination:
    """A page of an organization's received orders: open ones oldest first (first come, first
    served), closed ones newest first."""
    statuses = SUPPLIER_FILTERS.get(status_filter, SUPPLIER_FILTERS[DEFAULT_FILTER])[1]
    query = (
        select(Order)
        .where(Order.supplier_id == org_id)
        .options(joinedload(Order.producer), joinedload(Order.collection_center))
    )
    if statuses:
        query = query.where(Order.status.in_(statuses))
    if statuses and set(statuses) <= set(states.OPEN):
        query = query.order_by(Order.created_at, Order.id)
    else:
        query = query.order_by(Order.created_at.desc(), Order.id.desc())
    return db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)


def timeline(order: Order) -> list[AuditLog]:
    """The audited steps of an order, oldest first."""
    query = (
        select(AuditLog)
        .where(AuditLog.entity_type == Order.__tablename__, AuditLog.entity_id == order.id)
        .where(AuditLog.action.in_(tuple(STEP_LABELS)))
        .order_by(AuditLog.at, AuditLog.id)
    )
    return list(db.session.scalars(query))


def step_label(action: str) -> str:
    """A timeline step's label."""
    text = STEP_LABELS.get(action)
    return str(text) if text is not None else action


def _counts(where) -> dict[str, int]:
    rows = db.session.execute(
        select(Order.status, func.count(Order.id)).where(where).group_by(Order.status)
    )
    counts = dict.fromkeys(states.TRANSITIONS, 0)
    counts.update({status: n for status, n in rows})
    return counts


def producer_order_summary(producer: Producer, limit: int = 5) -> dict:
    """For the producer's home: their open orders (newest first) and counts per status."""
    counts = _counts(Order.producer_id == producer.id)
    open_orders = list(
        db.session.scalars(
            select(Order)
            .where(Order.producer_id == producer.id, Order.status.in_(states.OPEN))
            .options(joinedload(Order.supplier))
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
    return {
        "open": open_orders,
        "open_count": counts[states.PLACED] + counts[states.CONFIRMED],
        "counts": counts,
        "total": sum(counts.values()),
    }


def supplier_order_summary(org_id: int, limit: int = 5) -> dict:
    """For the supplier's home: counts per status and the oldest orders still to handle."""
    counts = _counts(Order.supplier_id == org_id)
    oldest = list(
        db.session.scalars(
            select(Order)
            .where(Order.supplier_id == org_id, Order.status.in_(states.OPEN))
            .options(joinedload(Order.producer))
            .order_by(Order.created_at, Order.id)
            .limit(limit)
        )
    )
    return {
        "counts": counts,
        "to_handle": counts[states.PLACED] + counts[states.CONFIRMED],
        "oldest": oldest,
        "total": sum(counts.values()),
    }
