"""The Stripe stand-in refuses what Stripe refuses, in Stripe's error shape, so the official
library raises what it would raise against Stripe; and what Minka sends passes it."""

from __future__ import annotations

import copy

import pytest
import stripe as stripe_lib

from marketplace.payments import accounts, checkout, gateway
from tests import stripe_fake
from tests.integration.cards import LINKS, place_card_order


def official_client(fake) -> stripe_lib.StripeClient:
    return stripe_lib.StripeClient(
        stripe_fake.SECRET_KEY,
        base_addresses={"api": fake.url, "connect": fake.url},
        max_network_retries=0,
    )


def session_params() -> dict:
    """A Checkout Session Stripe takes: a destination charge of MX$90.00."""
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "mxn",
                    "unit_amount": 9000,
                    "product_data": {"name": "2 × Compost"},
                },
            }
        ],
        "payment_intent_data": {
            "application_fee_amount": 450,
            "transfer_data": {"destination": "acct_1"},
        },
        "success_url": "https://minka.example/ok",
        "cancel_url": "https://minka.example/no",
    }


def with_change(change) -> dict:
    params = copy.deepcopy(session_params())
    change(params)
    return params


BAD_SESSIONS = [
    pytest.param(lambda p: p.update(colour="rojo"), "parameter_unknown", "colour", id="unknown"),
    pytest.param(lambda p: p.update(mode="pay"), None, "mode", id="mode=pay"),
    pytest.param(
        lambda p: p["payment_intent_data"].update(transfer_data={"amount": 100}),
        "parameter_missing",
        "payment_intent_data[transfer_data][destination]",
        id="transfer_data-without-destination",
    ),
    pytest.param(
        lambda p: p["line_items"][0]["price_data"].update(unit_amount="nueve mil"),
        "parameter_invalid_integer",
        "line_items[0][price_data][unit_amount]",
        id="text-unit_amount",
    ),
    pytest.param(
        lambda p: p["line_items"][0]["price_data"].pop("currency"),
        "parameter_missing",
        "line_items[0][price_data][currency]",
        id="no-currency",
    ),
    pytest.param(
        lambda p: p.update(allowed_payment_method_types=["card", "efectivo"]),
        None,
        "allowed_payment_method_types[1]",
        id="unknown-payment-method-type",
    ),
]


@pytest.mark.parametrize(("change", "code", "param"), BAD_SESSIONS)
def test_a_checkout_session_stripe_would_refuse_is_refused(stripe, change, code, param):
    with pytest.raises(stripe_lib.InvalidRequestError) as refused:
        official_client(stripe).v1.checkout.sessions.create(with_change(change))
    assert (refused.value.http_status, refused.value.code) == (400, code)
    assert refused.value.param == param
    assert stripe.sessions == {}
    assert [r["param"] for r in stripe.refusals] == [param]
    stripe.refusals.clear()


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"type": "expresss", "country": "MX"}, None, "type"),
        ({"controller": {"stripe_dashboard": {"type": "expres"}}}, None,
         "controller[stripe_dashboard][type]"),
        ({"controller": {"fees": {"payer": "minka"}}}, None, "controller[fees][payer]"),
        ({"country": "MX", "nickname": "Milagros"}, "parameter_unknown", "nickname"),
    ],
)  # fmt: skip
def test_an_account_stripe_would_refuse_is_refused(stripe, params, code, param):
    with pytest.raises(stripe_lib.InvalidRequestError) as refused:
        official_client(stripe).v1.accounts.create(params)
    assert (refused.value.code, refused.value.param) == (code, param)
    assert stripe.accounts == {}
    stripe.refusals.clear()


def test_an_account_link_without_its_type_is_refused(stripe):
    with pytest.raises(stripe_lib.InvalidRequestError) as refused:
        official_client(stripe).v1.account_links.create({"account": "acct_1"})
    assert (refused.value.code, refused.value.param) == ("parameter_missing", "type")
    stripe.refusals.clear()


def test_a_refused_request_reads_as_a_final_refusal_in_minka(app, stripe):
    with pytest.raises(stripe_lib.InvalidRequestError) as refused:
        official_client(stripe).v1.checkout.sessions.create(
            with_change(lambda p: p.update(mode="pay"))
        )
    with app.test_request_context():
        failure = gateway.classify(refused.value)
        assert not failure.transient
        assert str(failure.message).startswith("Stripe no acepta este pago:")
    stripe.refusals.clear()


def test_an_idempotency_key_reused_with_other_parameters_is_refused(app, stripe):
    client = official_client(stripe)
    first = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k-1"})
    again = client.v1.checkout.sessions.create(session_params(), {"idempotency_key": "k-1"})
    assert again.id == first.id
    other = with_change(lambda p: p["line_items"][0]["price_data"].update(unit_amount=100))
    with pytest.raises(stripe_lib.IdempotencyError) as refused:
        client.v1.checkout.sessions.create(other, {"idempotency_key": "k-1"})
    with app.test_request_context():
        message = str(gateway.classify(refused.value).message)
    assert "ya se pidió antes con otros datos" in message and "Intente" not in message


def test_an_endpoint_minka_does_not_call_is_not_answered(stripe):
    with pytest.raises(stripe_lib.InvalidRequestError):
        official_client(stripe).v1.customers.create({"email": "rosa@example.org"})
    stripe.refusals.clear()


def test_what_minka_sends_passes_the_checks(app, db, card_shop, make_user, make_org):
    """The stand-in's own checks on Minka's requests: onboarding a Mexican supplier, and a
    checkout made on the supplier's behalf (the `stripe` fixture fails on any refusal)."""
    supplier = make_user("supplier", organization=make_org("supplier", country="MX"))
    accounts.onboarding_link(supplier, supplier.organization, "https://m/a", "https://m/b")
    app.config["MINKA_STRIPE_PLATFORM_COUNTRY"] = "US"
    order = place_card_order(card_shop, 1)
    url = checkout.start_checkout(card_shop.user, order, LINKS)
    assert url.startswith(card_shop.stripe.url + "/pay/")
    session_id = url.rsplit("/", 1)[1]
    gateway.retrieve_checkout_session(session_id)
    gateway.expire_checkout_session(session_id)
    assert card_shop.stripe.refusals == []
    assert len(card_shop.stripe.calls) == 5
