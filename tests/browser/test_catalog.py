"""The catalogue in Spanish on a 360x740 phone: a supplier publishes a product, a producer
finds it by searching without accents and opens it."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_journeys import JUANJUI, accessibility_problems, overflow


def check_page(page: Page, label: str, problems: dict[str, str]) -> None:
    """Record horizontal overflow and serious accessibility problems of the current page."""
    page.wait_for_load_state()
    wide = overflow(page)
    if wide:
        problems[label] = f"too wide: {wide}"
    found = accessibility_problems(page)
    if found:
        problems[label] = f"axe: {found}"


def test_supplier_publishes_and_producer_finds_it_without_accents(
    app,
    page: Page,
    new_context: Callable[..., BrowserContext],
    make_user,
    make_producer,
    make_farm,
) -> None:
    problems: dict[str, str] = {}
    supplier = make_user("supplier", name="Milagros Del Águila")
    log_in(page, supplier)
    menu_entry(page, "Mis productos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis productos")
    page.get_by_role("link", name="Nuevo producto o servicio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nuevo producto o servicio")
    check_page(page, "listing form", problems)

    expect(page.get_by_role("radio", name="Insumo")).to_be_checked()
    page.get_by_label("Categoría").select_option(label="Abonos orgánicos y bioinsumos")
    page.get_by_label("Nombre del producto o servicio").fill("Fertilizante Orgánico Premium")
    page.get_by_label("Descripción").fill("Compost maduro para cacao, certificado.")
    page.get_by_label("Precio por unidad").fill("45,50")
    expect(page.get_by_label("Moneda")).to_have_value("PEN")
    page.get_by_label("Unidad de venta").select_option(label="saco de 50 kg")
    page.get_by_label("Stock disponible").fill("40")
    page.get_by_role("checkbox", name="Cacao").check()
    page.get_by_role("checkbox", name="San Martín").check()
    with page.expect_response(re.compile(r"/api/gazetteer/districts\?")) as response:
        page.get_by_label("Región de despacho").select_option("San Martín")
    assert response.value.ok
    page.get_by_label("Distrito de despacho").select_option(label=JUANJUI)
    page.get_by_role("button", name="Guardar y publicar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Mis productos")
    expect(page.get_by_role("status")).to_contain_text(
        "«Fertilizante Orgánico Premium» está publicado en el catálogo."
    )
    mine = page.get_by_role("article").filter(has_text="Fertilizante Orgánico Premium")
    expect(mine).to_contain_text("Publicado")
    expect(mine).to_contain_text(re.compile(r"S/\s45\.50 / saco de 50 kg"))
    check_page(page, "my products", problems)

    # A producer of San Martín searches without accents and finds it.
    user = make_user("producer", name="Rosa Tapullima")
    make_farm(make_producer(user_id=user.id, first_name="Rosa", last_name="Tapullima"))
    producer_page = new_context().new_page()
    log_in(producer_page, user)
    menu_entry(producer_page, "Tienda").click()
    expect(producer_page.get_by_role("heading", level=1)).to_have_text(
        "Catálogo de insumos y asistencia técnica"
    )
    expect(producer_page.get_by_label("Región")).to_have_value("PE:San Martín")
    producer_page.get_by_role("searchbox", name="Buscar").fill("fertilizante organico")
    producer_page.get_by_role("button", name="Buscar").click()

    found = producer_page.get_by_role("article").filter(has_text="Fertilizante Orgánico Premium")
    expect(found).to_have_count(1)
    expect(found).to_contain_text(supplier.organization.name)
    expect(found).to_contain_text(re.compile(r"S/\s45\.50 / saco de 50 kg"))
    expect(found).to_contain_text("En stock")
    check_page(producer_page, "catalogue search", problems)

    found.get_by_role("link", name="Fertilizante Orgánico Premium").click()
    expect(producer_page.get_by_role("heading", level=1)).to_have_text(
        "Fertilizante Orgánico Premium"
    )
    expect(producer_page.get_by_role("main")).to_contain_text("Juanjuí")
    order = producer_page.get_by_role("link", name="Pedir")
    expect(order).to_have_attribute("href", re.compile(r"^/catalogo/\d+/pedir$"))
    check_page(producer_page, "listing detail", problems)
    assert not problems, problems
