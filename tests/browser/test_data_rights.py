"""A producer's data rights on a 360 px phone, in Spanish: she reads and downloads her data,
objects to credit scoring and asks for deletion; the admin carries it out (Chromium)."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from marketplace.extensions import db
from marketplace.models import Producer, User
from tests.browser.conftest import log_in
from tests.browser.test_journeys import overflow


def test_a_producer_downloads_objects_and_asks_for_deletion(
    app, page: Page, new_context, make_user, make_org, make_producer, make_farm
) -> None:
    coop = make_org("cooperative")
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(
        user_id=user.id, cooperative_id=coop.id, first_name="Rosa", last_name="Quispe Tapia"
    )
    make_farm(producer, name="La Esperanza")
    log_in(page, user)

    page.goto("/mis-datos")
    rights = page.get_by_role("region", name="Sus datos y sus derechos")
    rights.get_by_role("link", name="Ver y descargar todos sus datos").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rosa Quispe Tapia")
    expect(page.get_by_role("heading", name="Fincas y parcelas")).to_be_visible()
    assert overflow(page) is None
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar en formato JSON").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert data["producer"]["national_id"] == producer.national_id

    page.goto("/mis-datos/derechos")
    page.get_by_role("link", name="Oponerse a un uso de sus datos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Oponerse a un uso de sus datos")
    assert overflow(page) is None
    page.get_by_role("button", name="Me opongo").first.click()
    expect(page.get_by_role("status").first).to_contain_text("ya está en vigor")
    expect(page.get_by_role("button", name="Retirar mi oposición")).to_have_count(1)

    page.goto("/mis-datos/derechos")
    page.get_by_role("link", name="Pedir que se borren sus datos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pedir que se borren sus datos")
    assert overflow(page) is None
    page.get_by_role("button", name="Pedir la supresión").click()
    expect(page.get_by_text("Marque la casilla para confirmar.").first).to_be_visible()
    page.get_by_label("Entiendo que mi cuenta se cerrará").check()
    page.get_by_role("button", name="Pedir la supresión").click()
    expect(page.get_by_role("status").first).to_contain_text("Solicitud de supresión enviada")
    expect(page.get_by_text("Minka debe responder a más tardar el")).to_be_visible()

    admin_page = new_context().new_page()
    log_in(admin_page, make_user("admin", name="Ana Admin"))
    admin_page.get_by_role("link", name="Ver solicitudes sobre datos").click()
    expect(admin_page.get_by_role("heading", level=1)).to_have_text(
        "Solicitudes sobre datos personales"
    )
    assert overflow(admin_page) is None
    admin_page.get_by_role("link", name="Supresión de sus datos").click()
    admin_page.get_by_role("button", name="Ejecutar la supresión").click()
    expect(admin_page.get_by_role("heading", name="Constancia de supresión")).to_be_visible()
    expect(admin_page.get_by_text("Préstamos, cuotas y pagos")).to_be_visible()
    assert overflow(admin_page) is None

    db.session.expire_all()
    assert db.session.get(Producer, producer.id).erased_at is not None
    assert db.session.get(User, user.id).active is False
    page.goto("/mis-datos")
    expect(page).to_have_url(re.compile(r"/ingresar"))
