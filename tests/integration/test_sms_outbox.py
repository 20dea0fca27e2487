"""Messages to producers' phones: queued with the change, sent after it through the official
twilio library to the loopback stand-in of Twilio, retried, never sent twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.extensions import db
from marketplace.models import MessageChannel, MessageStatus, Notification, OutboundMessage
from marketplace.models.base import utcnow
from marketplace.notifications.services import notify_producer, notify_user
from marketplace.sms import outbox
from tests import twilio_fake

PHONE = "+51987654321"


def _messages() -> list[OutboundMessage]:
    return list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def _due_now() -> None:
    db.session.execute(update(OutboundMessage).values(next_attempt_at=utcnow()))
    db.session.commit()


def test_an_opted_in_producer_gets_the_notice_by_sms_once_it_is_sent(
    twilio, make_user, make_producer
):
    user = make_user("producer")
    make_producer(user_id=user.id, phone=PHONE, sms_opt_in=True)
    notify_user(user.id, "order.confirmed", order=41, title="Abono orgánico")
    db.session.commit()

    assert twilio.messages == []  # nothing leaves before the outbox is drained
    assert outbox.drain() == (1, 0)

    (sent,) = twilio.messages
    assert sent["to"] == PHONE and sent["from"] == twilio_fake.SMS_FROM
    assert sent["body"] == "Minka: su pedido #41 (Abono organico) fue confirmado."
    assert sent["num_segments"] == "1" and sent["status"] == "queued"
    (message,) = _messages()
    assert message.status == MessageStatus.SENT and message.provider_sid == sent["sid"]
    assert message.provider_sid.startswith("SM") and message.attempts == 1
    assert outbox.drain() == (0, 0)  # sent once
    assert db.session.scalar(select(Notification.kind)) == "order.confirmed"


def test_whatsapp_goes_with_the_whatsapp_prefix_on_both_numbers(twilio, make_producer):
    producer = make_producer(phone=PHONE, sms_opt_in=False, whatsapp_opt_in=True)
    notify_producer(producer, "delivery.recorded", code="D-1", kg=120.5)
    db.session.commit()
    outbox.drain()
    (sent,) = twilio.messages
    assert sent["to"] == f"whatsapp:{PHONE}"
    assert sent["from"] == f"whatsapp:{twilio_fake.WHATSAPP_FROM}"
    assert _messages()[0].channel == MessageChannel.WHATSAPP


def test_a_producer_without_an_account_is_reached_by_sms_only(twilio, make_producer):
    producer = make_producer(phone=PHONE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    assert db.session.scalar(select(Notification.id)) is None
    assert outbox.drain() == (1, 0)
    assert twilio.bodies_to(PHONE) == ["Minka: Caja Rural no aprobo el crédito de su grupo."]


def test_nothing_is_queued_without_opt_in_or_without_settings(
    app, twilio, make_producer, make_user
):
    quiet = make_producer(phone=PHONE)  # no opt-in
    notify_producer(quiet, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    assert _messages() == []

    keen = make_producer(phone="+51987000111", sms_opt_in=True)
    app.config["MINKA_SMS_ACCOUNT_SID"] = None  # SMS not configured
    notify_producer(keen, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    assert _messages() == []


def test_a_rolled_back_change_sends_nothing(twilio, make_producer):
    producer = make_producer(phone=PHONE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.rollback()
    assert _messages() == [] and outbox.drain() == (0, 0)


def test_a_failed_send_is_recorded_and_tried_again_later(twilio, make_producer):
    producer = make_producer(phone=PHONE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    twilio.fail_next(503)

    assert outbox.drain() == (0, 1)
    (message,) = _messages()
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert "503" in message.last_error and message.next_attempt_at > utcnow()
    assert outbox.drain() == (0, 0)  # not yet due

    _due_now()
    assert outbox.drain() == (1, 0)
    assert _messages()[0].status == MessageStatus.SENT and len(twilio.messages) == 1


def test_a_number_twilio_refuses_is_failed_without_retrying(twilio, make_producer):
    producer = make_producer(phone=twilio_fake.LANDLINE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    assert outbox.drain() == (0, 1)
    (message,) = _messages()
    assert message.status == MessageStatus.FAILED and "21614" in message.last_error
    assert [r["code"] for r in twilio.refusals] == [21614]
    twilio.refusals.clear()


def test_tries_stop_at_the_limit(app, twilio, make_producer):
    app.config["MINKA_SMS_MAX_ATTEMPTS"] = 2
    try:
        producer = make_producer(phone=PHONE, sms_opt_in=True)
        notify_producer(producer, "credit.group_declined", lender="Caja Rural")
        db.session.commit()
        twilio.fail_next(500, times=2)
        outbox.drain()
        _due_now()
        outbox.drain()
        assert _messages()[0].status == MessageStatus.FAILED
    finally:
        app.config["MINKA_SMS_MAX_ATTEMPTS"] = 5


def test_a_row_claimed_by_another_sender_is_not_sent_again(twilio, make_producer):
    producer = make_producer(phone=PHONE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    (message,) = _messages()
    assert outbox._claim(message.id, 0)  # another drain took it
    assert not outbox._claim(message.id, 0)
    assert outbox.drain() == (0, 0) and twilio.messages == []
    db.session.execute(
        update(OutboundMessage).values(next_attempt_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()  # its lease ran out: the next drain sends it
    assert outbox.drain() == (1, 0)


def test_erasing_a_producer_removes_her_messages_and_her_consent_to_them(
    twilio, make_user, make_producer, tmp_path
):
    from marketplace.models import OneTimeCode
    from marketplace.privacy import erasure
    from marketplace.privacy import services as privacy

    user = make_user("producer")
    producer = make_producer(user_id=user.id, phone=PHONE, sms_opt_in=True, whatsapp_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    outbox.drain()
    from marketplace.auth import services as auth

    auth.request_password_reset(PHONE)
    request = privacy.file_request(user, producer, "deletion", "Ya no vendo cacao")
    receipt = erasure.carry_out(make_user("admin"), request, tmp_path)

    assert _messages() == [] and db.session.scalar(select(OneTimeCode.id)) is None
    db.session.refresh(producer)
    assert not producer.sms_opt_in and not producer.whatsapp_opt_in
    removed = {line["item"]: line["count"] for line in receipt["removed"]}
    assert removed["notifications"] == 4  # the notice in the app, by SMS and WhatsApp; a code


def test_her_data_export_holds_her_messages_without_a_codes_digits(
    twilio, make_user, make_producer
):
    from marketplace.auth import services as auth
    from marketplace.privacy import export

    user = make_user("producer", email=None, phone=PHONE)
    producer = make_producer(user_id=user.id, phone=PHONE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    auth.request_password_reset(PHONE)  # queued, not yet sent: its text still has the code
    data = export.collect(producer)
    notice, code = data["text_messages"]
    assert notice["body"].startswith("Minka: Caja Rural") and code["body"] == outbox.REDACTED
    assert "code_hash" not in data["one_time_codes"][0]


def test_the_admin_menu_offers_text_messages_only_while_sms_is_configured(
    app, twilio, client, login, make_user, monkeypatch
):
    login(make_user("admin"))

    def menu() -> str:
        page = client.get("/admin/mensajes").get_data(as_text=True)
        return page[page.index('<nav class="nav"') : page.index("</nav>")]

    assert 'href="/admin/mensajes"' in menu() and "Mensajes de texto" in menu()
    monkeypatch.setitem(app.config, "MINKA_SMS_ACCOUNT_SID", None)  # SMS not configured
    assert 'href="/admin/mensajes"' not in menu() and "Mensajes de texto" not in menu()
    page = client.get("/admin/mensajes").get_data(as_text=True)  # still there, and says so
    assert "SMS no configurado" in page


def test_the_admin_sees_how_messages_stand_without_numbers_or_codes(
    twilio, client, login, make_user, make_producer
):
    from marketplace.auth import services as auth

    producer = make_producer(phone=PHONE, sms_opt_in=True)
    notify_producer(producer, "credit.group_declined", lender="Caja Rural")
    db.session.commit()
    twilio.fail_next(503)
    outbox.drain()
    make_user(email=None, phone="+51911222333")
    auth.request_password_reset("+51911222333")
    login(make_user("admin"))
    page = client.get("/admin/mensajes").get_data(as_text=True)
    assert "Mensajes de texto" in page and "***-***-321" in page and PHONE not in page
    assert "Minka: Caja Rural no aprobo" in page and "503" in page
    assert "Código de un solo uso (no se muestra)" in page
    code = db.session.scalar(
        select(OutboundMessage.body).where(OutboundMessage.user_id.is_not(None))
    )
    assert code not in page


def test_the_supplier_confirming_and_delivering_her_order_texts_her(
    twilio, make_user, make_org, make_producer, make_farm, make_listing, make_center
):
    from types import SimpleNamespace

    from marketplace.orders import services as orders
    from tests.integration.test_orders import place

    supplier = make_user("supplier")
    coop = make_org("cooperative")
    user = make_user("producer")
    producer = make_producer(user_id=user.id, cooperative_id=coop.id, phone=PHONE, sms_opt_in=True)
    shop = SimpleNamespace(
        supplier=supplier,
        listing=make_listing(supplier.organization, price_minor=4500, stock=20),
        center=make_center(coop),
        user=user,
        producer=producer,
        farm=make_farm(producer),
    )
    order = place(shop)
    assert _messages() == []  # placing tells the supplier, not her
    orders.confirm(shop.supplier, order)
    orders.mark_delivered(shop.supplier, order)
    assert outbox.drain() == (2, 0)
    confirmed, delivered = twilio.bodies_to(PHONE)
    assert confirmed.startswith(f"Minka: su pedido #{order.id} (") and "confirmado" in confirmed
    assert "entregado" in delivered


def test_a_delivery_with_the_checkoff_texts_what_was_withheld_for_her_loan(
    twilio, make_org, make_user, make_center, make_commitment, make_producer, make_farm,
    make_credit_product,
):  # fmt: skip
    from tests.integration import deliveries
    from tests.integration.loans import new_loan

    world = deliveries.centre(make_org, make_user, make_center, make_commitment)
    producer, _, row = deliveries.producer_with_pledge(make_producer, make_farm, world, kg=2_000)
    producer.phone, producer.sms_opt_in = PHONE, True  # registered by her technician: no account
    new_loan(producer, make_credit_product(), amount_minor=300_000)

    delivery = deliveries.deliver(world, row, 7, days_ago=3)  # 7 x 950 = 6,650; 30 % = 1,995
    assert outbox.drain() == (1, 0)
    (text,) = twilio.bodies_to(PHONE)
    assert text == (
        f"Minka: entrega {delivery.code} registrada: 7 kg. Descontado para su préstamo: S/ 19.95."
    )
