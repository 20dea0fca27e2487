"""Payments in the demo world: Peruvian and Colombian suppliers say where they receive
transfers (Yape and Plin or a bank account; Nequi and Daviplata), and some of their orders
are paid that way, in every state (recorded and waiting, confirmed, disputed, withdrawn, and
a cancelled order whose payment was given back); some Mexican orders are paid in cash at
OXXO (a voucher waiting, paid, expired unpaid). Person-made steps are in the audit log, so
the orders' timelines show them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select, update

from marketplace.demo import bulk
from marketplace.demo.orders import DEMO_PRODUCER
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    Order,
    OrderPayment,
    OrderRefund,
    Organization,
    Producer,
    TransferDetails,
    User,
)
from marketplace.payments import countries

SHARE = 0.15  # of the orders of suppliers in a country, paid by its own method
#: Where a Peruvian or Colombian supplier receives, by country.
DECLARED = {"PE": ("yape", "plin", "bank"), "CO": ("nequi", "daviplata")}
BANKS = {"PE": ("BCP", "Interbank", "BBVA Perú", "Caja Huancayo"), "CO": ("Bancolombia",)}
#: (state of the transfer, chance) by order status.
TRANSFER_STATES = {
    "placed": (("none", 0.4), ("pending", 0.6)),
    "confirmed": (("pending", 0.5), ("confirmed", 0.35), ("disputed", 0.15)),
    "delivered": (("confirmed", 1.0),),
    "completed": (("confirmed", 1.0),),
    "cancelled": (("canceled", 0.6), ("refunded", 0.4)),
}
OXXO_STATES = {
    "placed": (("pending", 0.7), ("failed", 0.3)),
    "confirmed": (("pending", 0.4), ("confirmed", 0.6)),
    "delivered": (("confirmed", 1.0),),
    "completed": (("confirmed", 1.0),),
    "cancelled": (("expired", 1.0),),
}
DISPUTES = (
    "No aparece en mi Yape ni en mi Plin.",
    "El número de operación no corresponde a ningún abono.",
    "Llegó otro monto; lo estoy revisando con el banco.",
)


def _pick(u: float, table: tuple[tuple[str, float], ...]) -> str:
    total = 0.0
    for state, chance in table:
        total += chance
        if u < total:
            return state
    return table[-1][0]


def _details(rng: np.random.Generator) -> list[dict]:
    orgs = db.session.execute(
        select(Organization.id, Organization.name, Organization.country).where(
            Organization.kind.in_(("supplier", "ta_provider")),
            Organization.country.in_(tuple(DECLARED)),
        )
    ).all()
    rows = []
    for org_id, name, country in orgs:
        for channel in DECLARED[country]:
            if channel not in countries.methods_of(country).channels:
                continue
            bank = None
            if channel == "bank":
                bank = BANKS[country][int(rng.integers(len(BANKS[country])))]
                account = "".join(str(d) for d in rng.integers(0, 10, 20))
            else:
                account = "9" + "".join(str(d) for d in rng.integers(0, 10, 8))
                if country == "CO":
                    account = "3" + "".join(str(d) for d in rng.integers(0, 10, 9))
            rows.append({"organization_id": org_id, "channel": channel, "holder": name[:120],
                         "account": account, "bank": bank})  # fmt: skip
    return rows


#: The demo producer's own orders show each waiting state of a transfer, whatever the draw.
DEMO_PRODUCER_STATES = {"placed": "pending", "confirmed": "disputed", "delivered": "confirmed"}


def _orders(country_codes: tuple[str, ...]) -> list[tuple]:
    return db.session.execute(
        select(
            Order.id, Order.status, Order.total_minor, Order.currency, Order.created_at,
            Order.supplier_id, Producer.user_id, Organization.country,
            (User.email == DEMO_PRODUCER).label("demo"),
        )
        .join(Organization, Organization.id == Order.supplier_id)
        .join(Producer, Producer.id == Order.producer_id)
        .outerjoin(User, User.id == Producer.user_id)
        .where(Organization.country.in_(country_codes), Order.payment_method == "cash",
               Order.loan_id.is_(None))
        .order_by(Order.id)
    ).all()  # fmt: skip


def _payment(order, method: str, state: str, at: datetime, **values) -> dict:
    row = {
        "order_id": order.id, "provider": "manual" if method == "transfer" else "stripe",
        "method": method, "channel": None, "state": state, "amount_minor": order.total_minor,
        "currency": order.currency, "received_minor": None, "fee_minor": 0,
        "stripe_checkout_session_id": None, "stripe_payment_intent_id": None,
        "reference": None, "voucher_url": None, "expires_at": None, "error": None,
        "issue": None, "dispute_reason": None, "created_by_id": None, "confirmed_at": None,
        "created_at": at, "updated_at": at,
    }  # fmt: skip
    row.update(values)
    return row


def build(rng: np.random.Generator, anchor: datetime, say) -> dict[str, int]:
    """Transfer details, and transfer and OXXO payments of some orders."""
    details = _details(rng)
    counts = {"transfer_details": bulk.insert_rows(TransferDetails, details)}
    declared = {}
    for row in details:
        declared.setdefault(row["organization_id"], []).append(row["channel"])
    payments, audits, methods = [], [], {}
    for order in _orders(("PE", "CO")):
        draw, pick = rng.random(), rng.random()  # drawn for every order: a stable world
        demo = bool(order.demo) and order.status in DEMO_PRODUCER_STATES
        if order.supplier_id not in declared or (draw >= SHARE and not demo):
            continue
        state = (
            DEMO_PRODUCER_STATES[order.status]
            if demo
            else _pick(pick, TRANSFER_STATES[order.status])
        )
        methods[order.id] = "transfer"
        if state == "none":
            continue
        channels = declared[order.supplier_id]
        at = min(order.created_at + timedelta(hours=float(rng.uniform(1, 20))), anchor)
        values = {
            "channel": channels[int(rng.integers(len(channels)))],
            "reference": "".join(str(d) for d in rng.integers(0, 10, 8)),
            "created_by_id": order.user_id,
        }
        stored = {"refunded": "confirmed"}.get(state, state)
        if stored == "confirmed":
            values["confirmed_at"] = min(at + timedelta(hours=3), anchor)
        if stored == "disputed":
            values["issue"] = "not_received"
            values["dispute_reason"] = DISPUTES[int(rng.integers(len(DISPUTES)))]
        payments.append((_payment(order, "transfer", stored, at, **values), state))
        audits.append((at, order.user_id, "transfer.recorded", order.id))
    for n, order in enumerate(_orders(("MX",))):
        if rng.random() >= SHARE and n > 0:  # the first Mexican order: OXXO in any world
            continue
        state = _pick(rng.random(), OXXO_STATES[order.status])
        methods[order.id] = "oxxo"
        at = min(order.created_at + timedelta(minutes=float(rng.uniform(5, 120))), anchor)
        values = {
            "reference": "".join(str(d) for d in rng.integers(0, 10, 18)),
            "expires_at": at + timedelta(days=3),
            "stripe_checkout_session_id": f"cs_demo_{order.id}",
            "stripe_payment_intent_id": f"pi_demo_oxxo_{order.id}",
        }
        if state == "confirmed":
            values["confirmed_at"] = min(at + timedelta(days=1), anchor)
        if state == "failed":
            values["error"] = "oxxo_voucher_expired"
        payments.append((_payment(order, "oxxo", state, at, **values), state))
    for order_id, method in methods.items():
        db.session.execute(update(Order).where(Order.id == order_id).values(payment_method=method))
    ids = bulk.reserve_ids(OrderPayment, len(payments))
    rows = [{"id": int(pid), **row} for pid, (row, _) in zip(ids, payments, strict=True)]
    counts["order_payment"] = bulk.insert_rows(OrderPayment, rows)
    refunds = [
        {"order_id": row["order_id"], "payment_id": row["id"], "state": "done",
         "amount_minor": row["amount_minor"], "currency": row["currency"], "reason": "cancelled",
         "stripe_refund_id": None, "created_by_id": None, "created_at": row["updated_at"],
         "updated_at": row["updated_at"]}
        for row, (_, state) in zip(rows, payments, strict=True) if state == "refunded"
    ]  # fmt: skip
    counts["order_refund"] = bulk.insert_rows(OrderRefund, refunds)
    audit_rows = [
        {"at": at, "actor_id": actor, "action": action, "entity_type": "order",
         "entity_id": order_id, "detail": {}}
        for at, actor, action, order_id in audits
    ]  # fmt: skip
    bulk.insert_rows(AuditLog, audit_rows)
    say(f"  payments: {len(rows):,} transfer and OXXO attempts")
    return counts
