"""Transfers and wallets in Peru and Colombia: the supplier declares where it receives, the
producer records the operation number and amount, the supplier confirms what arrived (only
then is the order paid) or says it did not arrive (a dispute the admin resolves)."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import (
    AuditLog,
    Notification,
    Order,
    OrderPayment,
    OrderRefund,
    PaymentAccount,
    User,
)
from marketplace.orders import services
from marketplace.payments import methods, states, transfers
from tests.conftest import signed_in_client
from tests.integration.pages import html_of
from tests.integration.races import race


def text(response) -> str:
    return re.sub(r"\s+", " ", html_of(response))


@pytest.fixture
def shop(make_user, make_org, make_producer, make_farm, make_listing, make_center):
    """A Peruvian supplier that receives Yape, a listing at S/ 45.00 and a producer."""
    org = make_org("supplier", country="PE")
    supplier = make_user("supplier", name="Milagros Proveedora", organization=org)
    transfers.save_details(supplier, org, "yape", "Milagros Quispe", "987654321")
    listing = make_listing(org, price_minor=4500, stock=1_000)
    center = make_center(make_org("cooperative"))
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(user_id=user.id)
    make_farm(producer)
    admin = make_user("admin", name="Ana Admin")
    return SimpleNamespace(supplier=supplier, org=org, listing=listing, center=center,
                           user=user, producer=producer, admin=admin)  # fmt: skip


def place(shop, quantity: int = 2) -> Order:
    return services.place_order(
        actor=shop.user, producer=shop.producer, listing_id=shop.listing.id,
        quantity=quantity, delivery_point="collection_center", center_id=shop.center.id,
        farm_id=None, note="", idempotency_key=secrets.token_urlsafe(24),
        payment_method="transfer",
    )  # fmt: skip


def fresh(order: Order) -> Order:
    _db.session.expire_all()
    return _db.session.get(Order, order.id)


def kinds(db, **where) -> list[str]:
    db.session.expire_all()
    query = select(Notification.kind).filter_by(**where).order_by(Notification.id)
    return list(db.session.scalars(query))


def audited(db, action: str) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all())


# --- the country table --------------------------------------------------------------------


@pytest.mark.parametrize("country", ["PE", "CO"])
def test_peru_and_colombia_offer_transfers_never_card_or_oxxo(db, make_org, country):
    org = make_org("supplier", country=country)
    db.session.add(PaymentAccount(organization_id=org.id, stripe_account_id=f"acct_{country}",
                                  charges_enabled=True))  # fmt: skip
    db.session.commit()
    assert methods.offered(org.id) == ("cash", "credit")  # no details declared yet
    channel = "yape" if country == "PE" else "nequi"
    transfers.save_details(None, org, channel, "Titular", "987654321")
    assert methods.offered(org.id) == ("cash", "credit", "transfer")


def test_a_channel_of_another_country_is_refused(db, shop):
    with pytest.raises(DomainError) as refused:
        transfers.save_details(shop.supplier, shop.org, "nequi", "Milagros", "3001234567")
    assert refused.value.field == "channel"


def test_the_supplier_declares_details_on_its_page(app, db, shop):
    client = signed_in_client(app, shop.supplier)
    account = "00219300123456789012"
    bad = client.post("/organizacion/transferencias", data={
        "channel": "bank", "holder": "Milagros Quispe", "account": account})  # fmt: skip
    assert bad.status_code == 400 and "Escriba el nombre del banco." in text(bad)
    ok = client.post("/organizacion/transferencias", data={
        "channel": "bank", "holder": "Milagros Quispe", "account": "00219300123456789012",
        "bank": "BCP"}, follow_redirects=True)  # fmt: skip
    assert "00219300123456789012" in text(ok) and "BCP" in text(ok)
    assert [d.channel for d in methods.transfer_details(shop.org.id)] == ["yape", "bank"]


# --- record, confirm ------------------------------------------------------------------------


def test_the_producer_sees_the_details_and_records_a_yape_payment(app, db, shop):
    order = place(shop)
    client = signed_in_client(app, shop.user)
    page = text(client.get(f"/pedidos/{order.id}"))
    assert "987654321" in page and "Milagros Quispe" in page and "Registrar mi pago" in page
    response = client.post(f"/pedidos/{order.id}/transferencia", data={
        "channel": "yape", "reference": "00123456", "amount": "90,00"})  # fmt: skip
    assert response.status_code == 302
    order = fresh(order)
    [payment] = order.payments
    assert (payment.state, payment.channel, payment.reference) == ("pending", "yape", "00123456")
    assert (payment.amount_minor, order.payment_status) == (9000, "pending")
    assert kinds(db, organization_id=shop.org.id)[-1] == "transfer.recorded"
    assert audited(db, "transfer.recorded") == 1


def test_a_wrong_record_re_renders_in_spanish(app, db, shop):
    order = place(shop)
    client = signed_in_client(app, shop.user)
    response = client.post(f"/pedidos/{order.id}/transferencia", data={
        "channel": "yape", "reference": "00123456", "amount": "500"})  # fmt: skip
    assert response.status_code == 400
    assert "mayor que lo que falta pagar" in text(response)
    empty = client.post(f"/pedidos/{order.id}/transferencia", data={"channel": "yape"})
    assert empty.status_code == 400 and "número de operación" in text(empty)
    assert fresh(order).payments == []


def test_the_supplier_confirms_and_only_then_the_order_is_paid(app, db, shop):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "00123456", 9000)
    assert fresh(order).payment_status == "pending"
    client = signed_in_client(app, shop.supplier)
    page = text(client.get(f"/proveedor/pedidos/{order.id}"))
    assert "00123456" in page and "Sí, llegó" in page and "No recibido" in page
    assert client.post(f"/proveedor/pagos/{payment.id}/confirmar").status_code == 302
    order = fresh(order)
    assert (order.payment_status, order.paid_minor) == ("paid", 9000)
    assert "transfer.confirmed" in kinds(db, user_id=shop.user.id)
    assert audited(db, "transfer.confirmed") == 1


def test_less_than_the_total_is_confirmed_as_it_arrived_and_the_rest_is_paid_later(app, db, shop):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "111", 9000)
    transfers.confirm(shop.supplier, payment, 6000)
    order = fresh(order)
    assert (order.payment_status, order.paid_minor, transfers.due_minor(order)) == (
        "partially_paid", 6000, 3000)  # fmt: skip
    page = text(signed_in_client(app, shop.user).get(f"/pedidos/{order.id}"))
    assert "Pagado en parte" in page and "Falta pagar: S/ 30.00" in page
    rest = transfers.record(shop.user, order, "yape", "222", 3000)
    transfers.confirm(shop.supplier, rest)
    assert (fresh(order).payment_status, fresh(order).paid_minor) == ("paid", 9000)


def test_a_received_amount_above_the_record_is_refused(db, shop):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "111", 9000)
    with pytest.raises(DomainError):
        transfers.confirm(shop.supplier, payment, 9001)


# --- dispute, resolve, withdraw, cancel -------------------------------------------------


def test_not_received_opens_a_dispute_both_sides_and_the_admin_see(app, db, shop):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "00123456", 9000)
    supplier = signed_in_client(app, shop.supplier)
    response = supplier.post(f"/proveedor/pagos/{payment.id}/no-recibido",
                             data={"reason": "No aparece en mi Yape"})  # fmt: skip
    assert response.status_code == 302
    order = fresh(order)
    assert (order.last_payment.state, order.payment.issue) == ("disputed", "not_received")
    assert "transfer.disputed" in kinds(db, user_id=shop.user.id)
    assert "transfer.disputed" in kinds(db, organization_id=shop.org.id)
    producer_page = text(signed_in_client(app, shop.user).get(f"/pedidos/{order.id}"))
    assert "No aparece en mi Yape" in producer_page
    admin = signed_in_client(app, shop.admin)
    assert "No aparece en mi Yape" in text(admin.get("/admin/pagos/disputas"))
    admin.post(f"/admin/pagos/disputas/{payment.id}", data={"paid": "1"})
    assert fresh(order).payment_status == "paid"
    assert "No aparece en mi Yape" not in text(admin.get("/admin/pagos/disputas"))
    assert audited(db, "transfer.resolved") == 1


def test_a_dispute_resolved_unpaid_lets_the_producer_pay_again(db, shop):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "1", 9000)
    transfers.dispute(shop.supplier, payment, "No llegó")
    transfers.resolve(shop.admin, payment, paid=False)
    order = fresh(order)
    assert (order.payment_status, order.last_payment.state) == ("failed", "failed")
    assert "transfer.resolved_unpaid" in kinds(db, user_id=shop.user.id)
    transfers.record(shop.user, order, "yape", "2", 9000)
    assert fresh(order).payment_status == "pending"


def test_the_producer_withdraws_a_wrong_record_before_it_is_confirmed(app, db, shop):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "999", 9000)
    client = signed_in_client(app, shop.user)
    assert client.post(f"/pedidos/pagos/{payment.id}/anular").status_code == 302
    order = fresh(order)
    assert (order.last_payment.state, order.payment_status) == ("canceled", "unpaid")
    with pytest.raises(DomainError):
        transfers.confirm(shop.supplier, order.last_payment)  # nothing to confirm any more


def test_cancelling_a_paid_order_records_what_the_supplier_owes_back(app, db, shop):
    order = place(shop)
    transfers.confirm(shop.supplier, transfers.record(shop.user, order, "yape", "1", 9000))
    services.cancel(shop.supplier, fresh(order), "Sin stock")
    [refund] = db.session.scalars(select(OrderRefund)).all()
    assert (refund.state, refund.amount_minor) == ("created", 9000)
    client = signed_in_client(app, shop.supplier)
    assert "Ya lo devolví" in text(client.get(f"/proveedor/pedidos/{order.id}"))
    client.post(f"/proveedor/devoluciones/{refund.id}/hecha")
    assert fresh(order).payment_status == "refunded"


def test_only_the_orders_supplier_answers_and_its_producer_withdraws(app, db, shop, make_user):
    order = place(shop)
    payment = transfers.record(shop.user, order, "yape", "1", 9000)
    other = make_user("supplier", organization=shop.org.__class__(
        name="Otra", kind="supplier", country="PE"))  # fmt: skip
    assert signed_in_client(app, other).post(
        f"/proveedor/pagos/{payment.id}/confirmar").status_code == 404  # fmt: skip
    assert signed_in_client(app, shop.user).post(
        f"/proveedor/pagos/{payment.id}/confirmar").status_code == 403  # fmt: skip
    assert signed_in_client(app, shop.supplier).post(
        f"/pedidos/pagos/{payment.id}/anular").status_code == 403  # fmt: skip
    assert signed_in_client(app, shop.user).get("/admin/pagos/disputas").status_code == 403
    assert _db.session.get(OrderPayment, payment.id).state == "pending"


# --- a confirmation racing a cancellation ----------------------------------------------------


def test_a_confirmation_racing_a_cancellation_refunds_exactly_once(db, racing_app, shop):
    supplier_id = shop.supplier.id  # the threads never touch this session's objects
    for _ in range(3):
        order = place(shop, 1)
        payment = transfers.record(shop.user, order, "yape", "1", 4500)

        def confirming(payment_id=payment.id):
            actor = _db.session.get(User, supplier_id)
            row = _db.session.get(OrderPayment, payment_id)
            return lambda: transfers.confirm(actor, row).id

        def cancelling(order_id=order.id):
            actor = _db.session.get(User, supplier_id)
            row = _db.session.get(Order, order_id)
            _ = row.listing.kind, row.producer.user_id
            return lambda: services.cancel(actor, row, "Sin stock").status

        results = race(racing_app, [confirming, cancelling])

        assert [status for status, _ in results] == ["ok", "ok"], results
        order = fresh(order)
        assert order.status == "cancelled" and order.last_payment.state == "confirmed"
        refunds = db.session.scalars(
            select(OrderRefund).where(OrderRefund.order_id == order.id)
        ).all()
        assert [(r.amount_minor, r.state) for r in refunds] == [(4500, "created")], results


# --- any sequence of what people do keeps every row inside its state table ------------------

ACTIONS = ("record", "record_part", "withdraw", "confirm", "confirm_less", "dispute",
           "resolve_paid", "resolve_unpaid", "cancel", "refund_made")  # fmt: skip


def _rows(order_id: int) -> tuple[dict, dict]:
    _db.session.expire_all()
    order = _db.session.get(Order, order_id)
    return ({p.id: p.state for p in order.payments}, {r.id: r.state for r in order.refunds})


def _latest(order_id: int, state: str) -> OrderPayment | None:
    order = _db.session.get(Order, order_id)
    return next((p for p in reversed(order.payments) if p.state == state), None)


def _act(shop, order_id: int, action: str) -> None:
    order = _db.session.get(Order, order_id)
    pending, disputed = _latest(order_id, "pending"), _latest(order_id, "disputed")
    due = transfers.due_minor(order)
    if action in ("record", "record_part"):
        amount = due if action == "record" else max(due // 2, 1)
        transfers.record(shop.user, order, "yape", "42", amount)
    elif action == "withdraw" and pending is not None:
        transfers.withdraw(shop.user, pending)
    elif action in ("confirm", "confirm_less") and pending is not None:
        less = max(pending.amount_minor // 3, 1) if action == "confirm_less" else None
        transfers.confirm(shop.supplier, pending, less)
    elif action == "dispute" and pending is not None:
        transfers.dispute(shop.supplier, pending, "No llegó")
    elif action.startswith("resolve") and disputed is not None:
        transfers.resolve(shop.admin, disputed, paid=action == "resolve_paid")
    elif action == "cancel":
        services.cancel(shop.supplier, order, "Sin stock")
    elif action == "refund_made" and order.refunds:
        transfers.refund_made(shop.supplier, order.refunds[-1])


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(actions=st.lists(st.sampled_from(ACTIONS), max_size=10))
def test_no_sequence_of_actions_leaves_the_state_tables(db, shop, actions):
    order = place(shop, 2)
    for action in actions:
        payments_before, refunds_before = _rows(order.id)
        try:
            _act(shop, order.id, action)
        except DomainError:
            _db.session.rollback()
        payments_after, refunds_after = _rows(order.id)
        for row_id, state in payments_after.items():
            old = payments_before.get(row_id)
            assert (
                (old is None and state in ("created", "pending"))
                or old == state
                or (states.can_move(states.PAYMENT_MOVES, old, state))
            ), (action, old, state)
        for row_id, state in refunds_after.items():
            old = refunds_before.get(row_id)
            assert (
                (old is None and state in ("created", "done"))
                or old == state
                or (states.can_move(states.REFUND_MOVES, old, state))
            ), (action, old, state)
        current = fresh(order)
        assert 0 <= current.refunded_minor <= current.paid_minor <= current.total_minor


def test_the_suppliers_notice_names_the_channel_and_the_amount(app, db, shop):
    from marketplace.notifications.messages import render

    order = place(shop)
    transfers.save_details(shop.supplier, shop.org, "bank", "Milagros", "0021930012", "BCP")
    transfers.record(shop.user, order, "bank", "77", 9000)
    db.session.expire_all()
    note = db.session.scalars(select(Notification).where(
        Notification.kind == "transfer.recorded")).one()  # fmt: skip
    with app.test_request_context():
        text_ = render(note.kind, note.params)
    assert "por Transferencia bancaria" in text_ and "S/\xa090.00" in text_ and "77" in text_
