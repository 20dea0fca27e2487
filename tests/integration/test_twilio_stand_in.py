"""The stand-in of Twilio refuses what Twilio refuses, in Twilio's error shape, so that the
SMS tests cannot pass on requests the real service would reject."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from tests import twilio_fake
from tests.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, WHATSAPP_FROM


class _ToStandIn(TwilioHttpClient):
    def __init__(self, base: str):
        super().__init__(timeout=2)
        self.base = base

    def request(self, method, url, *args, **kwargs):
        return super().request(
            method, url.replace("https://api.twilio.com", self.base), *args, **kwargs
        )


@pytest.fixture
def fake(twilio_server):
    twilio_server.reset()
    yield twilio_server
    twilio_server.reset()


def _client(fake, token: str = AUTH_TOKEN) -> Client:
    return Client(ACCOUNT_SID, token, http_client=_ToStandIn(fake.url), environment={})


def _refused(fake, token: str = AUTH_TOKEN, **params) -> int:
    with pytest.raises(TwilioRestException) as caught:
        _client(fake, token).messages.create(**params)
    assert fake.refusals[-1]["more_info"].endswith(str(caught.value.code))
    return caught.value.code


def test_a_good_message_is_a_queued_message_resource(fake):
    message = _client(fake).messages.create(to="+51987654321", from_=SMS_FROM, body="Hola")
    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued" and message.num_segments == "1"
    via_service = _client(fake).messages.create(
        to="+51987654321", messaging_service_sid="MG" + "a" * 32, body="Hola"
    )
    assert via_service.status == "accepted"
    assert fake.refusals == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"to": "987654321", "from_": SMS_FROM, "body": "x"}, 21211),
        ({"to": "+51987654321", "from_": SMS_FROM, "body": ""}, 21602),
        ({"to": "+51987654321", "body": "x"}, 21603),
        ({"to": "+51987654321", "from_": "+15550001111", "body": "x"}, 21606),
        ({"to": "+51987654321", "from_": SMS_FROM, "body": "x" * 1601}, 21617),
        ({"to": "whatsapp:+51987654321", "from_": SMS_FROM, "body": "x"}, 21910),
        ({"to": "+51987654321", "from_": f"whatsapp:{WHATSAPP_FROM}", "body": "x"}, 21910),
        ({"to": twilio_fake.LANDLINE, "from_": SMS_FROM, "body": "x"}, 21614),
        ({"to": "+51987654321", "messaging_service_sid": "MG123", "body": "x"}, 21701),
        (
            {
                "to": "+51987654321",
                "from_": SMS_FROM,
                "body": "x",
                "status_callback": "/sms/estado",
            },
            21609,
        ),
        (
            {
                "to": "+51987654321",
                "from_": SMS_FROM,
                "body": "x",
                "status_callback": "ftp://a.org/x",
            },
            21609,
        ),
        (
            {
                "to": "+51987654321",
                "from_": SMS_FROM,
                "body": "x",
                "status_callback": "https://a_b.org/x",
            },
            21609,
        ),
    ],
)
def test_what_twilio_refuses_is_refused_with_its_code(fake, params, code):
    assert _refused(fake, **params) == code


def test_a_status_callback_is_kept_for_the_reports(fake):
    callback = "https://minka.example.org/sms/estado"
    message = _client(fake).messages.create(
        to="+51987654321", from_=SMS_FROM, body="Hola", status_callback=callback
    )
    assert fake.status_callbacks == {message.sid: callback} and fake.refusals == []


def test_wrong_credentials_are_refused(fake):
    assert _refused(fake, "wrong", to="+51987654321", from_=SMS_FROM, body="x") == 20003


def test_an_unknown_parameter_is_refused(fake):
    data = urllib.parse.urlencode(
        {"To": "+51987654321", "From": SMS_FROM, "Body": "x", "Bodyy": "y"}
    ).encode()
    request = urllib.request.Request(
        f"{fake.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json", data=data
    )
    auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    request.add_header("Authorization", f"Basic {auth}")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    body = json.loads(caught.value.read())
    assert caught.value.code == 400 and body["code"] == 20001 and "Bodyy" in body["message"]
    assert fake.messages == []


def test_a_text_outside_gsm7_costs_more_parts():
    assert twilio_fake.segments("a" * 160) == 1
    assert twilio_fake.segments("a" * 161) == 2
    assert twilio_fake.segments("á" * 70) == 1 and twilio_fake.segments("á" * 71) == 2
