"""A loopback stand-in for Twilio's Messages API in tests: the official `twilio` library talks
to it (through MINKA_SMS_API_BASE), never to the internet.

It answers POST /2010-04-01/Accounts/{AccountSid}/Messages.json as Twilio documents it:
HTTP basic auth with the account SID and auth token (20003 otherwise), form fields only from
Twilio's list (an unknown one is refused), To in E.164 (21211), From one of the account's
numbers (21606 / 21603 when missing) or a MessagingServiceSid (MG + 32 hex), Body required
(21602) and at most 1,600 characters (21617), WhatsApp with "whatsapp:+..." on both To and
From (21910 when only one has it). A refusal is Twilio's error JSON (code, message, more_info,
status); an accepted message is a message resource (sid "SM...", status "queued", or
"accepted" through a messaging service) and is kept in `messages`. Every refusal is kept in
`refusals`; the `twilio` fixture fails a test that leaves one unexpected.

A StatusCallback must be an absolute http(s) URL with a host (no underscore in it) of at most
4,000 characters (21609 otherwise). `report` then does what Twilio does when the message's
status changes: it posts the status to that URL, form-encoded, signed in X-Twilio-Signature
(`sign`: written here from Twilio's description, not taken from the library Minka checks
it with, so a test proves both sides agree).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "minka-test-token-0123456789abcdef"
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"
#: A number Twilio reports as a landline: it cannot receive SMS (21614).
LANDLINE = "+51014264000"

_PATH = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json")
_E164 = re.compile(r"\+[1-9]\d{7,14}")
_SERVICE = re.compile(r"MG[0-9a-f]{32}")
#: The parameters of Twilio's "Create a Message" (docs: messaging/api/message-resource).
PARAMETERS = frozenset(
    {
        "To",
        "From",
        "MessagingServiceSid",
        "Body",
        "MediaUrl",
        "ContentSid",
        "ContentVariables",
        "StatusCallback",
        "ApplicationSid",
        "MaxPrice",
        "ProvideFeedback",
        "Attempt",
        "ValidityPeriod",
        "ForceDelivery",
        "ContentRetention",
        "AddressRetention",
        "SmartEncoded",
        "PersistentAction",
        "TrafficType",
        "ShortenUrls",
        "ScheduleType",
        "SendAt",
        "SendAsMms",
        "RiskCheck",
    }
)
GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def segments(body: str) -> int:
    """How many SMS parts Twilio bills `body` as: 160 GSM-7 characters in one, 153 a part
    when longer; 70 and 67 in UCS-2 (a single character outside GSM-7 makes it UCS-2)."""
    single, part = (160, 153) if all(c in GSM7 for c in body) else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


@dataclass
class FakeTwilio:
    """The server's state; `url` is what MINKA_SMS_API_BASE points at."""

    url: str = ""
    messages: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    #: Statuses the next calls answer with instead of taking the message (500, 503, 429).
    failures: list = field(default_factory=list)
    #: Each accepted message's StatusCallback, by its sid (Twilio keeps it, never shows it).
    status_callbacks: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.refusals.clear()
            self.failures.clear()
            self.status_callbacks.clear()

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """The next `times` calls answer `status` without taking the message."""
        with self.lock:
            self.failures.extend([status] * times)

    def bodies_to(self, number: str) -> list[str]:
        """The texts sent to `number` (SMS or WhatsApp), oldest first."""
        with self.lock:
            return [m["body"] for m in self.messages if m["to"].removeprefix("whatsapp:") == number]

    def last_code_to(self, number: str) -> str:
        """The six-digit code of the last message to `number`."""
        found = re.findall(r"\b(\d{6})\b", self.bodies_to(number)[-1])
        assert found, "the last message has no code"
        return found[0]

    def report(
        self, sid: str, status: str, post, error_code: int | None = None, via: str | None = None
    ):
        """Tell Minka that message `sid` is now `status`, as Twilio does: a signed form posted
        to its StatusCallback with `post` (a test client's); `via` posts it to another address
        than the one signed (what a reverse proxy forwards). The response."""
        with self.lock:
            url = self.status_callbacks.get(sid)
            (resource,) = [m for m in self.messages if m["sid"] == sid]
            resource.update(status=status, error_code=error_code)
        assert url, f"message {sid} was sent without a StatusCallback: Twilio reports nothing"
        params = {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "From": resource["from"] or "",
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": resource["to"],
        }
        if resource["messaging_service_sid"]:
            params["MessagingServiceSid"] = resource["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        signature = sign(url, params)
        return post(via or url, data=params, headers={"X-Twilio-Signature": signature})

    def __call__(self, environ, start_response):
        return self.app(Request(environ))(environ, start_response)

    # --- answering ------------------------------------------------------------------------

    def _error(self, status: int, code: int, message: str) -> Response:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        with self.lock:
            self.refusals.append(body)
        return Response(json.dumps(body), status, content_type="application/json")

    def _authorized(self, request: Request, account: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == ACCOUNT_SID and password == AUTH_TOKEN and account == ACCOUNT_SID

    def app(self, request: Request) -> Response:
        match = _PATH.fullmatch(request.path)
        if match is None:
            return self._error(404, 20404, "The requested resource was not found")
        if request.method != "POST":
            return self._error(405, 20004, "Method not allowed")
        if not self._authorized(request, match["account"]):
            return self._error(401, 20003, "Authenticate")
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            return Response(
                json.dumps({"code": 20500, "message": "Internal Server Error", "status": failure}),
                failure,
                content_type="application/json",
            )
        if request.mimetype != "application/x-www-form-urlencoded":
            return self._error(400, 20001, "Unsupported content type")
        form = request.form
        unknown = sorted(set(form) - PARAMETERS)
        if unknown:
            return self._error(400, 20001, f"Unknown parameter: {unknown[0]}")
        return self._create(form)

    def _create(self, form) -> Response:
        to, sender, service = form.get("To"), form.get("From"), form.get("MessagingServiceSid")
        body = form.get("Body", "")
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return self._error(400, 21603, "A 'From' phone number is required.")
        if service and not _SERVICE.fullmatch(service):
            return self._error(400, 21701, "The Messaging Service Sid is invalid.")
        whatsapp_to = to.startswith("whatsapp:")
        whatsapp_from = bool(sender) and sender.startswith("whatsapp:")
        if sender and whatsapp_to != whatsapp_from:
            return self._error(
                400,
                21910,
                "Invalid From and To pair. From and To should be of the same channel",
            )
        number = to.removeprefix("whatsapp:")
        if not _E164.fullmatch(number):
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        own = {f"whatsapp:{WHATSAPP_FROM}"} if whatsapp_from else {SMS_FROM}
        if sender and sender not in own:
            return self._error(
                400,
                21606 if not whatsapp_from else 63007,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        if not body.strip() and not form.get("MediaUrl") and not form.get("ContentSid"):
            return self._error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return self._error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        callback = form.get("StatusCallback")
        if callback is not None and not _callback_url(callback):
            return self._error(400, 21609, f"The StatusCallback URL {callback} is not a valid URL.")
        if number == LANDLINE and not whatsapp_to:
            return self._error(400, 21614, f"'To' number {to} is not a valid mobile number")
        return self._accepted(to, sender, service, body, callback)

    def _accepted(
        self, to: str, sender: str | None, service: str | None, body: str, callback: str | None
    ) -> Response:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        resource = {
            "account_sid": ACCOUNT_SID,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        with self.lock:
            self.messages.append(resource)
            if callback:
                self.status_callbacks[sid] = callback
        return Response(json.dumps(resource), 201, content_type="application/json")


def _callback_url(url: str) -> bool:
    """Whether Twilio takes `url` as a StatusCallback: absolute http(s), a host without
    underscores, at most 4,000 characters (error 21609's causes)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return (
        len(url) <= 4000
        and parts.scheme in ("http", "https")
        and bool(host)
        and "_" not in host
        and " " not in url
    )


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature as Twilio computes it: base64 of HMAC-SHA1, keyed with the auth
    token, of the full URL followed by each POST parameter's name and value, sorted by name."""
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


def serve() -> tuple[FakeTwilio, callable]:
    """Start the fake on a free loopback port in a daemon thread; (fake, stop function)."""
    fake = FakeTwilio()
    server = make_server("127.0.0.1", 0, fake, threaded=True, request_handler=_Quiet)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="fake-twilio", daemon=True)
    thread.start()

    def shutdown() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return fake, shutdown


def settings(fake: FakeTwilio, whatsapp: bool = True) -> dict:
    """The settings that point an app at the fake."""
    return {
        "MINKA_SMS_ACCOUNT_SID": ACCOUNT_SID,
        "MINKA_SMS_AUTH_TOKEN": AUTH_TOKEN,
        "MINKA_SMS_FROM": SMS_FROM,
        "MINKA_WHATSAPP_FROM": WHATSAPP_FROM if whatsapp else None,
        "MINKA_SMS_API_BASE": fake.url,
        "MINKA_SMS_TIMEOUT": 2.0,
    }
