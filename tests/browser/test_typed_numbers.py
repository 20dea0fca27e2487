"""Numbers typed the Spanish way on a phone reach the database as typed: a technician
registers a farm of "7,25" ha with "4,5" in production, a buyer asks for "7,5" % humidity.

The keys are pressed one by one, as a person types them: a `type=number` input in a Spanish
Chromium used to turn "4,5" into 45.
"""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Farm, PurchaseCommitment
from marketplace.models.base import local_today
from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_journeys import fill_farm


def type_into(field: Locator, text: str) -> None:
    """Clear the field, then press each key of `text`."""
    field.clear()
    field.press_sequentially(text)


def expect_typed_decimal(field: Locator) -> None:
    """A plain text input that asks the phone for its number keyboard."""
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_attribute("inputmode", "decimal")


def test_a_farm_typed_with_decimal_commas_is_stored_as_typed(
    app, page: Page, make_user, make_producer
) -> None:
    technician = make_user("technician", name="Lucía Técnica")
    producer = make_producer(
        first_name="Juan", last_name="Pérez", cooperative_id=technician.organization_id
    )
    log_in(page, technician)

    page.goto(f"/productores/{producer.id}/fincas/nueva")
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar una finca")
    fill_farm(page, name="Parcela Huallaga")
    total = page.get_by_label("Área total (ha)")
    productive = page.get_by_label("Área en producción (ha)")
    for field in (total, productive, page.get_by_label("Latitud")):
        expect_typed_decimal(field)
    type_into(total, "7,25")
    type_into(productive, "4,5")
    type_into(page.get_by_label("Bosque (ha)"), "1,5")
    type_into(page.get_by_label("Latitud"), "-7,176667")
    expect(total).to_have_value("7,25")
    expect(productive).to_have_value("4,5")
    page.get_by_role("button", name="Guardar finca").click()

    expect(page.get_by_role("status")).to_contain_text("Finca guardada.")
    db.session.expire_all()
    farm = db.session.scalar(select(Farm).where(Farm.producer_id == producer.id))
    assert (farm.total_ha, farm.productive_ha, farm.forest_ha) == (7.25, 4.5, 1.5)
    assert farm.lat == -7.176667

    # The edit form shows them back in the viewer's way (Peru: a decimal point).
    page.goto(f"/productores/{producer.id}/fincas/{farm.id}/editar")
    expect(page.get_by_label("Área en producción (ha)")).to_have_value("4.5")
    expect(page.get_by_label("Área total (ha)")).to_have_value("7.25")


def test_a_humidity_typed_with_a_decimal_comma_is_stored_as_typed(
    app, page: Page, make_user
) -> None:
    buyer = make_user("buyer", name="Diego Ferreyra")
    start = local_today() + timedelta(days=45)
    log_in(page, buyer)

    menu_entry(page, "Mis compromisos").click()
    page.get_by_role("link", name="Publicar un compromiso").click()
    page.get_by_label("Producto", exact=True).fill("Cacao en grano seco")
    page.get_by_label("Cadena de valor").select_option(label="Cacao")
    type_into(page.get_by_label("Volumen total (kg)"), "20.000")
    type_into(page.get_by_label("Mínimo por productor (kg)"), "100")
    type_into(page.get_by_label("Máximo por productor (kg)"), "3.000")
    page.get_by_role("checkbox", name="San Martín").check()
    page.get_by_label("Precio por kg").fill("9,50")
    humidity = page.get_by_label("Humedad máxima (%)")
    expect_typed_decimal(humidity)
    expect(page.get_by_label("Volumen total (kg)")).to_have_attribute("inputmode", "numeric")
    type_into(humidity, "7,5")
    expect(humidity).to_have_value("7,5")
    page.get_by_label("Inicio de la entrega").fill(start.isoformat())
    page.get_by_label("Fin de la entrega").fill((start + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="Publicar compromiso").click()

    expect(page.get_by_role("status")).to_contain_text("Compromiso publicado.")
    expect(page).to_have_url(re.compile(r"/compras/compromisos/\d+$"))
    db.session.expire_all()
    commitment = db.session.scalar(select(PurchaseCommitment))
    assert commitment.max_humidity_pct == 7.5
    assert (commitment.volume_kg, commitment.max_kg_per_producer) == (20_000, 3_000)
