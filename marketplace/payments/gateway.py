"""The one module that imports `stripe`: thin calls to the Stripe API, plain dicts out.

Every call builds on a StripeClient configured from the app (secret key, timeout, retries,
and MINKA_STRIPE_API_BASE when set, to point the official library at a local test server).
A timeout or any Stripe error becomes a GatewayError with a Spanish message, so the caller
rolls back and the order stays as it was.
"""

from __future__ import annotations

import functools
import json
import logging
from urllib.parse import urlsplit

import stripe
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace import currencies
from marketplace.errors import DomainError
from marketplace.i18n import money

log = logging.getLogger(__name__)

#: Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal): the
#: API amount is whole units. Every other currency Minka uses is two-decimal in the API.
ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }  # fmt: skip
)
#: Stripe's three-decimal currencies: the API amount is thousandths.
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
#: Two-decimal in the API but charged in whole units only. Stripe documents ISK so (its
#: "special cases"); COP is Minka's rule: Colombian prices carry no centavos, which are not
#: in circulation, so a card is never asked for a fraction of a peso.
WHOLE_UNITS = frozenset({"ISK", "COP"})
#: The smallest card charge Stripe takes, in the currency's minor units. USD and MXN are
#: Stripe's published minimums (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts:
#: US$0.50, MX$10.00). PEN and COP are not settlement currencies: Stripe's minimum is the
#: settlement currency's (US$0.50) after conversion, so Minka asks for a rounded-up
#: equivalent that stays above it when the exchange rate moves (S/ 2.00, $ 2.500).
MINIMUM_CHARGE_MINOR = {"USD": 50, "MXN": 1_000, "PEN": 200, "COP": 250_000}
#: How old a webhook signature may be, in seconds (Stripe's own default).
SIGNATURE_TOLERANCE_S = 300

UNREACHABLE = _l("El servicio de pagos no respondió. Intente de nuevo en unos minutos.")
REFUSED = _l("El servicio de pagos no aceptó la operación. Intente de nuevo más tarde.")


class GatewayError(DomainError):
    """Stripe could not be reached or refused the call; `code` is Stripe's error code."""

    def __init__(self, message, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message, field)
        self.code = code


class InvalidWebhook(Exception):
    """A webhook without a valid, fresh signature, or not an event."""


#: Where Stripe's hosted pages live (Checkout, Express onboarding).
HOSTED_ORIGINS = ("https://checkout.stripe.com", "https://connect.stripe.com")


def redirect_origins() -> tuple[str, ...]:
    """The origins Minka redirects a form to when paying or onboarding (none without a key;
    the test server's when MINKA_STRIPE_API_BASE points at one)."""
    if not configured():
        return ()
    base = current_app.config.get("MINKA_STRIPE_API_BASE")
    if base:
        parts = urlsplit(base)
        return (f"{parts.scheme}://{parts.netloc}",)
    return HOSTED_ORIGINS


def configured() -> bool:
    """True when card payments are set up (a secret key is configured)."""
    return bool(current_app.config.get("MINKA_STRIPE_SECRET_KEY"))


@functools.lru_cache(maxsize=8)
def _client_for(api_key: str, base: str | None, timeout: float, retries: int):
    addresses = {"api": base, "connect": base, "files": base} if base else None
    return stripe.StripeClient(
        api_key,
        base_addresses=addresses,
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _client():
    cfg = current_app.config
    if not cfg.get("MINKA_STRIPE_SECRET_KEY"):
        raise GatewayError(_l("Los pagos con tarjeta no están configurados."), "not_configured")
    return _client_for(
        cfg["MINKA_STRIPE_SECRET_KEY"],
        cfg.get("MINKA_STRIPE_API_BASE"),
        float(cfg.get("MINKA_STRIPE_TIMEOUT", 10)),
        int(cfg.get("MINKA_STRIPE_RETRIES", 1)),
    )


def _call(what: str, function, *args, **kwargs) -> dict:
    """Run one API call; Stripe's failures become GatewayError."""
    try:
        return function(*args, **kwargs).to_dict()
    except stripe.APIConnectionError as error:
        log.warning("stripe %s: no answer (%s)", what, error)
        raise GatewayError(UNREACHABLE, "connection") from error
    except stripe.StripeError as error:
        log.warning("stripe %s refused: %s", what, error)
        raise GatewayError(REFUSED, getattr(error, "code", None) or "stripe") from error


# --- amounts --------------------------------------------------------------------------------


def stripe_decimals(currency: str) -> int:
    """How many decimals Stripe's API amount has in `currency` (Stripe's own rules)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def _exponents(currency: str) -> tuple[int, int]:
    """(Minka's decimals, Stripe's decimals) for `currency`."""
    return currencies.minor_units(currency), stripe_decimals(currency)


def to_stripe_amount(minor: int, currency: str) -> int:
    """An amount in Minka's minor units as Stripe's `amount` for `currency`."""
    ours, theirs = _exponents(currency)
    if theirs >= ours:
        return minor * 10 ** (theirs - ours)
    whole, rest = divmod(minor, 10 ** (ours - theirs))
    if rest:
        raise ValueError(f"{minor} {currency} has decimals Stripe does not take")
    return whole


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's `amount` back in Minka's minor units."""
    ours, theirs = _exponents(currency)
    if theirs >= ours:
        return amount // 10 ** (theirs - ours)
    return amount * 10 ** (ours - theirs)


def chargeable(minor: int, currency: str) -> bool:
    """True when Stripe takes this amount's shape in this currency (above 0, whole units
    where required); the minimum charge is checked apart (`minimum_charge`)."""
    ours, _theirs = _exponents(currency)
    if currency.upper() in WHOLE_UNITS and minor % 10**ours:
        return False
    try:
        to_stripe_amount(minor, currency)
    except ValueError:
        return False
    return minor > 0


def minimum_charge(currency: str) -> int:
    """The smallest card payment in `currency`, in Minka's minor units."""
    return MINIMUM_CHARGE_MINOR[currency.upper()]


def card_amount_problem(minor: int, currency: str) -> str | None:
    """Why a card cannot pay this amount, in the user's language (None when it can)."""
    if minor < minimum_charge(currency):
        return _(
            "Con tarjeta se paga desde %(minimum)s y este pedido es de %(total)s: elija otra "
            "forma de pago.",
            minimum=money(minimum_charge(currency), currency),
            total=money(minor, currency),
        )
    if not chargeable(minor, currency):
        return _("Este monto no se puede pagar con tarjeta: elija otra forma de pago.")
    return None


# --- Connect --------------------------------------------------------------------------------


def create_account(country: str, organization_id: int, idempotency_key: str) -> dict:
    """A new Express connected account for a supplier organization."""
    params = {
        "type": "express",
        "country": country,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"organization_id": str(organization_id)},
    }
    return _call(
        "account", _client().v1.accounts.create, params, {"idempotency_key": idempotency_key}
    )


