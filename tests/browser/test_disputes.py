"""A plot's dispute on a 360x740 phone in Spanish: the technician records evidence with the
phone's position and opens a dispute; an admin proposes; a second admin confirms. Every
page fits the screen and axe-core finds no serious problem."""

from __future__ import annotations

from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.models import FieldEvidence
from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_commitments import check_phone_page
from tests.integration.test_disputes import LAT, LON, at_risk
from tests.integration.test_forest_risk import PLOT


def test_a_dispute_from_the_field_to_two_reviewers(
    app, new_context, tmp_path, make_user, make_org, make_producer, make_farm
) -> None:
    coop = make_org("cooperative")
    tech = make_user("technician", name="Lucía Técnica", organization=coop)
    producer = make_producer(cooperative_id=coop.id)
    farm = make_farm(producer, polygon_geojson=PLOT, cleared_after_cutoff="unknown")
    farm = at_risk(tmp_path, farm)
    first = make_user("admin", name="Ana Revisora")
    second = make_user("admin", name="Beto Revisor")
    problems: list[str] = []
    url = f"/fincas/{farm.id}/parcela"

    field = new_context(
        geolocation={"latitude": LAT, "longitude": LON, "accuracy": 8},
        permissions=["geolocation"],
    ).new_page()
    log_in(field, tech)
    field.goto(url)
    expect(field.locator("#evidence-position")).to_contain_text("Posición del teléfono")
    field.get_by_label("Fecha de la visita").fill("2026-01-15")
    field.get_by_label("Nota").fill("Cacao de 2012 bajo guaba; la mancha es una nube.")
    field.get_by_role("button", name="Guardar evidencia").click()
    expect(field.get_by_role("status").first).to_contain_text("Evidencia registrada.")
    expect(field.get_by_text("dentro de la parcela")).to_be_visible()
    db.session.expire_all()
    item = db.session.query(FieldEvidence).one()
    assert item.position_source == "device" and item.accuracy_m == 8

    field.get_by_label("Motivo", exact=True).select_option(
        label="Error del mapa (nubes, sombra u otra tierra)"
    )
    field.get_by_label("Explique el reclamo").fill("La pérdida de 2022 es una nube sobre el cacao.")
    field.get_by_label("Cacao de 2012", exact=False).check()
    field.get_by_role("button", name="Abrir la disputa").click()
    expect(field.get_by_role("status").first).to_contain_text("Disputa abierta")
    check_phone_page(field, "plot page, technician", problems)

    ana = new_context().new_page()
    log_in(ana, first)
    menu_entry(ana, "Revisiones de parcelas").click()
    check_phone_page(ana, "review queue", problems)
    ana.get_by_role("link", name=farm.name).click()
    ana.get_by_label("Aceptar el reclamo").check()
    ana.get_by_label("Por qué").fill("La foto y la posición muestran cacao viejo.")
    ana.get_by_role("button", name="Proponer").click()
    expect(ana.get_by_role("status").first).to_contain_text("otra persona debe confirmarla")
    expect(ana.get_by_text("Otra persona debe dar el siguiente paso")).to_be_visible()
    check_phone_page(ana, "plot page, first reviewer", problems)

    beto = new_context().new_page()
    log_in(beto, second)
    beto.goto(url)
    beto.get_by_role("button", name="Confirmar la propuesta").click()
    expect(beto.get_by_role("status").first).to_contain_text("Decisión confirmada")
    expect(beto.get_by_role("main")).to_contain_text("Libre de deforestación")
    expect(beto.get_by_role("main")).to_contain_text("aceptada")
    check_phone_page(beto, "plot page, decided", problems)
    assert problems == []
