"""A forgotten password, reset with a six-digit code sent by SMS (through the stand-in of
Twilio): hashed, ten minutes, five tries, one use; the same answer for every number."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.models import AuditLog, OneTimeCode, OutboundMessage, User
from marketplace.models.base import utcnow
from marketplace.sms import outbox
from tests import twilio_fake
from tests.conftest import PASSWORD

MOBILE = "+51987654321"
NEW = "cacao-de-lamas-2027"


def _ask(client, phone="987 654 321"):
    return client.post("/ingresar/olvido", data={"phone": phone})


def _reset(client, code, password=NEW):
    return client.post(
        "/ingresar/nueva-clave", data={"code": code, "password": password, "confirm": password}
    )


def _audit() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_without_sms_the_link_is_hidden_and_the_page_says_why(client):
    assert "¿Olvidó su clave?" not in client.get("/ingresar").get_data(as_text=True)
    response = client.get("/ingresar/olvido")
    assert response.status_code == 404
    assert "Minka no envía SMS en este momento" in response.get_data(as_text=True)
    assert _ask(client).status_code == 404
    assert client.get("/ingresar/nueva-clave").status_code == 302


def test_a_producer_resets_her_password_with_the_code_and_signs_in(twilio, client, make_user):
    user = make_user(email=None, phone=MOBILE)
    version = user.session_version
    page = client.get("/ingresar").get_data(as_text=True)
    assert "/ingresar/olvido" in page

    response = _ask(client)
    assert response.status_code == 302 and response.location.endswith("/ingresar/nueva-clave")
    assert outbox.drain() == (1, 0)
    code = twilio.last_code_to(MOBILE)
    assert twilio.messages[0]["num_segments"] == "1"

    stored = db.session.scalar(select(OneTimeCode))
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert db.session.scalar(select(OutboundMessage.body)) == outbox.REDACTED

    response = _reset(client, code)
    assert response.status_code == 302 and response.location.endswith("/ingresar")
    db.session.refresh(user)
    assert user.check_password(NEW) and user.session_version == version + 1
    assert _audit() == ["user.reset_code_sent", "user.password_reset"]
    signed_in = client.post("/ingresar", data={"identifier": "987654321", "password": NEW})
    assert signed_in.status_code == 302
    assert _reset(client, code).status_code == 302  # the reset phone left the session


def test_an_unknown_number_gets_the_same_answer_and_no_message(twilio, client, make_user):
    make_user(email=None, phone=MOBILE)
    known = _ask(client)
    unknown_client = client.application.test_client()
    unknown = _ask(unknown_client, "912 000 000")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    page = unknown_client.get("/ingresar/nueva-clave").get_data(as_text=True)
    assert "Si ese celular tiene una cuenta en Minka" in page
    assert db.session.scalar(select(OutboundMessage.to)) == MOBILE  # only the known one
    # the unknown number made a code too (the same work), for no account: nothing matches it
    assert [row.user_id for row in db.session.scalars(select(OneTimeCode))].count(None) == 1
    refused = _reset(unknown_client, "123456")
    assert refused.status_code == 200
    assert "El código no es correcto o ya venció" in refused.get_data(as_text=True)


def test_a_wrong_expired_or_worn_out_code_is_refused(twilio, client, make_user):
    user = make_user(email=None, phone=MOBILE)
    _ask(client)
    outbox.drain()
    code = twilio.last_code_to(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert "no es correcto" in _reset(client, wrong).get_data(as_text=True)
    assert "no es correcto" in _reset(client, code).get_data(as_text=True)  # five tries used
    db.session.refresh(user)
    assert user.check_password(PASSWORD)

    _ask(client)
    outbox.drain()
    code = twilio.last_code_to(MOBILE)
    db.session.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert "no es correcto" in _reset(client, code).get_data(as_text=True)


def test_a_new_code_ends_the_previous_one_and_a_weak_password_keeps_the_code(
    twilio, client, make_user
):
    make_user(email=None, phone=MOBILE)
    _ask(client)
    outbox.drain()
    first = twilio.last_code_to(MOBILE)
    _ask(client)
    outbox.drain()
    second = twilio.last_code_to(MOBILE)
    if first != second:
        assert "no es correcto" in _reset(client, first).get_data(as_text=True)
    weak = _reset(client, second, "12345678")
    assert weak.status_code == 200 and "no es correcto" not in weak.get_data(as_text=True)
    assert _reset(client, second).status_code == 302


def test_an_account_signed_up_by_email_resets_with_her_producer_mobile(
    twilio, client, make_user, make_producer
):
    user = make_user(email="rosa@example.org")
    make_producer(user_id=user.id, phone=MOBILE)
    _ask(client)
    outbox.drain()
    assert _reset(client, twilio.last_code_to(MOBILE)).status_code == 302
    assert db.session.get(User, user.id).check_password(NEW)


def test_asking_for_codes_is_limited_per_number(twilio, make_app, make_user):
    make_user(email=None, phone=MOBILE)
    limited = make_app(
        RATELIMIT_ENABLED=True,
        MINKA_SMS_CODE_LIMIT="2 per hour",
        MINKA_SMS_SEND_AFTER_COMMIT=False,
        **twilio_fake.settings(twilio),
    ).test_client()
    statuses = [
        limited.post(
            "/ingresar/olvido", data={"phone": phone}, environ_base={"REMOTE_ADDR": address}
        ).status_code
        for phone, address in [
            ("987654321", "10.0.0.1"),
            ("+51 987 654 321", "10.0.0.2"),
            ("987-654-321", "10.0.0.3"),
        ]
    ]
    assert statuses == [302, 302, 429]


def test_codes_a_day_past_their_expiry_are_deleted(twilio, client, make_user):
    make_user(email=None, phone=MOBILE)
    _ask(client)
    db.session.execute(update(OneTimeCode).values(expires_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    _ask(client)
    (left,) = db.session.scalars(select(OneTimeCode)).all()  # the new one only
    assert left.expires_at > utcnow()
