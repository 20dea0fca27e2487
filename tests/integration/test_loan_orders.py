"""Input orders paid with a loan: offered only for the producer's spendable loans in the
order's currency, the total taken from the balance (never above it), given back once on
cancel, and shown to the supplier."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.models import AuditLog, Listing, Loan, Order
from marketplace.orders import services
from tests.conftest import PASSWORD
from tests.integration.loans import new_loan

PRICE = 4500  # S/ 45.00 a sack


def key() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def shop(make_user, make_org, make_producer, make_farm, make_listing, make_center):
    """A supplier's listing, a centre, and a producer with a S/ 100.00 disbursed loan."""
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization, price_minor=PRICE, stock=20)
    center = make_center()
    user = make_user("producer")
    producer = make_producer(user_id=user.id)
    make_farm(producer)
    lender = make_org("lender", name="Caja Sullana")
    return SimpleNamespace(
        supplier=supplier,
        listing=listing,
        center=center,
        user=user,
        producer=producer,
        lender=lender,
    )


@pytest.fixture
def loan(shop, make_credit_product):
    product = make_credit_product(shop.lender)
    return new_loan(shop.producer, product, amount_minor=10_000)


def place(shop, quantity=1, loan_id=None, **overrides) -> Order:
    args = {
        "actor": shop.user,
        "producer": shop.producer,
        "listing_id": shop.listing.id,
        "quantity": quantity,
        "delivery_point": "collection_center",
        "center_id": shop.center.id,
        "farm_id": None,
        "note": "",
        "idempotency_key": key(),
        "payment_method": "credit",
        "loan_id": loan_id,
    }
    args.update(overrides)
    return services.place_order(**args)


def used(db, loan_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Loan.used_minor).where(Loan.id == loan_id))


def nothing_changed(db, shop, loan_id: int, used_before: int = 0) -> None:
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert db.session.scalar(select(Listing.stock).where(Listing.id == shop.listing.id)) == 20
    assert used(db, loan_id) == used_before


def test_an_order_on_credit_takes_its_total_from_the_loan(db, shop, loan):
    order = place(shop, 2, loan.id)
    assert (order.payment_method, order.loan_id, order.total_minor) == ("credit", loan.id, 9000)
    assert used(db, loan.id) == 9000
    assert db.session.get(Loan, loan.id).available_minor == 1000
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "order.placed"))
    assert audit.detail["payment"] == "credit" and audit.detail["loan"] == loan.id


def test_an_approved_loan_not_yet_disbursed_can_pay_too(db, shop, make_credit_product):
    approved = new_loan(shop.producer, make_credit_product(), 10_000, status="approved")
    assert place(shop, 1, approved.id).loan_id == approved.id


def test_above_the_balance_is_refused_and_changes_nothing(db, shop, loan):
    with pytest.raises(DomainError) as refused:
        place(shop, 3, loan.id)  # S/ 135.00 on a S/ 100.00 loan
    assert refused.value.field == "payment_method"
    message = str(refused.value.message)
    assert "le quedan" in message
    assert re.search(r"100[.,]00", message) and re.search(r"135[.,]00", message)
    nothing_changed(db, shop, loan.id)


def test_the_balance_runs_out_across_orders(db, shop, loan):
    place(shop, 2, loan.id)
    with pytest.raises(DomainError, match="le quedan"):
        place(shop, 1, loan.id)  # S/ 10.00 left
    assert used(db, loan.id) == 9000


def test_another_producers_loan_is_refused(db, shop, make_producer, make_credit_product):
    someone = make_producer()
    theirs = new_loan(someone, make_credit_product(), 100_000)
    with pytest.raises(DomainError, match="sus préstamos"):
        place(shop, 1, theirs.id)
    nothing_changed(db, shop, theirs.id)


@pytest.mark.parametrize("loan_id", [None, 0, -1, 999_999, "1", 2**40, True])
def test_a_missing_or_made_up_loan_is_refused(db, shop, loan, loan_id):
    with pytest.raises(DomainError, match="sus préstamos"):
        place(shop, 1, loan_id)
    nothing_changed(db, shop, loan.id)


def test_a_loan_in_another_currency_is_refused(db, shop, make_credit_product):
    dollars = new_loan(shop.producer, make_credit_product(currency="USD"), 100_000)
    with pytest.raises(DomainError, match="USD"):
        place(shop, 1, dollars.id)
    nothing_changed(db, shop, dollars.id)


@pytest.mark.parametrize("status", ["repaid", "defaulted"])
def test_a_closed_loan_is_refused(db, shop, make_credit_product, status):
    closed = new_loan(shop.producer, make_credit_product(), 100_000, status=status)
    with pytest.raises(DomainError, match="ya no se puede usar"):
        place(shop, 1, closed.id)
    nothing_changed(db, shop, closed.id)


