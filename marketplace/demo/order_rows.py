"""The rows of the demo orders: each planned order becomes an order row, its audit entries
(its timeline) and the notifications each side got. Used by marketplace.demo.orders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from marketplace.demo import bulk
from marketplace.links import path_for
from marketplace.models import AuditLog, Notification, Order

PATHS = {
    "placed": (),
    "confirmed": ("confirmed",),
    "delivered": ("confirmed", "delivered"),
    "completed": ("confirmed", "delivered", "completed"),
}
CANCEL_REASONS = (
    "Se nos agotó el producto; le avisaremos cuando vuelva a llegar.",
    "El camino a su zona está cortado por las lluvias.",
    "No tenemos técnico disponible en esas fechas.",
    "El productor pidió cancelarlo por teléfono.",
)
NOTES = (
    "Por favor, avisar un día antes.",
    "Recojo el sábado temprano.",
    "Llamar al celular antes de venir.",
    "Si no hay, me sirve una marca parecida.",
)
READ_AFTER_DAYS = 2.0  # older notifications have been read
# Columns of each order's row of uniform draws.
U_STATUS, U_QTY, U_AGE, U_LISTING, U_STAFF, U_PATH, U_BY, U_ACTOR, U_REASON, U_NOTE = range(10)
U_STEPS = 10  # three columns: when the later steps happened
N_DRAWS = 13


@dataclass
class Plan:
    """One order before its listing's texts are read."""

    person: tuple  # (id, user, cooperative, created_at, farm, country, region, lat, lon)
    placed_by: int
    k: int  # row in the lean listings
    quantity: int
    status: str
    centre: int | None
    age_days: float
    u: list[float]
    forced_reason: str | None = None


class Rows:
    """Column-wise rows of the orders, their audit entries and their notifications."""

    def __init__(self, anchor: datetime) -> None:
        self.anchor = anchor
        self.orders: dict[str, list] = defaultdict(list)
        self.audit: dict[str, list] = defaultdict(list)
        self.notes: dict[str, list] = defaultdict(list)

    def step(self, order_id: int, at: datetime, actor: int | None, action: str, detail: dict):
        """An audit row of the order."""
        for key, value in (
            ("at", at),
            ("actor_id", actor),
            ("action", action),
            ("entity_type", "order"),
            ("entity_id", order_id),
            ("detail", detail),
        ):
            self.audit[key].append(value)

    def notify(
        self,
        order_id: int,
        at: datetime,
        kind: str,
        user: int | None,
        org: int | None,
        params: dict,
    ) -> None:
        """A notification of the order, read when it is old."""
        old = (self.anchor - at).total_seconds() > READ_AFTER_DAYS * 86_400
        for key, value in (
            ("user_id", user),
            ("organization_id", org),
            ("kind", kind),
            ("params", {"order": order_id, **params}),
            (
                "link",
                path_for("orders.detail" if user else "orders.received_detail", order_id=order_id),
            ),
            ("read_at", at + timedelta(hours=6) if old else None),
            ("created_at", at),
        ):
            self.notes[key].append(value)


def add(
    rows: Rows, order_id: int, plan: Plan, listing: tuple, text: tuple, actors: list[int], key: str
) -> None:
    """One order (from its plan) with its audit rows and notifications."""
    u, person = plan.u, plan.person
    title, unit, currency, listing_created = text
    age = max(0.05, min(plan.age_days, _days(rows.anchor - max(listing_created, person[3])) - 0.01))
    created = rows.anchor - timedelta(days=age)
    reason, cancelled_by, path = plan.forced_reason, "supplier", PATHS.get(plan.status, ())
    if plan.status == "cancelled":
        path = ("confirmed", "cancelled") if not reason and u[U_PATH] < 0.4 else ("cancelled",)
        if not reason and len(path) == 1 and u[U_BY] < 0.3:
            cancelled_by = "producer"
        elif not reason:
            reason = CANCEL_REASONS[int(u[U_REASON] * len(CANCEL_REASONS))]
    times = [created + timedelta(days=0.98 * age * f) for f in sorted(u[U_STEPS : U_STEPS + 3])]
    supplier_actor = actors[int(u[U_ACTOR] * len(actors))] if actors else None
    total = listing[2] * plan.quantity
    pickup = listing[4] == "pickup"
    note = NOTES[int(u[U_NOTE] / 0.2 * len(NOTES))] if u[U_NOTE] < 0.2 else ""
    for key_, value in (
        ("id", order_id),
        ("producer_id", person[0]),
        ("listing_id", listing[0]),
        ("supplier_id", listing[1]),
        ("placed_by_id", plan.placed_by),
        ("quantity", plan.quantity),
        ("unit_price_minor", listing[2]),
        ("total_minor", total),
        ("currency", currency),
        ("title", title),
        ("unit", unit),
        ("status", plan.status),
        ("payment_method", "cash"),
        ("delivery_point", "collection_center" if pickup else "farm"),
        ("collection_center_id", plan.centre if pickup else None),
        ("farm_id", None if pickup else person[4]),
        ("note", note),
        ("cancel_reason", reason if cancelled_by == "supplier" else None),
        ("idempotency_key", key),
        ("created_at", created),
        ("updated_at", times[len(path) - 1] if path else created),
    ):
        rows.orders[key_].append(value)
    detail = {
        "listing": listing[0],
        "quantity": plan.quantity,
        "total": total,
        "currency": currency,
        "producer": person[0],
    }
    rows.step(order_id, created, plan.placed_by, "order.placed", detail)
    said = {"title": title}
    rows.notify(
        order_id, created, "order.placed", None, listing[1], {**said, "quantity": plan.quantity}
    )
    previous = "placed"
    for step, at in zip(path, times, strict=False):
        by = cancelled_by if step == "cancelled" else "supplier"
        detail = {"from": previous, "by": by}
        if step == "cancelled" and reason and by == "supplier":
            detail["reason"] = reason
        rows.step(
            order_id,
            at,
            plan.placed_by if by == "producer" else supplier_actor,
            f"order.{step}",
            detail,
        )
        if by == "producer":
            rows.notify(order_id, at, "order.cancelled_by_producer", None, listing[1], said)
        elif person[1] is not None:
            extra = {"reason": reason} if step == "cancelled" else {}
            rows.notify(order_id, at, f"order.{step}", person[1], None, {**said, **extra})
        previous = step


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86_400


def insert(rows: Rows) -> dict[str, int]:
    """Bulk-insert the three tables; return {table: count}."""
    counts = {"order": bulk.insert_columns(Order, rows.orders)}
    audit_ids = bulk.reserve_ids(AuditLog, len(rows.audit["at"]))
    counts["audit_log (orders)"] = bulk.insert_columns(AuditLog, {"id": audit_ids, **rows.audit})
    note_ids = bulk.reserve_ids(Notification, len(rows.notes["kind"]))
    counts["notification (orders)"] = bulk.insert_columns(
        Notification, {"id": note_ids, **rows.notes}
    )
    return counts
