"""Issue 6's journey in Spanish on a 360x740 phone: a technician draws a farm's outline and
records field evidence; the collection centre's staff record the harvest delivered against
the producer's pledge and put it in a lot; the buyer opens the lot's map and downloads the
due-diligence GeoJSON; the producer sees the part deducted for her loan."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.forest import layers
from marketplace.models import Consent, Pledge
from marketplace.models.base import local_today
from marketplace.traceability import eudr_geojson
from tests.browser.conftest import log_in
from tests.browser.test_orders import check_phone_page
from tests.browser.test_plots import draw_square_and_save
from tests.integration.loans import new_loan
from tests.integration.test_forest_risk import extent_only, write_layer


def test_from_the_plot_to_the_buyers_lot_and_the_loan_deduction(
    app,
    new_context,
    live,
    tmp_path,
    monkeypatch,
    make_user,
    make_org,
    make_producer,
    make_farm,
    make_center,
    make_commitment,
    make_credit_product,
) -> None:
    monkeypatch.setattr(live.app, "instance_path", str(tmp_path))
    coop = make_org("cooperative", name="Cooperativa Oro Verde")
    technician = make_user("technician", name="Lucía Técnica", organization=coop)
    rosa_user = make_user("producer", name="Rosa Quispe")
    rosa = make_producer(cooperative_id=coop.id, user_id=rosa_user.id, first_name="Rosa")
    farm = make_farm(rosa, total_ha=6.0, name="Parcela Santa Rosa")
    center = make_center(coop, name="Centro de acopio Juanjuí")
    commitment = make_commitment(collection_center_id=center.id)
    buyer = make_user("buyer", organization=commitment.organization, name="Bruno Comprador")
    db.session.add(Pledge(commitment_id=commitment.id, producer_id=rosa.id, farm_id=farm.id,
                          pledged_by_id=rosa_user.id, kg=800, status="active"))  # fmt: skip
    commitment.pledged_kg = 800
    db.session.add(Consent(producer_id=rosa.id, scope="buyers", granted=True))
    db.session.commit()
    new_loan(rosa, make_credit_product(), 500_000)  # S/ 5,000 disbursed, nothing repaid yet
    # a forest layer reaches the plot (old loss only): once drawn, its origin is known and free
    layers.import_layer(write_layer(tmp_path, *extent_only()))
    problems: list[str] = []

    # The technician draws the plot and records what she saw there.
    page = new_context().new_page()
    log_in(page, technician)
    page.goto(f"/fincas/{farm.id}/parcela")
    draw_square_and_save(page)
    expect(page.get_by_text("Lista para exportar")).to_be_visible()
    page.get_by_label("Fecha de la visita").fill(local_today().isoformat())
    page.get_by_label("Nota").fill("Cacao bajo sombra de guaba; sin tala reciente.")
    page.get_by_role("button", name="Guardar evidencia").click()
    expect(page.get_by_role("status").first).to_contain_text("Evidencia registrada.")
    check_phone_page(page, "plot", problems)

    # The same cooperative runs the centre: she records 500 kg and puts them in a lot.
    page.goto(f"/acopio/centros/{center.id}")
    page.get_by_label("Productor/a y compromiso").select_option(index=1)
    page.get_by_label("Kilos entregados").fill("500")
    page.get_by_label("Fecha de entrega").fill(local_today().isoformat())
    page.get_by_label("Humedad (%)").fill("7")
    page.get_by_label("Fermentación (%)").fill("80")
    page.get_by_role("button", name="Registrar la entrega").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("ENT-PE-")
    page.get_by_label("Compromiso de compra").select_option(index=1)
    page.get_by_role("button", name="Abrir el lote").click()
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Agregar al lote").click()
    page.get_by_label("Peso de salida del lote (kg)").fill("490")
    page.get_by_role("button", name="Guardar el peso").click()
    expect(main).to_contain_text("490")
    check_phone_page(page, "lot", problems)

    # The buyer follows the commitment to the lot, sees the plot on the map, downloads.
    page = new_context().new_page()
    log_in(page, buyer)
    page.goto(f"/compras/compromisos/{commitment.id}/trazabilidad")
    page.get_by_role("link", name="LOT-", exact=False).first.click()
    expect(page.locator("#trace-map .leaflet-interactive").first).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Rosa")
    expect(page.locator("#pendientes")).to_contain_text("Todas las parcelas están en el archivo")
    check_phone_page(page, "buyer's lot", problems)
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar GeoJSON de diligencia debida").click()
    with open(download.value.path(), encoding="utf-8") as exported_file:
        exported = json.load(exported_file)
    assert exported["type"] == "FeatureCollection"
    (plot,) = exported["features"]
    assert plot["geometry"]["type"] == "Polygon"  # 6 ha: a polygon, not a point
    assert eudr_geojson.problems(exported) == []

    # Rosa sees what her delivery paid and what went to her loan: 30 % of S/ 4,750.
    page = new_context().new_page()
    log_in(page, rosa_user)
    page.goto("/mis-entregas")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Descontado para su préstamo")
    expect(main).to_contain_text("S/ 1,425.00")
    check_phone_page(page, "my deliveries", problems)
    assert not problems, problems
