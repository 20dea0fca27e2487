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
from marketplace.payments import countries

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
#: How old a webhook signature may be, in seconds (Stripe's own default).
SIGNATURE_TOLERANCE_S = 300

UNREACHABLE = _l("El servicio de pagos no respondió. Intente de nuevo en unos minutos.")
BUSY = _l("El servicio de pagos tuvo un problema pasajero. Intente de nuevo más tarde.")
#: Why Stripe refuses for good, by Stripe's error code, in plain words.
REFUSAL_REASONS = {
    "amount_too_small": _l("el monto es menor que el mínimo que Stripe cobra en esta moneda."),
    "amount_too_large": _l("el monto es mayor que el máximo que Stripe cobra de una vez."),
    "country_unsupported": _l("no opera en el país de la cuenta."),
    "currency_not_supported": _l("no cobra en esta moneda para esta cuenta."),
    "card_declined": _l("el banco rechazó la tarjeta."),
    "expired_card": _l("la tarjeta está vencida."),
    "charge_already_refunded": _l("este pago ya fue devuelto."),
    "resource_missing": _l("no encuentra la cuenta o el pago."),
}
IDEMPOTENCY_REFUSAL = _l("la operación ya se pidió antes con otros datos.")
PERMISSION_REFUSAL = _l("la cuenta de Minka no tiene permiso para esta operación.")
SETUP_REFUSAL = _l("la clave de Stripe configurada en Minka no es válida.")


class GatewayError(DomainError):
    """Stripe could not be reached or refused the call; `code` is Stripe's error code and
    `transient` tells whether the same call may succeed later."""

    def __init__(
        self, message, code: str | None = None, field: str | None = None, transient: bool = False
    ) -> None:
        super().__init__(message, field)
        self.code = code
        self.transient = transient


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


def hosted_page(url) -> str:
    """`url` when it is a page of Stripe's to send the user to (https on Stripe's hosts, or
    the test server's); a GatewayError otherwise, so no one is redirected to "None"."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or f"{parts.scheme}://{parts.netloc}" not in redirect_origins():
        log.warning("stripe returned no usable page address: %r", url)
        raise GatewayError(
            _l("Stripe no devolvió una página de pago válida. Avise al equipo de Minka."),
            "no_url",
        )
    return url


def platform_country() -> str:
    """The country of Minka's own Stripe account (MINKA_STRIPE_PLATFORM_COUNTRY)."""
    return str(current_app.config.get("MINKA_STRIPE_PLATFORM_COUNTRY") or "MX").upper()


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
    except stripe.StripeError as error:
        failure = classify(error)
        log.warning("stripe %s failed (%s): %s", what, failure.code, error)
        raise failure from error


def classify(error: stripe.StripeError) -> GatewayError:
    """Stripe's error as Minka tells it: transient failures (no answer, too many requests,
    Stripe's own 5xx) say to try again later; every other refusal is final and says why."""
    code = getattr(error, "code", None)
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError(UNREACHABLE, code or "connection", transient=True)
    status = getattr(error, "http_status", None)
    if isinstance(error, stripe.RateLimitError) or (
        type(error) is stripe.APIError and (status is None or status >= 500)
    ):
        return GatewayError(BUSY, code or "stripe_unavailable", transient=True)
    return GatewayError(
        _l("Stripe no acepta este pago: %(reason)s", reason=_refusal_reason(error, code)),
        code or type(error).__name__,
    )


def _refusal_reason(error: stripe.StripeError, code: str | None):
    if code in REFUSAL_REASONS:
        return REFUSAL_REASONS[code]
    if isinstance(error, stripe.IdempotencyError) or code == "idempotency_key_in_use":
        return IDEMPOTENCY_REFUSAL
    if isinstance(error, stripe.PermissionError):
        return PERMISSION_REFUSAL
    if isinstance(error, stripe.AuthenticationError):
        return SETUP_REFUSAL
    return _l("la solicitud no cumple sus reglas (código: %(code)s).", code=code or "?")


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
    return countries.minimum_charge(currency)


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
    """A new connected account for a supplier organization, described by its controller (the
    API's replacement for `type=express`): Minka pays Stripe's fees and answers for losses,
    the supplier gets the Express dashboard, and Stripe collects what it requires."""
    params = {
        "controller": {
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
            "stripe_dashboard": {"type": "express"},
            "requirement_collection": "stripe",
        },
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


def cancel_payment_intent(payment_intent_id: str) -> dict:
    """Cancel a PaymentIntent still waiting for its money (an OXXO voucher not yet paid), so
    the voucher can no longer be paid."""
    return _call(
        "cancel payment intent",
        _client().v1.payment_intents.cancel,
        payment_intent_id,
        {"cancellation_reason": "abandoned"},
    )


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