def retrieve_account(account_id: str) -> dict:
    """The connected account as Stripe has it now."""
    return _call("account", _client().v1.accounts.retrieve, account_id)


def create_account_link(account_id: str, refresh_url: str, return_url: str) -> dict:
    """A one-time onboarding link for the account (its `url` expires in minutes)."""
    params = {
        "account": account_id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": "account_onboarding",
    }
    return _call("account link", _client().v1.account_links.create, params)


# --- Checkout, payments, refunds ------------------------------------------------------------


def create_checkout_session(params: dict, idempotency_key: str) -> dict:
    """A hosted Checkout Session; the same key returns the same session (double clicks)."""
    return _call(
        "checkout session",
        _client().v1.checkout.sessions.create,
        params,
        {"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str) -> dict:
    """The Checkout Session as Stripe has it now."""
    return _call("checkout session", _client().v1.checkout.sessions.retrieve, session_id)


def expire_checkout_session(session_id: str) -> dict:
    """Close an open Checkout Session so it can no longer be paid."""
    return _call("expire session", _client().v1.checkout.sessions.expire, session_id)


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    """The PaymentIntent as Stripe has it now."""
    return _call("payment intent", _client().v1.payment_intents.retrieve, payment_intent_id)


def retrieve_charge(charge_id: str) -> dict:
    """The Charge as Stripe has it now (amount_refunded, payment_intent)."""
    return _call("charge", _client().v1.charges.retrieve, charge_id)


def create_refund(
    payment_intent_id: str, amount: int | None, idempotency_key: str, metadata: dict
) -> dict:
    """Refund a destination charge (all of it when `amount` is None), taking the transfer
    back from the connected account and the application fee back in proportion."""
    params = {
        "payment_intent": payment_intent_id,
        "reverse_transfer": True,
        "refund_application_fee": True,
        "metadata": metadata,
    }
    if amount is not None:
        params["amount"] = amount
    return _call(
        "refund", _client().v1.refunds.create, params, {"idempotency_key": idempotency_key}
    )


# --- webhooks -------------------------------------------------------------------------------


def construct_event(payload: bytes, signature: str | None) -> dict:
    """The event in a webhook body, after checking its signature and age; InvalidWebhook
    otherwise (unsigned, forged, stale, no webhook secret configured, not JSON)."""
    secret = current_app.config.get("MINKA_STRIPE_WEBHOOK_SECRET")
    if not secret or not signature:
        raise InvalidWebhook("unsigned")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, SIGNATURE_TOLERANCE_S)
        event = json.loads(text)
    except (stripe.SignatureVerificationError, ValueError, RecursionError) as error:
        raise InvalidWebhook(str(error)) from error
    if not _is_event(event):  # signed by the secret's holder, yet not the shape Stripe sends
        raise InvalidWebhook("malformed event")
    return event


def _is_event(event) -> bool:
    """True when `event` has an event's shape: string id and type, data.object a dict whose
    id, when present, is a string."""
    if not isinstance(event, dict):
        return False
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return (
        isinstance(event.get("id"), str)
        and bool(event["id"])
        and isinstance(event.get("type"), str)
        and isinstance(obj, dict)
        and isinstance(obj.get("id", ""), str)
    )
