"""A loopback stand-in for Stripe in tests: the official `stripe` library talks to it, never
to the internet.

`localstripe` (a stateful fake from PyPI, run as a subprocess) keeps payment methods,
payment intents, charges and refunds. It lacks Checkout Sessions and Connect, so this small
werkzeug server in front of it answers those in the shapes Stripe documents (create,
retrieve, expire a session; create and retrieve an account; create an account link) and
forwards the payment intent, charge and refund calls to localstripe. It also serves the
"hosted" payment page a producer is sent to, honours Idempotency-Key (refusing a key reused
with other parameters, as Stripe does), and can be told to fail or hang the next call.

Every request is first checked against Stripe's own parameter definitions (stripe_params:
unknown names, enum values, required fields, integers) and refused in Stripe's error shape,
so the official library raises what it would raise against Stripe. Each refusal is kept in
`refusals`; the `stripe` fixture fails a test that leaves one unexpected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from stripe import params as stripe_params_v1
from stripe.params import checkout as stripe_params_checkout
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from tests.stripe_params import refusal

WEBHOOK_SECRET = "whsec_test_" + "minka" * 6
SECRET_KEY = "sk_test_minka_0123456789"
VISA = "4242424242424242"
#: The smallest total Stripe takes per currency, in the API's amount (the currency's cents).
#: USD and MXN are Stripe's published minimums; PEN and COP are charged above US$0.50 after
#: conversion to the settlement currency (here at S/ 3.70 and $ 4,000 per dollar).
SMALLEST_CHARGE = {"usd": 50, "mxn": 1_000, "pen": 185, "cop": 200_000}
DECLINED = "4000000000000341"  # localstripe declines it at charge time

# localstripe pickles its store to /tmp on every write and listens on every interface; the
# tests want neither, so it is started through this wrapper.
_LOCALSTRIPE = """
import sys
from aiohttp import web
import localstripe.resources as resources
resources.Store.dump_to_disk = lambda self: None
from localstripe.server import app
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_localstripe() -> tuple[subprocess.Popen, str]:
    """Run localstripe on a free loopback port; (process, base URL) once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", _LOCALSTRIPE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):  # up to ~15 s on a busy machine
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited at start (code {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/v1/balance", timeout=1):
                return process, url
        except urllib.error.HTTPError:
            return process, url  # it answers (401 without a key)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("localstripe did not answer within 15 s")


# --- form bodies as Stripe's libraries send them ---------------------------------------------


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """`a[b][0][c]=x` pairs as nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"([^\[\]]+)|\[([^\[\]]*)\]", key)
        names = [a or b for a, b in parts]
        node = root
        for name in names[:-1]:
            node = node.setdefault(name, {})
        node[names[-1]] = value
    return _lists(root)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def flatten(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    """The inverse of unflatten, to forward a body to localstripe."""
    pairs = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs += flatten(value, name)
        elif isinstance(value, list):
            pairs += flatten({str(i): v for i, v in enumerate(value)}, name)
        else:
            pairs.append((name, str(value)))
    return pairs


# --- signatures ----------------------------------------------------------------------------


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload`: t=<unix time>,v1=<HMAC-SHA256 hex>."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    """A webhook event as Stripe sends it (the object as it was when the event happened)."""
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2026-10-28.endive",
        "data": {"object": obj},
    }


# --- what each endpoint takes -----------------------------------------------------------------

#: (method, path pattern) -> the library's parameter class for that endpoint: the endpoints
#: Minka calls, and nothing else.
ENDPOINTS = (
    ("POST", r"/v1/accounts", stripe_params_v1.AccountCreateParams),
    ("GET", r"/v1/accounts/[^/]+", stripe_params_v1.AccountRetrieveParams),
    ("POST", r"/v1/account_links", stripe_params_v1.AccountLinkCreateParams),
    ("POST", r"/v1/checkout/sessions", stripe_params_checkout.SessionCreateParams),
    ("GET", r"/v1/checkout/sessions/[^/]+", stripe_params_checkout.SessionRetrieveParams),
    ("POST", r"/v1/checkout/sessions/[^/]+/expire", stripe_params_checkout.SessionExpireParams),
    ("GET", r"/v1/payment_intents/[^/]+", stripe_params_v1.PaymentIntentRetrieveParams),
    ("POST", r"/v1/payment_intents/[^/]+/cancel", stripe_params_v1.PaymentIntentCancelParams),
    ("GET", r"/v1/charges/[^/]+", stripe_params_v1.ChargeRetrieveParams),
    ("POST", r"/v1/refunds", stripe_params_v1.RefundCreateParams),
)


def endpoint_params(method: str, path: str) -> type | None:
    """The parameter class of the endpoint at `path` (None: not an endpoint Minka calls)."""
    for verb, pattern, params in ENDPOINTS:
        if verb == method and re.fullmatch(pattern, path):
            return params
    return None


# --- the fake ------------------------------------------------------------------------------


@dataclass
class Failure:
    prefix: str
    status: int = 500
    hang_s: float = 0.0


@dataclass
class FakeStripe:
    """The server's state; `url` is what MINKA_STRIPE_API_BASE points at."""

    localstripe: str
    url: str = ""
    sessions: dict = field(default_factory=dict)
    #: OXXO PaymentIntents (localstripe has no OXXO): answered here.
    intents: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    idempotent: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    #: The next Checkout Session is created without its `url` (a malformed answer).
    omit_next_url: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.intents.clear()
            self.accounts.clear()
            self.idempotent.clear()
            self.failures.clear()
            self.calls.clear()
            self.refusals.clear()
            self.omit_next_url = False

    def fail_next(self, prefix: str, status: int = 500, hang_s: float = 0.0) -> None:
        """The next call whose path starts with `prefix` answers `status` (after `hang_s`)."""
        self.failures.append(Failure(prefix, status, hang_s))

    def calls_to(self, method: str, prefix: str) -> list[dict]:
        return [c for c in self.calls if c["method"] == method and c["path"].startswith(prefix)]

    # -- test helpers acting as the customer or as Stripe ------------------------------------

    def enable_account(self, account_id: str, charges: bool = True, payouts: bool = True) -> dict:
        account = self.accounts[account_id]
        account.update(charges_enabled=charges, payouts_enabled=payouts, details_submitted=True)
        return account

    def complete(self, session_id: str, card: str = VISA, amount: int | None = None) -> dict:
        """The customer pays the session with `card` (a real PaymentIntent in localstripe);
        `amount` charges something other than the session's total (a mismatch)."""
        session = self.sessions[session_id]
        intent_data = session.get("payment_intent_data") or {}
        method = self._local("POST", "/v1/payment_methods", {
            "type": "card",
            "card": {"number": card, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
        })  # fmt: skip
        intent = self._local("POST", "/v1/payment_intents", {
            "amount": str(amount or session["amount_total"]),
            "currency": session["currency"],
            "payment_method": method["id"],
            "metadata": intent_data.get("metadata") or {},
        })  # fmt: skip
        try:
            intent = self._local("POST", f"/v1/payment_intents/{intent['id']}/confirm", {})
        except urllib.error.HTTPError:  # declined: localstripe answers 402
            session["payment_intent"] = intent["id"]
            return self._local("GET", f"/v1/payment_intents/{intent['id']}", None)
        if amount is not None:
            session["amount_total"] = amount
        session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
        return intent

    # -- OXXO: the customer asks for a voucher, pays it at a store, or lets it expire ---------

    def issue_voucher(self, session_id: str) -> dict:
        """The customer chose OXXO on the Checkout page: the session completes unpaid and
        its PaymentIntent waits for the cash, showing the voucher."""
        session = self.sessions[session_id]
        assert session["payment_method_types"] == ["oxxo"], "not an OXXO session"
        days = int(session["payment_method_options"].get("oxxo", {}).get("expires_after_days", 3))
        intent_id = "pi_oxxo_" + secrets.token_hex(10)
        self.intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "currency": session["currency"],
            "status": "requires_action",
            "payment_method_types": ["oxxo"],
            "metadata": (session.get("payment_intent_data") or {}).get("metadata") or {},
            "latest_charge": None,
            "last_payment_error": None,
            "next_action": {
                "type": "oxxo_display_details",
                "oxxo_display_details": {
                    "expires_after": int(time.time()) + days * 86_400,
                    "hosted_voucher_url": f"{self.url}/voucher/{intent_id}",
                    "number": "".join(secrets.choice("0123456789") for _ in range(18)),
                },
            },
        }
        session.update(status="complete", payment_status="unpaid", payment_intent=intent_id)
        return self.intents[intent_id]

    def pay_voucher(self, session_id: str) -> dict:
        """The customer paid the voucher in cash at an OXXO store."""
        session = self.sessions[session_id]
        intent = self.intents[session["payment_intent"]]
        intent.update(status="succeeded", next_action=None)
        session["payment_status"] = "paid"
        return intent

    def let_voucher_expire(self, session_id: str) -> dict:
        """Nobody paid the voucher before it expired: the intent needs a new payment method."""
        session = self.sessions[session_id]
        intent = self.intents[session["payment_intent"]]
        intent.update(status="requires_payment_method", next_action=None)
        return intent

    def _cancel_intent(self, intent: dict) -> Response:
        """Stripe cancels an intent only while it still waits for the money."""
        cancellable = ("requires_payment_method", "requires_action", "requires_confirmation")
        if intent["status"] not in cancellable:
            message = (
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}."
            )
            return _error(400, "invalid_request_error", message,
                          code="payment_intent_unexpected_state")  # fmt: skip
        intent.update(status="canceled", next_action=None)
        return _json(intent)

    def expire(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        if session["status"] == "open":
            session["status"] = "expired"
        return session

    def _local(self, method: str, path: str, data: dict | None) -> dict:
        body = urllib.parse.urlencode(flatten(data)).encode() if data else None
        request = urllib.request.Request(self.localstripe + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {SECRET_KEY}")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    # -- the HTTP side -----------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        data = unflatten(list(request.form.items(multi=True))) if request.method == "POST" else {}
        data.update(unflatten(list(request.args.items(multi=True))))
        with self.lock:
            self.calls.append({"method": request.method, "path": path, "data": data})
            failure = next((f for f in self.failures if path.startswith(f.prefix)), None)
            if failure is not None:
                self.failures.remove(failure)
        if failure is not None:
            time.sleep(failure.hang_s)
            return _error(failure.status, "api_error", "Injected failure")
        if path.startswith("/pay/"):
            return self._page(request, path.removeprefix("/pay/"))
        if path.startswith("/voucher/"):
            return Response("<!doctype html><title>Ficha OXXO</title><h1>Ficha OXXO</h1>", 200,
                            content_type="text/html; charset=utf-8")  # fmt: skip
        invalid = self._validate(request.method, path, data)
        if invalid is not None:
            return invalid
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and (request.method, path, key) in self.idempotent:
            sent, status, body = self.idempotent[(request.method, path, key)]
            if sent != data:
                return _error(400, "idempotency_error",
                              "Keys for idempotent requests can only be used with the same "
                              "parameters they were first used with.",
                              code="idempotency_key_in_use")  # fmt: skip
            return Response(body, status, content_type="application/json")
        response = self._route(request.method, path, data, request)
        if request.method == "POST" and key and response.status_code < 500:
            self.idempotent[(request.method, path, key)] = (
                data,
                response.status_code,
                response.get_data(),
            )
        return response

    def _validate(self, method: str, path: str, data: dict) -> Response | None:
        """Stripe's 400 for parameters it does not take (404 for an endpoint Minka does not
        call); a refusal is also kept in `refusals`."""
        params = endpoint_params(method, path)
        if params is None:
            found = {"code": None, "param": "", "message": f"Unrecognized request URL ({path})"}
            status = 404
        else:
            problem = refusal(data, params)
            if problem is None:
                return None
            found = {"code": problem.code, "param": problem.param, "message": problem.message}
            status = 400
        with self.lock:
            self.refusals.append({"method": method, "path": path, **found})
        detail = {k: v for k, v in found.items() if k != "message" and v}
        return _error(status, "invalid_request_error", found["message"], **detail)

    def _route(self, method: str, path: str, data: dict, request: Request) -> Response:
        match = re.fullmatch(r"/v1/checkout/sessions(?:/([^/]+))?(/expire)?", path)
        if match:
            return self._sessions(method, match.group(1), bool(match.group(2)), data)
        match = re.fullmatch(r"/v1/accounts(?:/([^/]+))?", path)
        if match:
            return self._accounts(method, match.group(1), data)
        if path == "/v1/account_links" and method == "POST":
            account = self.accounts.get(data.get("account"))
            if account is None:
                return _error(404, "invalid_request_error", "No such account")
            return _json({
                "object": "account_link",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 300,
                "url": f"{self.url}/onboard/{account['id']}",
            })  # fmt: skip
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)", path)
        if match and match.group(1) in self.intents:
            return _json(self.intents[match.group(1)])
        match = re.fullmatch(r"/v1/payment_intents/([^/]+)/cancel", path)
        if match and match.group(1) in self.intents:
            return self._cancel_intent(self.intents[match.group(1)])
        if path == "/v1/refunds" and data.get("payment_intent") in self.intents:
            return _error(400, "invalid_request_error",
                          "OXXO payments cannot be refunded through the API.",
                          code="charge_not_refundable", param="payment_intent")  # fmt: skip
        if path.startswith("/v1/"):
            return self._forward(method, path, data, request)
        return _error(404, "invalid_request_error", "Unrecognized request URL")

    def _sessions(self, method: str, session_id: str | None, expire: bool, data: dict):
        if method == "POST" and session_id is None:
            created = self._new_session(data)
            return created if isinstance(created, Response) else _json(created)
        session = self.sessions.get(session_id)
        if session is None:
            return _error(404, "invalid_request_error", f"No such checkout.session: {session_id}")
        if expire:
            if session["status"] != "open":
                return _error(400, "invalid_request_error", "Only open sessions can be expired")
            session["status"] = "expired"
        return _json(session)

    def _new_session(self, data: dict) -> dict | Response:
        unknown = _unknown_currency(data)
        if unknown is not None:
            return unknown
        items = data["line_items"]
        total = sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items)
        currency = items[0]["price_data"]["currency"]
        if total < SMALLEST_CHARGE[currency]:
            return _error(
                400,
                "invalid_request_error",
                "The Checkout Session's total amount due must add up to at least "
                f"{SMALLEST_CHARGE[currency]} {currency}",
                code="amount_too_small",
                param="line_items",
            )
        types = data.get("allowed_payment_method_types") or ["card"]
        if "oxxo" in types and currency != "mxn":
            return _error(
                400,
                "invalid_request_error",
                f"The currency provided ({currency}) is invalid for one or more payment "
                "method types: oxxo.",
                param="allowed_payment_method_types",
            )
        session_id = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": data.get("mode"),
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": total,
            "currency": currency,
            "metadata": data.get("metadata") or {},
            "client_reference_id": data.get("client_reference_id"),
            "payment_intent": None,
            "payment_intent_data": data.get("payment_intent_data") or {},
            "payment_method_types": types,
            "payment_method_options": data.get("payment_method_options") or {},
            "success_url": data.get("success_url"),
            "cancel_url": data.get("cancel_url"),
            "url": None if self.omit_next_url else f"{self.url}/pay/{session_id}",
            "expires_at": int(time.time()) + 86_400,
        }
        self.omit_next_url = False
        self.sessions[session_id] = session
        return session

    def _accounts(self, method: str, account_id: str | None, data: dict):
        if method == "POST" and account_id is None:
            account_id = "acct_" + secrets.token_hex(8)
            self.accounts[account_id] = {
                "id": account_id,
                "object": "account",
                "type": data.get("type") or _type_of(data.get("controller") or {}),
                "controller": data.get("controller") or {},
                "country": data.get("country"),
                "metadata": data.get("metadata") or {},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
            }
        account = self.accounts.get(account_id)
        if account is None:
            return _error(404, "invalid_request_error", f"No such account: {account_id}")
        return _json(account)

    def _forward(self, method: str, path: str, data: dict, request: Request) -> Response:
        if path == "/v1/refunds":
            # Connect-only parameters localstripe does not model; the call log keeps them.
            data = {k: v for k, v in data.items()
                    if k not in ("reverse_transfer", "refund_application_fee")}  # fmt: skip
        body = urllib.parse.urlencode(flatten(data)).encode() if method == "POST" else None
        query = "" if method == "POST" else ("?" + request.query_string.decode()).rstrip("?")
        upstream = urllib.request.Request(self.localstripe + path + query, data=body, method=method)
        upstream.add_header("Authorization", request.headers.get("Authorization", ""))
        try:
            with urllib.request.urlopen(upstream, timeout=10) as answer:
                return Response(answer.read(), answer.status, content_type="application/json")
        except urllib.error.HTTPError as error:
            return Response(error.read(), error.code, content_type="application/json")

    def _page(self, request: Request, session_id: str) -> Response:
        """The hosted payment page: "Pagar" completes the session and goes back."""
        session = self.sessions.get(session_id)
        if session is None:
            return Response("not found", 404)
        oxxo = session.get("payment_method_types") == ["oxxo"]
        if request.method == "POST":
            if oxxo:
                self.issue_voucher(session_id)
            else:
                self.complete(session_id)
            return Response("", 303, headers={"Location": session["success_url"]})
        amount = session["amount_total"] / 100
        button = "Generar ficha OXXO" if oxxo else "Pagar"
        html = (
            "<!doctype html><html lang='es'><meta name='viewport' content='width=device-width'>"
            "<link rel='icon' href='data:,'>"
            f"<title>Pago de prueba</title><h1>Pago de prueba</h1><p>Total: {amount:.2f} "
            f"{session['currency'].upper()}</p><form method='post'><button>{button}</button></form>"
            f"<p><a href='{session['cancel_url']}'>Volver sin pagar</a></p></html>"
        )
        return Response(html, 200, content_type="text/html; charset=utf-8")


def _type_of(controller: dict) -> str:
    """The account type Stripe reports for an account created with controller settings."""
    dashboard = (controller.get("stripe_dashboard") or {}).get("type")
    return {"express": "express", "full": "standard"}.get(dashboard, "custom")


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


def _error(status: int, kind: str, message: str, **detail: str) -> Response:
    return _json({"error": {"type": kind, "message": message, **detail}}, status)


def _unknown_currency(data: dict) -> Response | None:
    """Stripe's answer to a currency it does not charge in (None when it does)."""
    for n, item in enumerate(data["line_items"]):
        currency = item["price_data"]["currency"]
        if currency not in SMALLEST_CHARGE:
            return _error(400, "invalid_request_error", f"Invalid currency: {currency}.",
                          param=f"line_items[{n}][price_data][currency]")  # fmt: skip
    return None


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def serve(localstripe_url: str) -> tuple[FakeStripe, callable]:
    """Start the fake on a free loopback port in a daemon thread; (fake, stop function)."""
    fake = FakeStripe(localstripe=localstripe_url)
    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=_Quiet)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True)
    thread.start()

    def shutdown() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return fake, shutdown
