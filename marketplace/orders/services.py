"""Placing orders and moving them through their states.

Stock and status change only through conditional UPDATEs (``... WHERE stock >= :q``,
``... WHERE status = :expected``) checked by their row count, never read-then-write, so
concurrent orders cannot oversell and two clicks cannot both move one order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from marketplace import audit
from marketplace.catalog import cache as catalog_cache
from marketplace.centers.services import centers_near
from marketplace.credit import spending
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.links import path_for
from marketplace.models import (
    CollectionCenter,
    DeliveryMode,
    DeliveryPoint,
    Farm,
    Listing,
    ListingKind,
    ListingStatus,
    Loan,
    Order,
    PaymentMethod,
    Producer,
    User,
)
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_organization, notify_producer
from marketplace.orders import permissions, states
from marketplace.orders.queries import producer_order_summary as producer_order_summary
from marketplace.orders.queries import supplier_order_summary as supplier_order_summary
from marketplace.orders.states import Side
from marketplace.payments import checkout as card_payments
from marketplace.payments import gateway as payment_gateway
from marketplace.payments import methods as payment_methods
from marketplace.producers import permissions as producer_permissions

MAX_SERVICE_QUANTITY = 1_000
MAX_INPUT_QUANTITY = 100_000
# The brief asks for 10^12; the amount columns are 32-bit integers, so the lower bound wins.
MAX_TOTAL_MINOR = 10**12
MAX_NOTE = 500
MAX_REASON = 500
#: The payment methods; card and OXXO need the supplier's Stripe account (and its country),
#: a transfer needs the supplier's declared transfer details, credit needs a loan.
PAYMENT_METHODS = PaymentMethod.codes()
_NOT_OFFERED = {
    PaymentMethod.CARD.value: _l(
        "Este proveedor no recibe pagos con tarjeta: elija otra forma de pago."
    ),
    None: _l("Este proveedor no recibe pagos de esa forma: elija otra forma de pago."),
}
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class NotEnoughStock(DomainError):
    """The listing has fewer units left than the order asks for."""


@dataclass
class Quote:
    """What an order would be, checked and priced on the server, before it is placed."""

    listing: Listing
    quantity: int
    unit_price_minor: int
    total_minor: int
    currency: str
    delivery_point: str
    center: CollectionCenter | None
    farm: Farm | None
    note: str
    payment_method: str = PaymentMethod.CASH.value
    loan: Loan | None = None


def orderable_listing(listing_id: int) -> Listing | None:
    """The listing if producers may order it now: published, by an organization in good
    standing."""
    listing = db.session.get(
        Listing, listing_id, options=[joinedload(Listing.organization)], populate_existing=True
    )
    if listing is None or listing.status != ListingStatus.PUBLISHED:
        return None
    if not listing.organization.can_publish:
        return None
    return listing


def delivery_point_for(listing: Listing) -> str:
    """Where a listing is handed over: at a collection centre, or at the producer's farm."""
    if listing.delivery_mode == DeliveryMode.PICKUP:
        return DeliveryPoint.COLLECTION_CENTER.value
    return DeliveryPoint.FARM.value


def pickup_centers(producer: Producer, listing: Listing) -> list[tuple[CollectionCenter, float]]:
    """Active centres of the listing's country, nearest to the producer's first farm first."""
    farm = next((f for f in producer.farms if f.country == listing.country), None)
    if farm is None:
        return centers_near(listing.country, None, None)
    return centers_near(listing.country, farm.lat, farm.lon)


def _clean_quantity(quantity: object, listing: Listing) -> int:
    if isinstance(quantity, str) and re.fullmatch(r"[+-]?\d+", quantity.strip()):
        text = quantity.strip()
        if len(text.lstrip("+-")) > 12:
            raise DomainError(_l("Esa cantidad es demasiado grande."), "quantity")
        quantity = int(text)
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise DomainError(
            _l("Escriba la cantidad como un número entero, por ejemplo 2."), "quantity"
        )
    if quantity < 1:
        raise DomainError(_l("La cantidad debe ser al menos 1."), "quantity")
    if listing.kind == ListingKind.SERVICE and quantity > MAX_SERVICE_QUANTITY:
        raise DomainError(
            _l(
                "Un servicio se pide como máximo %(max)s veces.",
                max=number(MAX_SERVICE_QUANTITY, 0),
            ),
            "quantity",
        )
    if quantity > MAX_INPUT_QUANTITY:
        raise DomainError(_l("Esa cantidad es demasiado grande."), "quantity")
    if listing.stock is not None and quantity > listing.stock:
        raise NotEnoughStock(_stock_message(listing.stock), "quantity")
    if listing.price_minor * quantity > MAX_TOTAL_MINOR:
        raise DomainError(
            _l("El total es demasiado grande para un solo pedido: pida menos."), "quantity"
        )
    return quantity


