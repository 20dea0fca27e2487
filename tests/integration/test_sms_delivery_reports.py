"""Delivery reports ("field truth"): with MINKA_PUBLIC_URL set, Minka asks Twilio for a status
callback on every message; the stand-in posts it signed as Twilio does, Minka checks the
signature with the official library and records whether the message reached the phone, never
moving it backwards, and the admin sees it in Spanish."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import DeliveryStatus, OutboundMessage
from marketplace.notifications.services import notify_producer
from marketplace.sms import outbox
from tests import twilio_fake

PUBLIC_URL = "https://minka.example.org"
CALLBACK = PUBLIC_URL + "/sms/estado"
PHONE = "+51987654321"


@pytest.fixture
def reporting(app, twilio, monkeypatch):
    """The stand-in of Twilio, with Minka's public address set (reports asked for)."""
    monkeypatch.setitem(app.config, "MINKA_PUBLIC_URL", PUBLIC_URL)
    return twilio


def _send(make_producer, phone: str = PHONE) -> OutboundMessage:
    producer = make_producer(phone=phone, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    assert outbox.drain() == (1, 0)
    return db.session.scalar(select(OutboundMessage).where(OutboundMessage.to == phone))


def _reloaded(message: OutboundMessage) -> OutboundMessage:
    db.session.expire_all()
    return db.session.get(OutboundMessage, message.id)


def _signed(params: dict, url: str = CALLBACK, token: str = twilio_fake.AUTH_TOKEN) -> dict:
    return {"X-Twilio-Signature": twilio_fake.sign(url, params, token)}


def test_with_a_public_address_each_message_asks_twilio_for_reports(reporting, make_producer):
    message = _send(make_producer)
    assert reporting.status_callbacks == {message.provider_sid: CALLBACK}
    assert message.delivery_status is None  # nothing reported yet


def test_without_a_public_address_no_report_is_asked_for(
    twilio, client, login, make_user, make_producer
):
    message = _send(make_producer)
    assert twilio.status_callbacks == {}
    params = {"MessageSid": message.provider_sid, "MessageStatus": "delivered"}
    response = client.post(CALLBACK, data=params, headers=_signed(params))
    assert response.status_code == 404 and _reloaded(message).delivery_status is None
    login(make_user("admin"))
    page = client.get("/admin/mensajes").get_data(as_text=True)
    assert "Sin MINKA_PUBLIC_URL, Twilio no avisa si los mensajes llegaron" in page


def test_a_delivered_message_shows_as_arrived_on_the_admin_page(
    reporting, client, login, make_user, make_producer
):
    message = _send(make_producer)
    assert reporting.report(message.provider_sid, "sent", client.post).status_code == 200
    assert _reloaded(message).delivery_status == DeliveryStatus.SENT
    assert reporting.report(message.provider_sid, "delivered", client.post).status_code == 200

    message = _reloaded(message)
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert message.delivery_error is None and message.delivery_status_at is not None
    login(make_user("admin"))
    page = client.get("/admin/mensajes").get_data(as_text=True)
    assert "Llegó al celular" in page
    assert "<dt>Llegaron</dt><dd>1</dd>" in page and "<dt>No llegaron</dt><dd>0</dd>" in page


def test_an_undelivered_message_says_why_in_spanish(
    reporting, client, login, make_user, make_producer
):
    message = _send(make_producer)
    response = reporting.report(message.provider_sid, "undelivered", client.post, error_code=30003)
    assert response.status_code == 200

    message = _reloaded(message)
    assert message.delivery_status == DeliveryStatus.UNDELIVERED and message.delivery_error == 30003
    login(make_user("admin"))
    page = client.get("/admin/mensajes").get_data(as_text=True)
    assert "No llegó" in page and "el celular no estaba disponible" in page and "30003" in page
    assert "<dt>Llegaron</dt><dd>0</dd>" in page and "<dt>No llegaron</dt><dd>1</dd>" in page


def test_a_forged_or_unsigned_report_is_refused_and_changes_nothing(
    reporting, client, make_producer
):
    message = _send(make_producer)
    params = {"MessageSid": message.provider_sid, "MessageStatus": "undelivered"}
    forged = _signed(params, token="not-the-auth-token")
    assert client.post(CALLBACK, data=params, headers=forged).status_code == 403
    assert client.post(CALLBACK, data=params).status_code == 403  # no signature at all
    tampered = _signed({**params, "MessageStatus": "delivered"})  # signed something else
    assert client.post(CALLBACK, data=params, headers=tampered).status_code == 403
    assert _reloaded(message).delivery_status is None


def test_behind_a_proxy_the_signature_is_checked_against_the_public_address(
    reporting, client, make_producer
):
    message = _send(make_producer)
    forwarded = "http://127.0.0.1:8000/sms/estado"  # what the proxy hands on
    assert (
        reporting.report(message.provider_sid, "sent", client.post, via=forwarded).status_code
        == 200
    )
    assert _reloaded(message).delivery_status == DeliveryStatus.SENT
    # Signed for the address the request arrived at, not the one given to Twilio: refused.
    params = {"MessageSid": message.provider_sid, "MessageStatus": "delivered"}
    assert (
        client.post(forwarded, data=params, headers=_signed(params, forwarded)).status_code == 403
    )
    assert _reloaded(message).delivery_status == DeliveryStatus.SENT


def test_reports_arriving_out_of_order_never_move_a_message_back(reporting, client, make_producer):
    message = _send(make_producer)
    sid = message.provider_sid
    for status in ("delivered", "sent", "queued", "sending", "undelivered", "failed"):
        assert reporting.report(sid, status, client.post).status_code == 200
        assert _reloaded(message).delivery_status == DeliveryStatus.DELIVERED, status
    assert reporting.report(sid, "read", client.post).status_code == 200  # WhatsApp's last word
    assert _reloaded(message).delivery_status == DeliveryStatus.READ

    other = _send(make_producer, phone="+51987000111")
    reporting.report(other.provider_sid, "undelivered", client.post, error_code=30005)
    reporting.report(other.provider_sid, "sent", client.post)
    other = _reloaded(other)
    assert other.delivery_status == DeliveryStatus.UNDELIVERED and other.delivery_error == 30005


def test_a_report_for_a_message_minka_does_not_know_is_acknowledged(
    reporting, client, make_producer
):
    message = _send(make_producer)
    params = {
        "AccountSid": twilio_fake.ACCOUNT_SID,
        "MessageSid": "SM" + "0" * 32,
        "MessageStatus": "delivered",
    }
    assert client.post(CALLBACK, data=params, headers=_signed(params)).status_code == 200
    assert _reloaded(message).delivery_status is None


# Control characters (NUL...) are refused before any view reads the form (web), with 400.
@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"MessageStatus": "delivered"}, 400),
        ({"MessageSid": "SM\x00" + "0" * 31, "MessageStatus": "delivered"}, 400),
        ({"MessageSid": "x" * 5000, "MessageStatus": "delivered"}, 400),
        ({"MessageSid": "{sid}"}, 400),
        ({"MessageSid": "{sid}", "MessageStatus": "teleported"}, 200),
        ({"MessageSid": "{sid}", "MessageStatus": "undelivered", "ErrorCode": str(10**400)}, 200),
        ({"MessageSid": "{sid}", "MessageStatus": "failed", "ErrorCode": "3\x0003"}, 400),
    ],
)
def test_a_signed_but_malformed_report_never_answers_500(
    reporting, client, make_producer, params, status
):
    message = _send(make_producer)
    params = {name: value.format(sid=message.provider_sid) for name, value in params.items()}
    assert client.post(CALLBACK, data=params, headers=_signed(params)).status_code == status
    message = _reloaded(message)
    assert message.delivery_error is None
    assert message.delivery_status in (None, params.get("MessageStatus"))


def test_reports_need_no_csrf_token_and_are_not_rate_limited(make_app, reporting, make_producer):
    message = _send(make_producer)
    strict = make_app(
        WTF_CSRF_ENABLED=True,
        RATELIMIT_ENABLED=True,
        MINKA_PUBLIC_URL=PUBLIC_URL,
        **twilio_fake.settings(reporting),
    )
    client = strict.test_client()
    statuses = {
        reporting.report(message.provider_sid, status, client.post).status_code
        for status in ["queued", "sending", "sent"] * 15 + ["delivered"]
    }
    assert statuses == {200}
    assert _reloaded(message).delivery_status == DeliveryStatus.DELIVERED
