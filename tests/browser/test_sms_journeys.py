"""SMS journeys on a 360x740 phone in Spanish: a producer resets a forgotten password with the
code the stand-in of Twilio received, and one claims the record her technician made of her.

The live app sends each message right after the request's commit (a thread), as it does in
production without Redis; the test reads the code from the stand-in's received messages."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests import twilio_fake
from tests.browser.conftest import log_in
from tests.browser.test_orders import check_phone_page

MOBILE = "+51987654321"


@pytest.fixture
def live_twilio(live, twilio_server):
    """The live app pointed at the stand-in of Twilio, sending after each commit."""
    twilio_server.reset()
    settings = {**twilio_fake.settings(twilio_server), "MINKA_SMS_SEND_AFTER_COMMIT": True}
    previous = {key: live.app.config.get(key) for key in settings}
    live.app.config.update(settings)
    try:
        yield twilio_server
    finally:
        live.app.config.update(previous)
    assert twilio_server.refusals == []


def _code_sent_to(fake, number: str) -> str:
    for _ in range(100):  # the sender thread runs after the response
        if fake.bodies_to(number):
            return fake.last_code_to(number)
        time.sleep(0.1)
    raise AssertionError(f"no SMS reached {number}")


def test_a_producer_resets_her_password_by_sms_and_signs_in(
    app, live_twilio, new_context, make_user
) -> None:
    user = make_user("producer", name="Rosa Quispe", email=None, phone=MOBILE)
    problems: list[str] = []
    page = new_context().new_page()

    page.goto("/ingresar")
    page.get_by_role("link", name="¿Olvidó su clave?").click()
    check_phone_page(page, "olvido", problems)
    page.get_by_label("Su celular").fill("987 654 321")
    page.get_by_role("button", name="Enviarme el código").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nueva contraseña")
    expect(page.get_by_text("Si ese celular tiene una cuenta en Minka")).to_be_visible()
    check_phone_page(page, "nueva clave", problems)

    code = _code_sent_to(live_twilio, MOBILE)
    page.get_by_label("Código recibido por SMS").fill(code)
    page.get_by_label("Nueva contraseña", exact=True).fill("cacao-de-lamas-2027")
    page.get_by_label("Repita la nueva contraseña").fill("cacao-de-lamas-2027")
    page.get_by_role("button", name="Cambiar la contraseña").click()
    expect(page.get_by_text("Su contraseña fue cambiada")).to_be_visible()

    page.get_by_label("Correo o celular").fill("987654321")
    page.get_by_label("Contraseña", exact=True).fill("cacao-de-lamas-2027")
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hola, {user.name}")
    assert problems == []


def test_a_producer_claims_the_record_her_technician_made_and_sees_her_farms(
    app, live_twilio, new_context, make_user, make_producer, make_farm
) -> None:
    technician = make_user("technician")
    record = make_producer(
        first_name="Rosa",
        last_name="Quispe Mamani",
        national_id="45872136",
        phone="+51976543210",
        registered_by_id=technician.id,
    )
    make_farm(record, name="Finca Santa Rosa")
    rosa = make_user("producer", name="Rosa Quispe Mamani", email="rosa@example.org")
    problems: list[str] = []
    page = new_context().new_page()
    log_in(page, rosa)
    page.goto("/mis-datos")
    expect(page.get_by_label("Recibir avisos por SMS en este celular")).to_be_visible()
    check_phone_page(page, "mis datos", problems)
    page.get_by_label("Mujer").check()
    page.get_by_label("Documento de identidad").fill("45872136")
    page.get_by_role("button", name="Guardar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Su registro ya existe")
    expect(page.get_by_text("***-***-210")).to_be_visible()
    check_phone_page(page, "reclamar", problems)
    page.get_by_role("button", name="Enviarme un código por SMS").click()
    code = _code_sent_to(live_twilio, "+51976543210")
    page.get_by_label("Código recibido por SMS").fill(code)
    page.get_by_role("button", name="Unir mi cuenta a mi registro").click()

    expect(page.get_by_text("su cuenta quedó unida a su registro")).to_be_visible()
    expect(page.get_by_text("Finca Santa Rosa").first).to_be_visible()
    page.goto("/mis-fincas")
    expect(page.get_by_text("Finca Santa Rosa").first).to_be_visible()
    assert problems == []