def _stock_message(stock: int):
    if stock <= 0:
        return _l("No hay suficiente stock: este producto se agotó.")
    return _l("No hay suficiente stock: quedan %(stock)s.", stock=number(stock, 0))


def _clean_place(
    producer: Producer, listing: Listing, point: str, center_id: int | None, farm_id: int | None
) -> tuple[CollectionCenter | None, Farm | None]:
    expected = delivery_point_for(listing)
    if point != expected:
        if expected == DeliveryPoint.FARM:
            raise DomainError(_l("Esta oferta se entrega en su finca: elija una finca."), "farm_id")
        raise DomainError(
            _l("Esta oferta se recoge en un centro de acopio: elija uno."), "center_id"
        )
    if expected == DeliveryPoint.COLLECTION_CENTER:
        allowed = {center.id: center for center, _km in pickup_centers(producer, listing)}
        center = allowed.get(center_id) if center_id is not None else None
        if center is None and center_id is not None:
            center = db.session.get(CollectionCenter, center_id)
            usable = (
                center is not None
                and center.active
                and center.country == listing.country
                and center.organization.can_publish
            )
            center = center if usable else None
        if center is None:
            raise DomainError(_l("Elija un centro de acopio de la lista."), "center_id")
        return center, None
    farm = next((f for f in producer.farms if f.id == farm_id), None)
    if farm is None:
        raise DomainError(_l("Elija una de sus fincas."), "farm_id")
    if farm.country != listing.country:
        raise DomainError(_l("Esta oferta no llega al país de esa finca."), "farm_id")
    regions = {r.region for r in listing.regions if r.country == farm.country}
    if regions and farm.region not in regions:
        raise DomainError(
            _l("Este proveedor no atiende en %(region)s.", region=farm.region), "farm_id"
        )
    return None, farm


def quote(
    producer: Producer,
    listing_id: int,
    quantity: object,
    delivery_point: str,
    center_id: int | None,
    farm_id: int | None,
    note: str = "",
    payment_method: str = PaymentMethod.CASH.value,
    loan_id: int | None = None,
) -> Quote:
    """Check an order and price it on the server (stock and the loan's balance are checked
    again, atomically, when the order is placed)."""
    listing = orderable_listing(listing_id)
    if listing is None:
        raise DomainError(_l("Esta oferta ya no está disponible."), "listing")
    if listing.country != producer.country:
        raise DomainError(_l("Esta oferta no se vende en su país."), "listing")
    qty = _clean_quantity(quantity, listing)
    center, farm = _clean_place(producer, listing, delivery_point, center_id, farm_id)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(_l("Escriba como máximo %(max)s caracteres.", max=MAX_NOTE), "note")
    total = listing.price_minor * qty
    loan = _clean_payment(producer, payment_method, loan_id, total, listing)
    return Quote(
        listing=listing,
        quantity=qty,
        unit_price_minor=listing.price_minor,
        total_minor=listing.price_minor * qty,
        currency=listing.currency,
        delivery_point=delivery_point,
        center=center,
        farm=farm,
        note=note,
        payment_method=payment_method,
        loan=loan,
    )


def _clean_payment(
    producer: Producer, method: str, loan_id: object, total_minor: int, listing: Listing
) -> Loan | None:
    """The loan paying the order (None for cash or card), checked against its balance now;
    card only when the supplier can take cards and Stripe takes the amount."""
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Elija una forma de pago de la lista."), "payment_method")
    if method not in payment_methods.offered(listing.organization_id):
        message = _NOT_OFFERED.get(method, _NOT_OFFERED[None])
        raise DomainError(message, "payment_method")
    if method == PaymentMethod.OXXO and listing.currency != "MXN":
        raise DomainError(_l("En OXXO solo se paga en pesos mexicanos."), "payment_method")
    if method in (PaymentMethod.CARD, PaymentMethod.OXXO):
        problem = payment_gateway.card_amount_problem(total_minor, listing.currency)
        if problem is not None:
            raise DomainError(problem, "payment_method")
    if method != PaymentMethod.CREDIT:
        return None
    return spending.check_loan(producer, loan_id, total_minor, listing.currency)


def _order_with_key(key: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.idempotency_key == key))


