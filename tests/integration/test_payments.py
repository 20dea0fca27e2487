"""Card payments through the official stripe library against the loopback fake: Checkout
Sessions, the webhook (signatures, replays, out-of-order events, unknown orders, amount
mismatches), refunds on cancel, Stripe failing, and connected accounts."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.models import AuditLog, Listing, Notification, Order, PaymentAccount, StripeEvent  # noqa: E501
from marketplace.orders import services
from marketplace.payments import accounts, checkout, fees, gateway, records
from tests import stripe_fake
from tests.conftest import signed_in_client
from tests.integration.cards import (
    LINKS,
    completed_event,
    deliver,
    fresh,
    pay,
    pending_order,
    place_card_order,
)


def audits(db, action: str) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def notes(db, kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind)))


def stock(db, listing_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Listing, listing_id).stock


# --- without a key ----------------------------------------------------------------------------


def test_without_a_key_card_is_refused_and_cash_still_works(app, db, make_user, make_listing):
    supplier = make_user("supplier")
    db.session.add(PaymentAccount(organization_id=supplier.organization_id,
                                  stripe_account_id="acct_x", charges_enabled=True))  # fmt: skip
    db.session.commit()
    assert not gateway.configured()
    assert not accounts.takes_cards(supplier.organization_id)


def test_card_is_refused_when_the_supplier_cannot_take_cards(db, card_shop):
    card_shop.account.charges_enabled = False
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        place_card_order(card_shop)
    assert refused.value.field == "payment_method"
    assert "no recibe pagos con tarjeta" in str(refused.value.message)
    assert stock(db, card_shop.listing.id) == 20


# --- starting a payment -------------------------------------------------------------------------


def test_a_card_order_is_placed_unpaid_and_checkout_is_a_destination_charge(db, card_shop):
    order = place_card_order(card_shop, 2)
    assert (order.payment_method, order.payment_status) == ("card", "unpaid")
    assert order.total_minor == 9000
    assert stock(db, card_shop.listing.id) == 18

    url = checkout.start_checkout(card_shop.user, order, LINKS)

    order = fresh(order)
    session = card_shop.stripe.sessions[order.last_payment.stripe_checkout_session_id]
    assert url == session["url"] and url.startswith(card_shop.stripe.url + "/pay/")
    assert order.payment_status == "pending"
    assert order.last_payment.fee_minor == 450  # 5 % by default
    sent = card_shop.stripe.calls_to("POST", "/v1/checkout/sessions")[0]["data"]
    intent = sent["payment_intent_data"]
    assert intent["transfer_data"]["destination"] == card_shop.account.stripe_account_id
    assert intent["application_fee_amount"] == "450"
    attempt = {"order_id": str(order.id), "payment_id": str(order.last_payment.id)}
    assert intent["metadata"] == attempt == sent["metadata"]
    assert [(p.state, p.amount_minor, p.currency) for p in order.payments] == [
        ("pending", 9000, "MXN")
    ]
    price = sent["line_items"][0]["price_data"]
    assert (price["currency"], price["unit_amount"]) == ("mxn", "9000")
    assert "on_behalf_of" not in intent  # a Mexican account under a Mexican platform
    assert (sent["success_url"], sent["cancel_url"]) == (LINKS.success_url, LINKS.cancel_url)
    assert audits(db, "payment.checkout_started") == 1


def test_a_second_click_reuses_the_open_session(db, card_shop):
    order, session_id = pending_order(card_shop)
    again = checkout.start_checkout(card_shop.user, fresh(order), LINKS)
    assert again == card_shop.stripe.sessions[session_id]["url"]
    assert len(card_shop.stripe.sessions) == 1


def test_the_same_key_gives_the_same_session_at_stripe(db, card_shop):
    order = place_card_order(card_shop)
    fee = fees.fee_for(order.total_minor, order.currency)
    params = checkout.session_params(order, fee, card_shop.account.stripe_account_id, LINKS)
    key = checkout.checkout_key(records.open_attempt(card_shop.user, order, "card"))
    first = gateway.create_checkout_session(params, key)
    second = gateway.create_checkout_session(params, key)
    assert first["id"] == second["id"] and len(card_shop.stripe.sessions) == 1


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ({"status": 500}, "Intente de nuevo más tarde"),
        ({"status": 402}, "Stripe no acepta este pago"),
        ({"hang_s": 2.5}, "no respondió"),  # longer than the 1 s timeout of the tests
    ],
)
def test_stripe_failing_leaves_the_order_unchanged(db, card_shop, failure, message):
    order = place_card_order(card_shop)
    card_shop.stripe.fail_next("/v1/checkout/sessions", **failure)
    with pytest.raises(gateway.GatewayError) as refused:
        checkout.start_checkout(card_shop.user, order, LINKS)
    assert message in str(refused.value.message)
    order = fresh(order)
    assert (order.payment_status, order.last_payment.stripe_checkout_session_id) == ("unpaid", None)
    assert order.status == "placed" and stock(db, card_shop.listing.id) == 18
    # the producer can retry
    assert checkout.start_checkout(card_shop.user, order, LINKS).startswith(card_shop.stripe.url)


def test_a_paid_or_cancelled_order_cannot_be_paid(db, card_shop, client):
    order, session_id = pending_order(card_shop)
    pay(client, card_shop.stripe, session_id)
    with pytest.raises(DomainError, match="ya está pagado"):
        checkout.start_checkout(card_shop.user, fresh(order), LINKS)
    other = place_card_order(card_shop)
    services.cancel(card_shop.user, other)
    with pytest.raises(DomainError, match="fue cancelado"):
        checkout.start_checkout(card_shop.user, fresh(other), LINKS)


# --- the webhook --------------------------------------------------------------------------------


def test_a_completed_session_marks_the_order_paid_once(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.complete(session_id)
    event = completed_event(card_shop.stripe, session_id)

    first = deliver(client, event)
    replay = deliver(client, event)

    assert first.get_json()["result"] == "paid" and replay.get_json()["result"] == "replay"
    order = fresh(order)
    assert (order.payment_status, order.paid_minor) == ("paid", 9000)
    assert (
        order.last_payment.stripe_payment_intent_id
        == card_shop.stripe.sessions[session_id]["payment_intent"]
    )
    assert audits(db, "payment.paid") == 1
    assert len(notes(db, "payment.paid")) == 2  # the supplier and the producer
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 1


def test_a_second_event_for_the_same_payment_changes_nothing(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    pay(client, card_shop.stripe, session_id)
    again = deliver(client, completed_event(card_shop.stripe, session_id))
    assert again.get_json()["result"] == "already_paid"
    assert audits(db, "payment.paid") == 1 and not card_shop.stripe.calls_to("POST", "/v1/refunds")


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "t=1,v1=deadbeef",
        "forged",
        "stale",
        "wrong-secret",
    ],
)
def test_unsigned_forged_or_stale_webhooks_are_rejected(db, client, card_shop, signature):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.complete(session_id)
    event = completed_event(card_shop.stripe, session_id)
    payload = stripe_fake.json.dumps(event).encode()
    headers = {}
    if signature == "stale":
        headers["Stripe-Signature"] = stripe_fake.sign(payload, timestamp=int(time.time()) - 600)
    elif signature == "wrong-secret":
        headers["Stripe-Signature"] = stripe_fake.sign(payload, "whsec_someone_else")
    elif signature == "forged":
        headers["Stripe-Signature"] = stripe_fake.sign(payload.replace(b"paid", b"PAID"))
    elif signature is not None:
        headers["Stripe-Signature"] = signature
    response = client.post("/stripe/webhook", data=payload, headers=headers,
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert fresh(order).payment_status == "pending"
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0


def test_a_webhook_for_an_unknown_order_is_recorded_and_audited(db, client, card_shop):
    session = card_shop.stripe._new_session({
        "mode": "payment", "success_url": LINKS.success_url,
        "line_items": [{"quantity": "1", "price_data": {
            "currency": "mxn", "unit_amount": "1000", "product_data": {"name": "Otro"}}}],
        "metadata": {"order_id": "999999"},
    })  # fmt: skip
    card_shop.stripe.complete(session["id"])
    response = deliver(client, completed_event(card_shop.stripe, session["id"]))
    assert response.status_code == 200 and response.get_json()["result"] == "unknown_order"
    assert audits(db, "payment.unknown_order") == 1


def test_an_amount_that_differs_is_flagged_not_paid(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    result = pay(client, card_shop.stripe, session_id, amount=100)
    assert result["result"] == "amount_mismatch"
    order = fresh(order)
    assert (order.payment_status, order.payment.issue) == ("pending", "amount_mismatch")
    assert audits(db, "payment.amount_mismatch") == 1


def test_expired_after_completed_keeps_the_order_paid(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    stale_copy = dict(card_shop.stripe.sessions[session_id], status="expired")
    pay(client, card_shop.stripe, session_id)
    late = deliver(client, stripe_fake.event("checkout.session.expired", stale_copy))
    assert late.get_json()["result"] == "not_expired"  # the API says it completed
    assert fresh(order).payment_status == "paid"


def test_an_expired_session_leaves_the_order_unpaid_and_a_new_one_can_be_paid(
    db, client, card_shop
):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.expire(session_id)
    expired = stripe_fake.event("checkout.session.expired", card_shop.stripe.sessions[session_id])
    assert deliver(client, expired).get_json()["result"] == "unpaid"
    order = fresh(order)
    assert (order.payment_status, [p.state for p in order.payments]) == ("unpaid", ["expired"])
    assert len(notes(db, "payment.expired")) == 1

    url = checkout.start_checkout(card_shop.user, order, LINKS)
    new_id = fresh(order).last_payment.stripe_checkout_session_id
    assert new_id != session_id and url == card_shop.stripe.sessions[new_id]["url"]
    assert pay(client, card_shop.stripe, new_id)["result"] == "paid"


def test_a_declined_card_tells_the_producer_why_and_they_can_retry(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    intent = card_shop.stripe.complete(session_id, card=stripe_fake.DECLINED)
    response = deliver(client, stripe_fake.event("payment_intent.payment_failed", intent))
    assert response.get_json()["result"] == "failed"
    order = fresh(order)
    assert order.payment_status == "failed" and "declined" in order.payment.error
    [note] = notes(db, "payment.failed")
    assert note.user_id == card_shop.user.id and "declined" in note.params["reason"]
    assert checkout.can_pay(order)
    assert (
        checkout.start_checkout(card_shop.user, order, LINKS)
        == (card_shop.stripe.sessions[session_id]["url"])
    )  # the session is still open: the same page


def test_refunded_before_completed_never_becomes_paid(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    intent = card_shop.stripe.complete(session_id)
    refund = gateway.create_refund(intent["id"], None, "dashboard-refund", {})
    charge = gateway.retrieve_charge(refund["charge"])
    early = deliver(client, stripe_fake.event("charge.refunded", charge))
    assert early.get_json()["result"] == "refunded"
    late = deliver(client, completed_event(card_shop.stripe, session_id))
    assert late.get_json()["result"] == "already_refunded"
    order = fresh(order)
    assert order.payment_status == "refunded"
    assert (order.paid_minor, order.refunded_minor) == (9000, 9000)


def test_a_second_payment_of_a_paid_order_is_refunded(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    pay(client, card_shop.stripe, session_id)
    extra = card_shop.stripe._new_session({
        "mode": "payment", "success_url": LINKS.success_url,
        "line_items": [{"quantity": "1", "price_data": {
            "currency": "mxn", "unit_amount": "9000", "product_data": {"name": "Otro"}}}],
        "metadata": {"order_id": str(order.id)},
        "payment_intent_data": {"metadata": {"order_id": str(order.id)}},
    })  # fmt: skip
    assert pay(client, card_shop.stripe, extra["id"])["result"] == "duplicate_refunded"
    order = fresh(order)
    assert (order.payment_status, order.refunded_minor) == ("paid", 0)
    assert order.payment.issue == "duplicate_refunded"
    [refund] = card_shop.stripe.calls_to("POST", "/v1/refunds")
    assert refund["data"]["payment_intent"] == extra["payment_intent"]


def test_stripe_unreachable_during_a_webhook_asks_for_a_retry(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.complete(session_id)
    event = completed_event(card_shop.stripe, session_id)
    card_shop.stripe.fail_next(f"/v1/checkout/sessions/{session_id}", 500)
    assert deliver(client, event).status_code == 503
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    assert deliver(client, event).get_json()["result"] == "paid"


def test_a_permanent_refusal_during_a_webhook_is_acknowledged_not_retried(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.complete(session_id)
    event = completed_event(card_shop.stripe, session_id)
    card_shop.stripe.fail_next(f"/v1/checkout/sessions/{session_id}", 404)
    answer = deliver(client, event)
    assert answer.status_code == 200 and answer.get_json()["result"] == "refused"
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 0
    assert fresh(order).payment_status != "paid"
    # nothing was recorded: the event, sent again by hand once fixed, is processed
    assert deliver(client, event).get_json()["result"] == "paid"


# --- cancelling and refunds -----------------------------------------------------------------


def paid_order(client, shop, quantity=2) -> Order:
    order, session_id = pending_order(shop, quantity)
    pay(client, shop.stripe, session_id)
    return fresh(order)


def test_a_supplier_cancelling_a_paid_order_refunds_it_all(db, client, card_shop):
    order = paid_order(client, card_shop)
    services.confirm(card_shop.supplier, order)

    services.cancel(card_shop.supplier, fresh(order), "Se agotó en el almacén")

    order = fresh(order)
    assert (order.status, order.payment_status, order.refunded_minor) == (
        "cancelled", "refunded", 9000)  # fmt: skip
    assert stock(db, card_shop.listing.id) == 20
    [call] = card_shop.stripe.calls_to("POST", "/v1/refunds")
    assert call["data"]["payment_intent"] == order.last_payment.stripe_payment_intent_id
    assert call["data"]["amount"] == "9000"
    assert call["data"]["reverse_transfer"] == "true"
    assert call["data"]["refund_application_fee"] == "true"
    assert {n.user_id or n.organization_id for n in notes(db, "payment.refunded")} == {
        card_shop.user.id, card_shop.supplier.organization_id}  # fmt: skip
    assert audits(db, "payment.refunded") == 1
    # Stripe's charge.refunded afterwards counts nothing twice
    charge = gateway.retrieve_charge(
        gateway.retrieve_payment_intent(order.last_payment.stripe_payment_intent_id)[
            "latest_charge"
        ]["id"]
    )
    assert charge["amount_refunded"] == 9000
    assert deliver(client, stripe_fake.event("charge.refunded", charge)).get_json()["result"] == (
        "ignored"
    )
    assert fresh(order).refunded_minor == 9000


def test_a_partial_refund(db, client, card_shop):
    order = paid_order(client, card_shop)
    services.cancel(card_shop.supplier, order, "Solo entregamos una parte", refund_minor=3000)
    order = fresh(order)
    assert (order.payment_status, order.refunded_minor) == ("partially_refunded", 3000)
    intent = gateway.retrieve_payment_intent(order.last_payment.stripe_payment_intent_id)
    assert gateway.retrieve_charge(intent["latest_charge"]["id"])["amount_refunded"] == 3000
    [refund] = order.refunds
    assert (refund.state, refund.amount_minor, refund.reason) == ("done", 3000, "cancelled")
    assert refund.payment_id == order.last_payment.id and refund.stripe_refund_id.startswith("re_")


def test_the_order_page_lists_each_attempt_and_refund(app, db, client, card_shop):
    order = paid_order(client, card_shop)
    services.cancel(card_shop.supplier, order, "Solo entregamos una parte", refund_minor=3000)
    page = signed_in_client(app, card_shop.user).get(f"/pedidos/{order.id}")
    history = page.get_data(as_text=True).split('id="payment-history"')[1].split("</details>")[0]
    assert "Tarjeta (pago en línea)" in history and "Confirmado" in history
    assert "Devolución" in history and "Pedido cancelado" in history and "Devuelta" in history


@pytest.mark.parametrize("amount", [0, 9001])
def test_a_refund_larger_than_the_payment_is_refused(db, client, card_shop, amount):
    order = paid_order(client, card_shop)
    with pytest.raises(DomainError) as refused:
        services.cancel(card_shop.supplier, order, "Motivo", refund_minor=amount)
    assert refused.value.field == "refund_amount"
    order = fresh(order)
    assert (order.status, order.payment_status) == ("placed", "paid")
    assert stock(db, card_shop.listing.id) == 18


def test_a_refund_stripe_refuses_undoes_the_cancellation(db, client, card_shop):
    order = paid_order(client, card_shop)
    card_shop.stripe.fail_next("/v1/refunds", 500)
    with pytest.raises(gateway.GatewayError, match="Intente de nuevo más tarde"):
        services.cancel(card_shop.supplier, order, "Motivo")
    order = fresh(order)
    assert (order.status, order.payment_status, order.refunded_minor) == ("placed", "paid", 0)
    assert stock(db, card_shop.listing.id) == 18


def test_cancelling_a_pending_order_expires_its_session(db, card_shop):
    order, session_id = pending_order(card_shop)
    services.cancel(card_shop.user, order)
    assert card_shop.stripe.sessions[session_id]["status"] == "expired"
    assert not card_shop.stripe.calls_to("POST", "/v1/refunds")


def test_a_late_payment_of_a_cancelled_order_is_refunded(db, client, card_shop):
    order, session_id = pending_order(card_shop)
    card_shop.stripe.fail_next(f"/v1/checkout/sessions/{session_id}/expire", 500)
    services.cancel(card_shop.user, order)  # the session could not be closed
    assert pay(client, card_shop.stripe, session_id)["result"] == "refunded_late"
    order = fresh(order)
    assert (order.status, order.payment_status, order.refunded_minor) == (
        "cancelled", "refunded", 9000)  # fmt: skip
    assert order.payment.issue == "late_payment_refunded"
    assert len(card_shop.stripe.calls_to("POST", "/v1/refunds")) == 1
    assert stock(db, card_shop.listing.id) == 20  # returned once, by the cancellation


# --- connected accounts -----------------------------------------------------------------------


def test_onboarding_creates_one_account_and_account_updated_enables_it(
    db, client, stripe, make_user, make_org
):
    supplier = make_user("supplier", organization=make_org("supplier", country="MX"))
    org = supplier.organization
    first = accounts.onboarding_link(supplier, org, "http://m/org", "http://m/back")
    second = accounts.onboarding_link(supplier, org, "http://m/org", "http://m/back")
    assert first.startswith(stripe.url + "/onboard/") and second == first
    [account] = db.session.scalars(select(PaymentAccount)).all()
    assert len(stripe.accounts) == 1 and not account.charges_enabled
    sent = stripe.calls_to("POST", "/v1/accounts")[0]["data"]
    assert "type" not in sent and sent["country"] == "MX"
    assert sent["controller"] == {
        "fees": {"payer": "application"},
        "losses": {"payments": "application"},
        "stripe_dashboard": {"type": "express"},
        "requirement_collection": "stripe",
    }

    remote = stripe.enable_account(account.stripe_account_id)
    response = deliver(client, stripe_fake.event("account.updated", remote))
    assert response.get_json()["result"] == "account_updated"
    db.session.expire_all()
    assert accounts.takes_cards(org.id)
    assert db.session.get(PaymentAccount, account.id).payouts_enabled


def test_an_unverified_or_non_selling_organization_cannot_onboard(db, stripe, make_user, make_org):
    unverified = make_user("supplier", organization=make_org("supplier", verified=False))
    buyer = make_user("buyer")
    for user in (unverified, buyer):
        with pytest.raises(DomainError):
            accounts.onboarding_link(user, user.organization, "http://m/a", "http://m/b")
    assert stripe.accounts == {}


# --- amounts and the fee ----------------------------------------------------------------------


def test_fee_and_amounts():
    assert fees.fee_for(9000, "PEN", 500) == 450
    assert fees.fee_for(999, "PEN", 250) == 25  # 24.975 rounds half up
    assert fees.fee_for(1_250_000, "COP", 500) == 62_500  # whole pesos
    assert fees.fee_for(1_234_500, "COP", 500) == 61_700  # 617.25 pesos -> 617
    assert fees.parse_percent("2,5") == 250 and fees.parse_percent("5 %") == 500
    for bad in ("", "abc", "31", "-1", "2.555"):
        with pytest.raises(DomainError):
            fees.parse_percent(bad)
    assert gateway.to_stripe_amount(9000, "PEN") == 9000
    assert gateway.stripe_decimals("JPY") == 0 and gateway.stripe_decimals("COP") == 2
    assert gateway.chargeable(1_250_000, "COP") and not gateway.chargeable(1_250_050, "COP")
    assert gateway.from_stripe_amount(9000, "MXN") == 9000


def test_the_admin_sets_the_fee(db, make_user):
    admin = make_user("admin")
    assert fees.fee_bp() == 500
    fees.set_fee(admin, "3,5")
    assert fees.fee_bp() == 350 and audits(db, "payment.fee_changed") == 1
