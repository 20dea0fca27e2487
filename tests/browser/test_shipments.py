"""Issue 13's shipment journey in Spanish on a 360x740 phone: the buyer builds a shipment for
an EU importer from two closed lots, downloads the geolocation file and the pending list,
prepares it for filing and records the DDS reference and verification numbers, which then
show on the lot's page."""

from __future__ import annotations

import csv
import json
import re

from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.models import Consent
from marketplace.traceability import lots
from tests.browser.conftest import log_in
from tests.browser.test_orders import check_phone_page
from tests.integration.deliveries import centre, deliver, producer_with_pledge


def closed_lot(world, make_producer, make_farm, kg: int, weight: int, name: str):
    producer, _, pledge = producer_with_pledge(
        make_producer, make_farm, world, kg=kg, total_ha=3.0, risk_status="free", name=name
    )
    db.session.add(Consent(producer_id=producer.id, scope="buyers", granted=True))
    db.session.commit()
    delivery = deliver(world, pledge, kg)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [delivery.id])
    lots.set_weight(world.staff, lot, weight)
    return lots.close_lot(world.staff, lot)


def test_the_buyer_builds_a_shipment_downloads_its_files_and_records_the_dds(
    app,
    new_context,
    browser_problems,
    make_org,
    make_user,
    make_center,
    make_commitment,
    make_producer,
    make_farm,
) -> None:
    world = centre(make_org, make_user, make_center, make_commitment)
    first = closed_lot(world, make_producer, make_farm, 600, 590, "Parcela Santa Rosa")
    second = closed_lot(world, make_producer, make_farm, 400, 395, "Parcela El Manantial")
    problems: list[str] = []

    page = new_context(accept_downloads=True).new_page()
    log_in(page, world.buyer)
    page.goto("/compras/embarques")
    check_phone_page(page, "shipments", problems)
    page.get_by_role("link", name="Nuevo embarque").click()
    page.get_by_label("Descripción de la mercancía").fill("Cacao en grano seco fermentado")
    page.get_by_label("Importador en la UE").fill("Chocolaterie Amsterdam BV")
    page.get_by_label("País del importador").select_option("NL")
    page.get_by_label("EORI del importador").fill("PE123")  # not an EU EORI
    page.get_by_label("Exportador", exact=True).fill("Cacao Andino SAC")
    page.get_by_role("button", name="Crear el embarque").click()
    expect(page.get_by_role("main")).to_contain_text("El EORI del importador son las 2 letras")
    check_phone_page(page, "new shipment, refused", problems)
    page.get_by_label("EORI del importador").fill("NL812345678")
    page.get_by_role("button", name="Crear el embarque").click()
    expect(page.get_by_role("status").first).to_contain_text("Embarque EMB-PE-")
    main = page.get_by_role("main")

    page.get_by_role("checkbox", name=first.code).check()
    page.get_by_role("checkbox", name=second.code).check()
    page.get_by_role("button", name="Agregar al embarque").click()
    expect(main).to_contain_text("985 kg")  # 590 + 395: the lots' output
    expect(main).to_contain_text("Parte 1 de 1")
    expect(main).to_contain_text("Ninguna parcela pendiente.")
    check_phone_page(page, "shipment draft", problems)

    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar GeoJSON (parte 1)").click()
    with open(download.value.path(), encoding="utf-8") as geojson:
        exported = json.load(geojson)
    places = {f["properties"]["ProductionPlace"] for f in exported["features"]}
    assert {place.split(" ", 1)[1] for place in places} == {
        "Parcela Santa Rosa",
        "Parcela El Manantial",
    }
    assert all(re.match(r"PE-FARM-\d{6} ", place) for place in places)  # the plot ids
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar la lista de pendientes (CSV)").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as pending:
        assert list(csv.DictReader(pending)) == []  # every plot is in the file

    page.get_by_role("button", name="Preparar para presentar").click()
    expect(page.locator(".badge", has_text="Listo para presentar")).to_be_visible()
    page.get_by_label("Número de referencia del DDS").fill("25NLSN6LX6973")  # one short
    page.get_by_label("Número de verificación").fill("K7R8LA90")
    page.get_by_role("button", name="Registrar los números del DDS").click()
    expect(main).to_contain_text("El número de referencia tiene 14 caracteres")
    check_phone_page(page, "shipment ready, refused", problems)
    page.get_by_label("Número de referencia del DDS").fill("25NLSN6LX69730")
    page.get_by_role("button", name="Registrar los números del DDS").click()
    expect(page.locator(".badge", has_text="Presentado")).to_be_visible()
    expect(main).to_contain_text("25NLSN6LX69730")
    check_phone_page(page, "shipment filed", problems)

    page.get_by_role("link", name=first.code).click()
    expect(page.get_by_role("main")).to_contain_text("DDS 25NLSN6LX69730")
    expect(page.get_by_role("main")).to_contain_text("verificación K7R8LA90")
    check_phone_page(page, "buyer's lot with its shipment", problems)
    assert not problems, problems
    # the two refused forms answer 422 by design; the browser logs each as a failed load
    refused = [p for p in browser_problems if "422" in p]
    assert len(refused) == 2, browser_problems
    for problem in refused:
        browser_problems.remove(problem)
