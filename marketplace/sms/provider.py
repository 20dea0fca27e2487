"""Twilio, through its official library: the only module that imports `twilio`.

Sending (`send`) and checking that a delivery report really comes from Twilio
(`signed_by_twilio`); what a report changes is sms.receipts'.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from marketplace.models import MessageChannel

TWILIO_API = "https://api.twilio.com"
#: Where Twilio posts its delivery reports, under MINKA_PUBLIC_URL (the route and the URL
#: given to Twilio are both built from it).
CALLBACK_PATH = "/sms/estado"

#: Twilio's error codes that no retry can fix: the number is not a mobile one, cannot
#: receive, unsubscribed (STOP), or is not a WhatsApp user.
PERMANENT_CODES = frozenset({21211, 21214, 21408, 21610, 21612, 21614, 21606, 21603, 63003})


class SendError(Exception):
    """Twilio did not take the message; `permanent` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Settings:
    """Where and how to send, from the app's configuration."""

    account_sid: str
    auth_token: str
    sms_from: str
    whatsapp_from: str | None
    api_base: str | None
    timeout: float
    #: Where Twilio posts delivery reports; None without MINKA_PUBLIC_URL (none is asked for).
    status_callback: str | None


def settings() -> Settings | None:
    """The provider's settings, or None when SMS is not configured (then nothing is sent and
    no SMS option is shown)."""
    config = current_app.config
    sid, token, sender = (
        config.get("MINKA_SMS_ACCOUNT_SID"),
        config.get("MINKA_SMS_AUTH_TOKEN"),
        config.get("MINKA_SMS_FROM"),
    )
    if not (sid and token and sender):
        return None
    public_url = (config.get("MINKA_PUBLIC_URL") or "").rstrip("/")
    return Settings(
        account_sid=sid,
        auth_token=token,
        sms_from=sender,
        whatsapp_from=config.get("MINKA_WHATSAPP_FROM") or None,
        api_base=config.get("MINKA_SMS_API_BASE") or None,
        timeout=float(config.get("MINKA_SMS_TIMEOUT", 10)),
        status_callback=public_url + CALLBACK_PATH if public_url else None,
    )


def configured() -> bool:
    """True when Minka may send SMS."""
    return settings() is not None


def whatsapp_configured() -> bool:
    """True when Minka may also send WhatsApp messages."""
    found = settings()
    return found is not None and found.whatsapp_from is not None


class _ElsewhereClient(TwilioHttpClient):
    """The library's own HTTP client, sending to another address than api.twilio.com (a
    regional proxy, or the tests' local stand-in)."""

    def __init__(self, base: str, timeout: float):
        super().__init__(timeout=timeout)
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def _client(found: Settings) -> Client:
    http = (
        _ElsewhereClient(found.api_base, found.timeout)
        if found.api_base
        else TwilioHttpClient(timeout=found.timeout)
    )
    return Client(found.account_sid, found.auth_token, http_client=http, environment={})


def send(channel: str, to: str, body: str) -> str:
    """Hand one message to Twilio; its SID ("SM...") or SendError."""
    found = settings()
    if found is None:
        raise SendError("SMS is not configured", permanent=True)
    if channel == MessageChannel.WHATSAPP:
        if found.whatsapp_from is None:
            raise SendError("WhatsApp is not configured", permanent=True)
        to, sender = f"whatsapp:{to}", f"whatsapp:{found.whatsapp_from}"
    else:
        sender = found.sms_from
    options = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
    if found.status_callback:
        options["status_callback"] = found.status_callback
    try:
        message = _client(found).messages.create(to=to, body=body, **options)
    except TwilioRestException as error:
        permanent = error.code in PERMANENT_CODES or error.status in (400, 404)
        raise SendError(f"{error.status} {error.code}: {error.msg}", permanent) from error
    except (TwilioException, OSError) as error:
        raise SendError(str(error) or type(error).__name__) from error
    return message.sid


def status_callback_url() -> str | None:
    """The URL Twilio posts delivery reports to; None when SMS or MINKA_PUBLIC_URL is unset."""
    found = settings()
    return found.status_callback if found else None


def signed_by_twilio(params, signature: str | None) -> bool:
    """True when `signature` (the X-Twilio-Signature header) signs `params` (the posted form)
    with the auth token, for the status callback URL.

    The URL checked is the one Minka gave Twilio (MINKA_PUBLIC_URL + CALLBACK_PATH), never
    the request's own: behind a reverse proxy the request arrives as http://127.0.0.1:8000/...
    while Twilio signed https://minka.example.org/..., and every genuine report would fail.
    """
    found = settings()
    if found is None or found.status_callback is None or not signature:
        return False
    validator = RequestValidator(found.auth_token)
    return validator.validate(found.status_callback, params, signature)
