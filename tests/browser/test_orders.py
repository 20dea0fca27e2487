"""Ordering in the browser, in Spanish on a 360x740 phone: a producer orders, the supplier
confirms in their own browser, the producer sees it; and a cooperative registers a centre."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in, menu_entry, notices_link
from tests.browser.test_journeys import accessibility_problems, overflow


def check_phone_page(page: Page, label: str, problems: list[str]) -> None:
    """Note when the page is wider than the phone or axe-core finds a serious problem."""
    page.wait_for_load_state()
    wide = overflow(page)
    if wide:
        problems.append(f"{label}: {wide}")
    problems.extend(f"{label}: {found}" for found in accessibility_problems(page))


def test_producer_orders_and_sees_the_supplier_confirm(
    app, new_context, make_user, make_producer, make_farm, make_listing, make_center
) -> None:
    supplier = make_user("supplier", name="Milagros Del Águila")
    listing = make_listing(
        supplier.organization, title="Compost de pulpa de café", price_minor=4500, stock=20
    )
    make_center(name="Acopio Tocache", district_code="221001", lat=-8.188, lon=-76.509)
    make_center(name="Centro de acopio Juanjuí", lat=-7.1767, lon=-76.7239)
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(user_id=user.id, first_name="Rosa", last_name="Quispe")
    make_farm(producer)
    problems: list[str] = []

    rosa = new_context().new_page()
    log_in(rosa, user)
    rosa.goto(f"/catalogo/{listing.id}/pedir")
    expect(rosa.get_by_role("heading", level=1)).to_have_text("Pedir Compost de pulpa de café")
    nearest = rosa.get_by_role("radio", name=re.compile(r"^Centro de acopio Juanjuí — 0[.,]\d km"))
    expect(nearest).to_be_checked()
    expect(rosa.get_by_role("radio", name="Pago en efectivo al recibir o en el centro de acopio"))
    check_phone_page(rosa, "order form", problems)
    rosa.get_by_label("Cantidad").fill("3")
    rosa.get_by_role("button", name="Ver el total").click()

    expect(rosa.get_by_role("heading", level=1)).to_have_text("Revise su pedido")
    expect(rosa.get_by_role("main")).to_contain_text(re.compile(r"S/\s135\.00"))
    check_phone_page(rosa, "review", problems)
    rosa.get_by_role("button", name="Confirmar pedido").click()
    expect(rosa.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pedido #\d+$"))
    expect(rosa.get_by_role("status").first).to_contain_text("Pedido enviado.")
    expect(rosa.locator(".badge", has_text="Enviado")).to_be_visible()
    check_phone_page(rosa, "order page", problems)

    # The supplier, on their own phone, sees the new order and confirms it.
    milagros = new_context().new_page()
    log_in(milagros, supplier)
    expect(notices_link(milagros)).to_contain_text("1")
    menu_entry(milagros, "Pedidos recibidos").click()
    expect(milagros.get_by_role("heading", level=1)).to_have_text("Pedidos recibidos")
    milagros.get_by_role("link", name=re.compile("Compost de pulpa de café")).click()
    expect(milagros.get_by_role("main")).to_contain_text("Rosa Quispe")
    check_phone_page(milagros, "received order", problems)
    milagros.get_by_role("button", name="Confirmar pedido").click()
    expect(milagros.get_by_role("status").first).to_have_text(
        re.compile(r"^Pedido #\d+: Confirmado\.$")
    )
    expect(milagros.get_by_role("button", name="Marcar como entregado")).to_be_visible()

    # Back on her phone, the producer sees the new status and an unread notice.
    rosa.reload()
    expect(rosa.locator(".badge", has_text="Confirmado")).to_be_visible()
    expect(rosa.get_by_role("button", name="Cancelar el pedido")).to_have_count(0)
    notices = notices_link(rosa)
    expect(notices.locator(".badge")).to_contain_text("1")
    notices.click()
    expect(rosa.get_by_role("main")).to_contain_text("Compost de pulpa de café fue confirmado")

    assert not problems, "\n".join(problems)


def test_technician_registers_a_collection_centre(app, page: Page, make_user) -> None:
    technician = make_user("technician", name="Julio Panaifo")
    problems: list[str] = []
    log_in(page, technician)
    menu_entry(page, "Centros de acopio").click()
    page.get_by_role("link", name="Registrar un centro").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar un centro de acopio")
    check_phone_page(page, "centre form", problems)
    page.get_by_label("Nombre del centro").fill("Acopio Campanilla")
    page.get_by_label("Responsable").fill("Marleni Sangama")
    # places.js refills the districts of the chosen region, as on the farm form.
    with page.expect_response(re.compile(r"/api/gazetteer/districts\?")):
        page.get_by_label("Región, departamento o estado").select_option("San Martín")
    page.get_by_label("Distrito o municipio").select_option(label="Campanilla (Mariscal Cáceres)")
    page.get_by_label("Horario de atención").fill("Lunes a sábado, de 7:00 a 16:00")
    page.get_by_role("button", name="Guardar centro").click()

    expect(page.get_by_role("status").first).to_contain_text("Centro de acopio guardado.")
    entry = page.get_by_role("listitem").filter(has_text="Acopio Campanilla")
    expect(entry).to_contain_text("Activo")
    expect(entry).to_contain_text("Campanilla (Mariscal Cáceres), San Martín")
    check_phone_page(page, "centres", problems)
    assert not problems, "\n".join(problems)


def test_producer_sees_the_centres_near_her_farm(
    app, page: Page, make_user, make_producer, make_farm, make_center
) -> None:
    make_center(name="Acopio Tocache", district_code="221001", lat=-8.188, lon=-76.509)
    make_center(name="Centro de acopio Juanjuí", lat=-7.1767, lon=-76.7239)
    user = make_user("producer", name="Rosa Quispe")
    make_farm(make_producer(user_id=user.id), name="Chacra El Cacaotal")
    log_in(page, user)
    menu_entry(page, "Centros de acopio").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Centros de acopio cerca de usted")
    items = page.get_by_role("main").get_by_role("listitem")
    expect(items.first).to_contain_text("Centro de acopio Juanjuí")
    expect(items.nth(1)).to_contain_text(re.compile(r"Acopio Tocache · 11\d[.,]\d km"))
    problems: list[str] = []
    check_phone_page(page, "centres near", problems)
    assert not problems, "\n".join(problems)