def test_a_loan_closed_between_review_and_confirm_is_refused_atomically(db, shop, loan):
    """The conditional UPDATE re-checks the status: a check that passed earlier is not
    enough."""
    assert services.quote(
        shop.producer, shop.listing.id, 1, "collection_center", shop.center.id, None, "",
        "credit", loan.id,
    ).loan.id == loan.id  # fmt: skip
    db.session.execute(Loan.__table__.update().values(status="repaid"))
    db.session.commit()
    with pytest.raises(DomainError, match="ya no se puede usar"):
        place(shop, 1, loan.id)
    nothing_changed(db, shop, loan.id)


def test_cancelling_gives_the_amount_back_once(db, shop, loan):
    order = place(shop, 2, loan.id)
    services.cancel(shop.user, order)
    assert used(db, loan.id) == 0
    with pytest.raises(DomainError):
        services.cancel(shop.user, order)
    assert used(db, loan.id) == 0
    other = place(shop, 1, loan.id)
    services.cancel(shop.supplier, other, "Sin transporte esta semana")
    assert used(db, loan.id) == 0


def test_a_cash_order_leaves_the_loan_alone(db, shop, loan):
    order = place(shop, 1, None, payment_method="cash")
    assert order.loan_id is None and used(db, loan.id) == 0
    services.cancel(shop.user, order)
    assert used(db, loan.id) == 0


# --- the pages --------------------------------------------------------------------------------


def form(shop, payment: str, **extra) -> dict:
    return {
        "quantity": "1",
        "center_id": str(shop.center.id),
        "payment_method": payment,
        "note": "",
        "idempotency_key": key(),
        **extra,
    }


def test_the_form_offers_each_spendable_loan_in_the_orders_currency(
    db, client, login, shop, loan, make_credit_product
):
    new_loan(shop.producer, make_credit_product(currency="USD"), 100_000)
    new_loan(shop.producer, make_credit_product(), 100_000, status="repaid")
    new_loan(shop.producer, make_credit_product(), 5_000, used_minor=5_000)  # spent
    login(shop.user)
    html = client.get(f"/catalogo/{shop.listing.id}/pedir").get_data(as_text=True)
    assert "Crédito (préstamo de Caja Sullana)" in html
    assert html.count("Crédito (préstamo de") == 1
    assert f'value="loan:{loan.id}"' in html and "100.00" in html


def test_without_a_loan_only_cash_is_offered(db, client, login, shop):
    login(shop.user)
    html = client.get(f"/catalogo/{shop.listing.id}/pedir").get_data(as_text=True)
    assert "Crédito (préstamo" not in html and 'value="cash"' in html


def test_ordering_on_credit_through_the_pages(db, client, login, shop, loan):
    login(shop.user)
    url = f"/catalogo/{shop.listing.id}/pedir"
    data = form(shop, f"loan:{loan.id}")
    review = client.post(url, data={**data, "step": "review"}).get_data(as_text=True)
    assert "Con su préstamo de Caja Sullana" in review and "55.00" in review  # left after
    assert f'name="payment_method" value="loan:{loan.id}"' in review
    done = client.post(url, data={**data, "step": "confirm", "unit_price": str(PRICE)})
    assert done.status_code == 302
    order = db.session.scalar(select(Order))
    assert order.loan_id == loan.id and used(db, loan.id) == PRICE
    detail = client.get(f"/pedidos/{order.id}").get_data(as_text=True)
    assert "Pagado con crédito de Caja Sullana" in detail


def test_a_forged_loan_on_the_page_is_explained_and_nothing_changes(
    db, client, login, shop, make_producer, make_credit_product
):
    theirs = new_loan(make_producer(), make_credit_product(), 100_000)
    login(shop.user)
    url = f"/catalogo/{shop.listing.id}/pedir"
    for payment in (f"loan:{theirs.id}", "loan:abc", "credit", "card"):
        for step in ("review", "confirm"):
            response = client.post(url, data={**form(shop, payment), "step": step})
            html = response.get_data(as_text=True)
            assert response.status_code == 200, (payment, step)
            assert "Revise los datos marcados" in html, (payment, step)
    nothing_changed(db, shop, theirs.id)


def test_above_the_balance_on_the_page_keeps_what_was_typed(db, client, login, shop, loan):
    login(shop.user)
    url = f"/catalogo/{shop.listing.id}/pedir"
    data = {**form(shop, f"loan:{loan.id}"), "quantity": "3", "note": "Urgente"}
    html = client.post(url, data={**data, "step": "review"}).get_data(as_text=True)
    assert "le quedan" in html.lower() and "Urgente" in html and 'value="3"' in html
    nothing_changed(db, shop, loan.id)


def test_the_supplier_sees_who_lends_the_payment(db, app, shop, loan):
    order = place(shop, 1, loan.id)
    client = app.test_client()
    client.post("/ingresar", data={"identifier": shop.supplier.email, "password": PASSWORD})
    html = client.get(f"/proveedor/pedidos/{order.id}").get_data(as_text=True)
    assert "Pagado con crédito de Caja Sullana" in html


def test_the_same_credit_form_submitted_twice_takes_the_loan_once(db, shop, loan):
    token = key()
    first = place(shop, 2, loan.id, idempotency_key=token)
    second = place(shop, 2, loan.id, idempotency_key=token)
    assert first.id == second.id and used(db, loan.id) == 9000
