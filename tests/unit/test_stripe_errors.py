"""Stripe's errors as Minka tells them: a transient failure says to try again later, a
permanent refusal is final and says why (never "intente de nuevo")."""

from __future__ import annotations

import pytest
import stripe

from marketplace.payments import gateway

TRANSIENT = [
    pytest.param(stripe.APIConnectionError("timed out"), "no respondió", id="connection"),
    pytest.param(stripe.RateLimitError("slow down", http_status=429), "pasajero", id="rate"),
    pytest.param(stripe.APIError("boom", http_status=500), "pasajero", id="500"),
    pytest.param(stripe.APIError("bad gateway", http_status=502), "pasajero", id="502"),
    pytest.param(stripe.APIError("no status"), "pasajero", id="no-status"),
]

PERMANENT = [
    pytest.param(
        stripe.InvalidRequestError("too small", "amount", code="amount_too_small",
                                   http_status=400),
        "el monto es menor que el mínimo", id="amount-too-small"),
    pytest.param(
        stripe.InvalidRequestError("Received unknown parameter: x", "x",
                                   code="parameter_unknown", http_status=400),
        "código: parameter_unknown", id="invalid-request"),
    pytest.param(
        stripe.InvalidRequestError("country", "country", code="country_unsupported",
                                   http_status=400),
        "no opera en el país", id="country"),
    pytest.param(
        stripe.InvalidRequestError("currency", "currency", code="currency_not_supported",
                                   http_status=400),
        "no cobra en esta moneda", id="currency"),
    pytest.param(
        stripe.IdempotencyError("Keys for idempotent requests...", http_status=400,
                                code="idempotency_key_in_use"),
        "ya se pidió antes con otros datos", id="idempotency"),
    pytest.param(stripe.PermissionError("no", http_status=403), "no tiene permiso",
                 id="permission"),
    pytest.param(stripe.CardError("declined", None, "card_declined", http_status=402),
                 "el banco rechazó la tarjeta", id="card"),
    pytest.param(stripe.AuthenticationError("bad key", http_status=401),
                 "clave de Stripe", id="authentication"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "says"), TRANSIENT)
def test_a_transient_failure_says_to_try_again(app, error, says):
    with app.test_request_context():
        failure = gateway.classify(error)
        message = str(failure.message)
    assert failure.transient
    assert says in message and "Intente de nuevo" in message


@pytest.mark.parametrize(("error", "says"), PERMANENT)
def test_a_permanent_refusal_is_final_and_says_why(app, error, says):
    with app.test_request_context():
        failure = gateway.classify(error)
        message = str(failure.message)
    assert not failure.transient
    assert message.startswith("Stripe no acepta este pago: ")
    assert says in message
    assert "intente" not in message.lower()