def _replayed(key: str, producer: Producer) -> Order | None:
    """The order an earlier submit of the same form made, if any."""
    existing = _order_with_key(key)
    if existing is None:
        return None
    if existing.producer_id != producer.id:
        raise DomainError(_l("Este formulario ya se usó. Vuelva a cargar la página."), "listing")
    return existing


def _take_stock(listing_id: int, quantity: int) -> bool:
    """Take `quantity` units in one conditional UPDATE; False when there are not enough."""
    result = db.session.execute(
        update(Listing)
        .where(
            Listing.id == listing_id,
            Listing.stock >= quantity,
            Listing.status == ListingStatus.PUBLISHED,
        )
        .values(stock=Listing.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def place_order(
    actor: User,
    producer: Producer,
    listing_id: int,
    quantity: object,
    delivery_point: str,
    center_id: int | None,
    farm_id: int | None,
    note: str,
    idempotency_key: str,
    expected_unit_price_minor: int | None = None,
    payment_method: str = PaymentMethod.CASH.value,
    loan_id: int | None = None,
) -> Order:
    """Place an order in one transaction: stock (and, on credit, the loan's balance) taken
    atomically, price snapshotted, audit and a notification to the supplier. A repeated key
    returns the order it made."""
    if not producer_permissions.can_edit(actor, producer):
        raise DomainError(_l("Usted no puede pedir en nombre de este productor."), "listing")
    if not isinstance(idempotency_key, str) or not KEY_PATTERN.fullmatch(idempotency_key):
        raise DomainError(_l("El formulario caducó. Vuelva a cargar la página."), "listing")
    existing = _replayed(idempotency_key, producer)
    if existing is not None:
        return existing
    q = quote(
        producer,
        listing_id,
        quantity,
        delivery_point,
        center_id,
        farm_id,
        note,
        payment_method,
        loan_id,
    )
    listing = q.listing
    if expected_unit_price_minor is not None and expected_unit_price_minor != q.unit_price_minor:
        raise DomainError(_l("El precio cambió. Revise el nuevo total y confirme."), "quantity")
    order = _new_order(actor, producer, q, idempotency_key)
    db.session.add(order)
    try:
        # The unique key is claimed first: a concurrent double submit waits here, then fails.
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = _replayed(idempotency_key, producer)
        if existing is None:
            raise
        return existing
    if listing.kind == ListingKind.INPUT and not _take_stock(listing.id, q.quantity):
        db.session.rollback()
        return _refuse_stock(listing_id, idempotency_key, producer)
    if order.loan_id is not None and not spending.take(
        order.loan_id, producer.id, q.currency, q.total_minor
    ):
        loan_id = order.loan_id
        db.session.rollback()
        return _refuse_loan(loan_id, q, idempotency_key, producer)
    _record_placed(actor, producer, order, q)
    db.session.commit()
    if listing.kind == ListingKind.INPUT:
        catalog_cache.changed()  # stock fell: "in stock" searches may differ
    return order


def _new_order(actor: User, producer: Producer, q: Quote, key: str) -> Order:
    """The order row for a quote: its price, delivery and payment snapshotted."""
    listing = q.listing
    return Order(
        producer_id=producer.id,
        listing_id=listing.id,
        supplier_id=listing.organization_id,
        placed_by_id=actor.id,
        quantity=q.quantity,
        unit_price_minor=q.unit_price_minor,
        total_minor=q.total_minor,
        currency=q.currency,
        title=listing.title,
        unit=listing.unit,
        status=states.PLACED,
        payment_method=q.payment_method,
        loan_id=q.loan.id if q.loan else None,
        delivery_point=q.delivery_point,
        collection_center_id=q.center.id if q.center else None,
        farm_id=q.farm.id if q.farm else None,
        note=q.note,
        idempotency_key=key,
    )


def _record_placed(actor: User, producer: Producer, order: Order, q: Quote) -> None:
    """Audit the new order and tell the supplier."""
    audit.record(
        actor,
        "order.placed",
        order,
        listing=order.listing_id,
        quantity=q.quantity,
        total=q.total_minor,
        currency=q.currency,
        producer=producer.id,
        payment=q.payment_method,
        loan=q.loan.id if q.loan else None,
    )
    notify_organization(
        order.supplier_id,
        "order.placed",
        link=path_for("orders.received_detail", order_id=order.id),
        order=order.id,
        quantity=q.quantity,
        title=order.title,
    )


def _refuse_stock(listing_id: int, key: str, producer: Producer) -> Order:
    """After a failed stock UPDATE: the same form's earlier order, or the reason it failed."""
    existing = _replayed(key, producer)
    if existing is not None:
        return existing
    listing = db.session.get(Listing, listing_id, populate_existing=True)
    if listing is None or listing.status != ListingStatus.PUBLISHED:
        raise DomainError(_l("Esta oferta ya no está disponible."), "listing")
    raise NotEnoughStock(_stock_message(listing.stock or 0), "quantity")


def _refuse_loan(loan_id: int, q: Quote, key: str, producer: Producer) -> Order:
    """After a failed loan UPDATE: the same form's earlier order, or why the loan cannot pay."""
    existing = _replayed(key, producer)
    if existing is not None:
        return existing
    raise spending.refusal(loan_id, producer, q.total_minor, q.currency)


def transition(
    actor: User, order: Order, target: str, reason: str = "", refund_minor: int | None = None
) -> Order:
    """Move an order to `target` if the state machine and the actor's side allow it.

    The UPDATE only applies while the status is still the one read, so of two concurrent
    moves exactly one wins; the other gets the reason it can no longer be made. Cancelling
    a card order refunds it (all, or `refund_minor`) or closes its open payment session.
    """
    side = permissions.side_of(actor, order)
    if side is None:
        raise DomainError(_l("Usted no puede hacer este cambio en el pedido."), "status")
    current = order.status
    states.check(current, target, side)
    reason = (reason or "").strip()
    values: dict = {"status": target, "updated_at": utcnow()}
    if target == states.CANCELLED:
        if side == Side.SUPPLIER and not reason:
            raise DomainError(_l("Explique al productor por qué cancela el pedido."), "reason")
        if len(reason) > MAX_REASON:
            raise DomainError(
                _l("Escriba como máximo %(max)s caracteres.", max=MAX_REASON), "reason"
            )
        values["cancel_reason"] = reason or None
        card_payments.check_cancel_refund(order, refund_minor)
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        states.check(order.status, target, side)  # explains what changed meanwhile
        raise DomainError(_l("El pedido cambió mientras tanto. Revise su estado."), "status")
    if target == states.CANCELLED and order.listing.kind == ListingKind.INPUT:
        db.session.execute(
            update(Listing)
            .where(Listing.id == order.listing_id, Listing.stock.is_not(None))
            .values(stock=Listing.stock + order.quantity)
            .execution_options(synchronize_session=False)
        )
    if target == states.CANCELLED and order.loan_id is not None:
        # Once: only the move that won the status UPDATE above gets here.
        spending.give_back(order.loan_id, order.total_minor)
    if target == states.CANCELLED:
        try:  # a refund Stripe refuses undoes the whole cancellation
            card_payments.settle_cancelled(actor, order.id, refund_minor)
        except DomainError:
            db.session.rollback()
            db.session.refresh(order)
            raise
    detail = {"from": current, "by": side.value}
    if target == states.CANCELLED and reason:
        detail["reason"] = reason
    audit.record(actor, f"order.{target}", order, **detail)
    _tell_other_side(order, target, side, reason)
    db.session.commit()
    if target == states.CANCELLED:
        catalog_cache.changed()  # stock returned
    db.session.refresh(order)
    return order


def _tell_other_side(order: Order, target: str, side: Side, reason: str) -> None:
    params = {"order": order.id, "title": order.title}
    if side == Side.PRODUCER:
        kind = "order.cancelled" if reason else "order.cancelled_by_producer"
        if reason:
            params["reason"] = reason
        notify_organization(
            order.supplier_id,
            kind,
            link=path_for("orders.received_detail", order_id=order.id),
            **params,
        )
        return
    if target == states.CANCELLED:
        params["reason"] = reason
    # an order a technician placed for her reaches her phone too, when she opted in
    notify_producer(
        order.producer,
        f"order.{target}",
        link=path_for("orders.detail", order_id=order.id),
        **params,
    )


def confirm(actor: User, order: Order) -> Order:
    """The supplier accepts the order."""
    return transition(actor, order, states.CONFIRMED)


def mark_delivered(actor: User, order: Order) -> Order:
    """The supplier handed the order over."""
    return transition(actor, order, states.DELIVERED)


def complete(actor: User, order: Order) -> Order:
    """The supplier closes a delivered (and paid) order."""
    return transition(actor, order, states.COMPLETED)


def cancel(actor: User, order: Order, reason: str = "", refund_minor: int | None = None) -> Order:
    """Cancel an order (the supplier must give a reason); input stock and, for an order paid
    on credit, the loan's balance return; a card payment is refunded (all of it, or
    `refund_minor`)."""
    return transition(actor, order, states.CANCELLED, reason, refund_minor)
