"""What people do in Minka, in Spanish, on a 360x740 phone screen (Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import WIDTH, log_in, menu_entry
from tests.conftest import PASSWORD

JUANJUI = "Juanjuí (Mariscal Cáceres)"
LIMA = ("-12.046374", "-77.042793")


def fill_farm(
    page: Page,
    *,
    name: str = "La Esperanza",
    lat: str = "-7.176667",
    lon: str = "-76.723889",
    total: str = "5",
    productive: str = "3",
    forest: str = "1",
) -> None:
    """Fill the farm form (JavaScript on): the district list follows the region."""
    page.get_by_label("Nombre de la finca o parcela").fill(name)
    expect(page.get_by_label("País")).to_have_value("PE")
    # places.js fetches the districts of San Martín and refills the list.
    with page.expect_response(re.compile(r"/api/gazetteer/districts\?")) as response:
        page.get_by_label("Región, departamento o estado").select_option("San Martín")
    assert response.value.ok
    district = page.get_by_label("Distrito o municipio")
    expect(district.get_by_role("option", name=JUANJUI)).to_have_count(1)
    district.select_option(label=JUANJUI)
    page.get_by_label("Latitud").fill(lat)
    page.get_by_label("Longitud").fill(lon)
    page.get_by_label("Área total (ha)").fill(total)
    page.get_by_label("Área en producción (ha)").fill(productive)
    page.get_by_label("Bosque (ha)").fill(forest)
    page.get_by_label("Cultivo o actividad principal").select_option(label="Cacao")


def expect_farm_listed(page: Page, name: str = "La Esperanza") -> None:
    farm = page.get_by_role("article").filter(has=page.get_by_role("heading", name=name))
    expect(farm).to_have_count(1)
    expect(farm).to_contain_text("Juanjuí")
    expect(farm).to_contain_text("San Martín")
    expect(farm).to_contain_text("Cacao")


def overflow(page: Page) -> str | None:
    """None when the page fits 360 px; else its scroll width and the elements sticking out."""
    return page.evaluate(
        """(width) => {
            const doc = document.documentElement;
            if (doc.scrollWidth <= width) return null;
            const wide = [...document.body.querySelectorAll('*')]
                .filter(el => el.getBoundingClientRect().right > width + 0.5)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                     + (el.className && typeof el.className === 'string'
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                     + ' right=' + Math.round(el.getBoundingClientRect().right));
            return 'scrollWidth=' + doc.scrollWidth + ' ' + wide.join(', ');
        }""",
        WIDTH,
    )


# --- a. a producer signs up, completes the profile, registers a farm -----------------------


def test_producer_signs_up_and_registers_a_farm(app, page: Page) -> None:
    page.goto("/")
    menu_entry(page, "Crear cuenta").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Crear una cuenta")

    page.get_by_label("Nombre completo").fill("María Huamán")
    page.get_by_label("Correo o celular").fill("987 654 321")
    page.get_by_label("País").select_option(label="Perú")
    page.get_by_role("radio", name="Productor o productora").check()
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repita la contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Crear cuenta").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hola, María Huamán")
    expect(page.get_by_role("status")).to_contain_text(
        "¡Hola, María Huamán! Le damos la bienvenida a Minka."
    )

    page.get_by_role("link", name="Completar mis datos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis datos")
    # What she gave at sign-up is already there: her name and her mobile.
    expect(page.get_by_label("Nombres")).to_have_value("María")
    expect(page.get_by_label("Apellidos")).to_have_value("Huamán")
    expect(page.get_by_label("Celular")).to_have_value("+51987654321")
    page.get_by_label("Apellidos").fill("Huamán Tapia")
    page.get_by_role("radio", name="Mujer").check()
    page.get_by_label("Documento de identidad").fill("45871236")
    page.get_by_role("button", name="Guardar").click()

    # Saving the profile sends the producer straight to the farm form.
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar una finca")
    expect(page.get_by_role("status").first).to_contain_text(
        "¡Listo, María! Ya está inscrita en Minka"
    )
    expect(page.get_by_text("Productora: María Huamán Tapia")).to_be_visible()
    fill_farm(page)
    page.get_by_role("button", name="Guardar finca").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("María Huamán Tapia")
    expect(page.get_by_role("status")).to_contain_text("Finca guardada.")
    expect_farm_listed(page)
    expect(page.get_by_text("-7.176667, -76.723889")).to_be_visible()

    # The menu's "Mis fincas" leads to the same page; the home page lists the farm.
    menu_entry(page, "Mis fincas").click()
    expect_farm_listed(page)
    menu_entry(page, "Inicio").click()
    expect(page.get_by_role("heading", name="Mis fincas")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("La Esperanza")

    # She can come back with her phone number, typed without spaces this time.
    menu_entry(page, "Salir", "button").click()
    expect(page.get_by_role("status")).to_contain_text("Cerró su sesión.")
    menu_entry(page, "Ingresar").click()
    page.get_by_label("Correo o celular").fill("987654321")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hola, María Huamán")


# --- b. a technician registers a producer without an account ---------------------------------


def test_technician_registers_a_producer_and_a_farm(app, page: Page, make_user) -> None:
    technician = make_user("technician", name="Lucía Técnica")
    log_in(page, technician)

    menu_entry(page, "Registrar productor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar productor o productora")
    expect(page.get_by_text("No necesita cuenta propia en Minka.")).to_be_visible()
    page.get_by_label("Nombres").fill("Juan")
    page.get_by_label("Apellidos").fill("Pérez Saavedra")
    page.get_by_role("radio", name="Hombre").check()
    page.get_by_label("Documento de identidad").fill("41234567")
    page.get_by_label("Celular").fill("912 345 678")
    page.get_by_role("button", name="Guardar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar una finca")
    expect(page.get_by_text("Productor: Juan Pérez Saavedra")).to_be_visible()
    fill_farm(page, name="Parcela Huallaga")
    page.get_by_role("button", name="Guardar finca").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Juan Pérez Saavedra")
    expect_farm_listed(page, "Parcela Huallaga")

    menu_entry(page, "Productores").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Productores de la cooperativa")
    expect(page.get_by_text("1 productor", exact=True)).to_be_visible()
    row = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="Juan Pérez Saavedra")
    )
    expect(row).to_contain_text("1 finca")
    expect(row).to_contain_text("Cacao")


# --- c. mistakes are explained next to the fields, and nothing typed is lost ------------------


def test_farm_form_explains_mistakes_and_keeps_the_data(
    app, page: Page, make_user, make_producer
) -> None:
    user = make_user("producer", name="Rosa Quispe")
    producer = make_producer(user=user, first_name="Rosa", last_name="Quispe")
    log_in(page, user)

    page.goto(f"/productores/{producer.id}/fincas/nueva")
    fill_farm(
        page, name="Parcela Norte", lat=LIMA[0], lon=LIMA[1], total="2", productive="2", forest="1"
    )
    page.get_by_role("button", name="Guardar finca").click()

    # Still the form, with a summary on top linking to each field at fault.
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar una finca")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Revise los datos marcados:")
    expect(
        summary.get_by_role("link", name=re.compile("no puede superar el área total"))
    ).to_have_attribute("href", "#productive_ha")
    expect(summary.get_by_role("link", name=re.compile("lejos del distrito"))).to_have_attribute(
        "href", "#lat"
    )

    # Each message sits under its field, which points to it for screen readers.
    productive = page.get_by_label("Área en producción (ha)")
    expect(page.locator("#productive_ha-error")).to_have_text(
        "El área en producción más el bosque no puede superar el área total."
    )
    expect(productive).to_have_attribute("aria-invalid", "true")
    expect(productive).to_have_attribute("aria-describedby", re.compile(r"\bproductive_ha-error\b"))
    latitude = page.get_by_label("Latitud")
    expect(page.locator("#lat-error")).to_contain_text("lejos del distrito Juanjuí")
    expect(latitude).to_have_attribute("aria-invalid", "true")
    expect(latitude).to_have_attribute("aria-describedby", re.compile(r"\blat-error\b"))

    # What was typed is still there.
    expect(page.get_by_label("Nombre de la finca o parcela")).to_have_value("Parcela Norte")
    expect(page.get_by_label("Región, departamento o estado")).to_have_value("San Martín")
    expect(page.get_by_label("Distrito o municipio")).to_have_value("220601")
    expect(latitude).to_have_value(LIMA[0])
    expect(page.get_by_label("Longitud")).to_have_value(LIMA[1])
    expect(page.get_by_label("Área total (ha)")).to_have_value(re.compile(r"^2(\.0+)?$"))
    expect(productive).to_have_value(re.compile(r"^2(\.0+)?$"))
    expect(page.get_by_label("Bosque (ha)")).to_have_value(re.compile(r"^1(\.0+)?$"))
    expect(page.get_by_label("Cultivo o actividad principal")).to_have_value("cacao")

    # Fixing the two mistakes saves the farm.
    productive.fill("1")
    latitude.fill("-7.176667")
    page.get_by_label("Longitud").fill("-76.723889")
    page.get_by_role("button", name="Guardar finca").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rosa Quispe")
    expect_farm_listed(page, "Parcela Norte")


def test_signup_with_mismatched_passwords(app, page: Page) -> None:
    page.goto("/registro")
    page.get_by_label("Nombre completo").fill("Pedro Mamani")
    page.get_by_label("Correo o celular").fill("987 000 111")
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repita la contraseña").fill(PASSWORD + "x")
    page.get_by_role("button", name="Crear cuenta").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Crear una cuenta")
    expect(page.get_by_role("alert")).to_contain_text("Las contraseñas no coinciden.")
    expect(page.locator("#confirm-error")).to_have_text("Las contraseñas no coinciden.")
    expect(page.get_by_label("Repita la contraseña")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Nombre completo")).to_have_value("Pedro Mamani")
    expect(page.get_by_label("Correo o celular")).to_have_value("987 000 111")
    expect(page.get_by_role("radio", name="Productor o productora")).to_be_checked()


# --- d. the language switch ----------------------------------------------------------------


def test_language_switch_to_english_and_back(app, page: Page) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("button", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/\??$"))
    expect(page.get_by_role("button", name="Español")).to_be_visible()
    expect(page.get_by_role("link", name="Create a free account")).to_be_visible()
    # The choice sticks for the rest of the visit, whatever the browser asks for.
    page.goto("/registro")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"/registro\??$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Crear una cuenta")
    expect(page.get_by_role("button", name="English")).to_be_visible()


# --- e. the farm form without JavaScript --------------------------------------------------------


def test_farm_form_works_without_javascript(
    app, no_js_page: Page, make_user, make_producer
) -> None:
    page = no_js_page
    user = make_user("producer", name="Elena Torres")
    producer = make_producer(user=user, first_name="Elena", last_name="Torres")
    log_in(page, user)

    page.goto(f"/productores/{producer.id}/fincas/nueva")
    # Without JavaScript the GPS button is hidden and the district list starts empty.
    expect(page.get_by_role("button", name="Usar mi ubicación actual")).to_be_hidden()
    district = page.get_by_label("Distrito o municipio")
    expect(district.get_by_role("option", name=JUANJUI)).to_have_count(0)

    page.get_by_label("Nombre de la finca o parcela").fill("El Mirador")
    page.get_by_label("Región, departamento o estado").select_option("San Martín")
    page.get_by_role("button", name="Mostrar distritos de esta región").click()

    # The page came back with the districts of San Martín, no errors, and the name kept.
    expect(district.get_by_role("option", name=JUANJUI)).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("Nombre de la finca o parcela")).to_have_value("El Mirador")
    expect(page.get_by_label("Región, departamento o estado")).to_have_value("San Martín")

    district.select_option(label=JUANJUI)
    page.get_by_label("Latitud").fill("-7.176667")
    page.get_by_label("Longitud").fill("-76.723889")
    page.get_by_label("Área total (ha)").fill("5")
    page.get_by_label("Área en producción (ha)").fill("3")
    page.get_by_label("Bosque (ha)").fill("1")
    page.get_by_label("Cultivo o actividad principal").select_option(label="Cacao")
    page.get_by_role("button", name="Guardar finca").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Elena Torres")
    expect_farm_listed(page, "El Mirador")


# --- f. nothing overflows a 360 px screen, and axe finds no serious accessibility problem ----

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def accessibility_problems(page: Page) -> list[str]:
    """Serious or critical WCAG 2 A/AA violations that axe-core finds on the page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    violations = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def test_pages_fit_a_360px_screen_and_are_accessible(
    app, page: Page, make_user, make_producer, make_farm
) -> None:
    too_wide: dict[str, str] = {}
    inaccessible: dict[str, list[str]] = {}

    def check(label: str) -> None:
        page.wait_for_load_state()
        problem = overflow(page)
        if problem:
            too_wide[label] = f"{page.url}: {problem}"
        found = accessibility_problems(page)
        if found:
            inaccessible[label] = found

    page.goto("/")
    check("home (anonymous)")
    page.goto("/registro")
    check("signup")
    page.get_by_role("button", name="Crear cuenta").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("signup with errors")

    user = make_user("producer", name="Carmen Ramírez Villanueva")
    producer = make_producer(user=user, first_name="Carmen", last_name="Ramírez Villanueva")
    make_farm(producer, name="Finca Los Cedros del Alto Huallaga")
    log_in(page, user)
    check("home (producer)")
    page.goto(f"/productores/{producer.id}/fincas/nueva")
    check("farm form")
    page.get_by_label("Nombre de la finca o parcela").fill("Parcela Sur")
    page.get_by_label("Área total (ha)").fill("1")
    page.get_by_label("Área en producción (ha)").fill("2")
    page.get_by_label("Bosque (ha)").fill("3")
    page.get_by_role("button", name="Guardar finca").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check("farm form with errors")
    page.goto(f"/productores/{producer.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Carmen Ramírez Villanueva")
    check("producer page")
    page.goto(f"/productores/{producer.id}/consentimientos")
    check("consents")

    assert not too_wide, "wider than 360 px:\n" + "\n".join(
        f"{k}: {v}" for k, v in too_wide.items()
    )
    assert not inaccessible, "axe-core:\n" + "\n".join(f"{k}: {v}" for k, v in inaccessible.items())
