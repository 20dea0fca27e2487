"""The first screens at 360x740 in Spanish: the menu fits one row (under a sixth of the
screen) with the rest behind "Más", and what a thumb taps is at least 44 px tall."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import HEIGHT, log_in, menu_entry, nav
from tests.browser.test_journeys import accessibility_problems, overflow

MENU_SHARE = 0.15  # of the first screen's height
TAP = 44  # px


def menu_rows(page: Page) -> set[int]:
    """The distinct tops (px) of the menu's first-row entries: one row has one top."""
    return set(
        page.evaluate(
            """() => [...document.querySelectorAll('nav.nav > ul > li')]
                   .map(li => Math.round(li.getBoundingClientRect().top))"""
        )
    )


def expect_compact_menu(page: Page, label: str) -> None:
    box = nav(page).bounding_box()
    assert box["height"] <= MENU_SHARE * HEIGHT, f"{label}: menu {box['height']} px tall"
    assert len(menu_rows(page)) == 1, f"{label}: menu on {menu_rows(page)} rows"
    assert overflow(page) is None, f"{label}: {overflow(page)}"


def heights(page: Page, selector: str) -> list[float]:
    return page.evaluate(
        "(s) => [...document.querySelectorAll(s)].map(e => e.getBoundingClientRect().height)",
        selector,
    )


def test_the_producers_menu_is_one_row_with_the_rest_behind_mas(
    app, page: Page, make_user, make_producer, make_farm
) -> None:
    user = make_user("producer", name="Rosa Quispe Mamani")
    make_farm(make_producer(user_id=user.id, first_name="Rosa", last_name="Quispe Mamani"))
    log_in(page, user)
    expect_compact_menu(page, "producer")
    for name in ("Inicio", "Tienda", "Mi crédito", "Mis entregas"):
        expect(nav(page).get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav(page).get_by_role("link", name="Mis fincas")).to_be_hidden()

    # "Más" opens with the keyboard, over the page, and shows the rest.
    summary = nav(page).locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    for name in ("Mis pedidos", "Mis fincas", "Mis datos", "Incentivos", "Centros de acopio"):
        expect(nav(page).get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav(page).get_by_role("button", name="Salir")).to_be_visible()
    assert all(h >= TAP for h in heights(page, "nav.nav a, nav.nav summary, nav.nav button"))
    assert not accessibility_problems(page)
    nav(page).get_by_role("link", name="Mis datos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis datos")

    menu_entry(page, "Mis entregas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis entregas")
    expect(nav(page).get_by_role("link", name="Mis entregas")).to_have_attribute(
        "aria-current", "page"
    )


def test_every_roles_menu_fits_one_row(app, page: Page, make_user) -> None:
    page.goto("/")
    expect_compact_menu(page, "anonymous")
    for role in ("technician", "supplier", "buyer", "lender", "admin"):
        user = make_user(role)
        log_in(page, user)
        expect_compact_menu(page, role)
        menu_entry(page, "Salir", "button").click()
        expect(page.get_by_role("status")).to_contain_text("Cerró su sesión.")


def test_a_producers_plot_page_has_plain_words_and_thumb_sized_targets(
    app, page: Page, make_user, make_producer, make_farm
) -> None:
    user = make_user("producer")
    farm = make_farm(make_producer(user_id=user.id))
    log_in(page, user)
    page.goto(f"/fincas/{farm.id}/parcela")
    draw = page.get_by_role("link", name="Dibujar el contorno")
    expect(draw).to_be_visible()
    box = draw.bounding_box()
    assert box["width"] >= TAP and box["height"] >= TAP, box
    assert min(heights(page, ".leaflet-bar a")) >= TAP
    upload = page.get_by_label("Subir un archivo del GPS")
    assert upload.bounding_box()["height"] >= TAP
    text = page.get_by_role("main").inner_text()
    for word in ("GeoJSON", "Polygon", "WGS84", "KML"):
        assert word not in text, word
    assert overflow(page) is None


def test_a_technicians_date_file_and_name_links_are_thumb_sized(
    app, page: Page, make_user, make_org, make_producer, make_farm
) -> None:
    coop = make_org("cooperative")
    technician = make_user("technician", organization=coop)
    producer = make_producer(cooperative_id=coop.id, first_name="Juana", last_name="Tapia")
    farm = make_farm(producer)
    log_in(page, technician)
    menu_entry(page, "Productores").click()
    name = page.get_by_role("link", name="Juana Tapia")
    assert name.bounding_box()["height"] >= TAP
    page.goto(f"/fincas/{farm.id}/parcela")
    for label in ("Fecha de la visita", "Foto"):
        assert page.get_by_label(label).bounding_box()["height"] >= TAP, label
    # the GeoJSON is there for a technician, folded under "Detalles técnicos"
    expect(page.get_by_label("Contorno (GeoJSON)")).to_be_hidden()
    page.get_by_text("Detalles técnicos").click()
    expect(page.get_by_label("Contorno (GeoJSON)")).to_be_visible()


def test_mas_opens_without_javascript(app, no_js_page: Page, make_user) -> None:
    user = make_user("producer")
    log_in(no_js_page, user)
    expect_compact_menu(no_js_page, "producer without JavaScript")
    menu_entry(no_js_page, "Mis pedidos").click()
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(
        "Mis datos"
    )  # no profile yet: details first
    menu_entry(no_js_page, "Salir", "button").click()
    expect(no_js_page.get_by_role("status")).to_contain_text("Cerró su sesión.")
