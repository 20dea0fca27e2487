"""Purchase commitments in the browser, in Spanish on a 360x740 phone: a buyer posts a
commitment; a producer with a matching farm pledges to it and sees the remaining volume go
down; the buyer sees the fill."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from marketplace.models.base import local_today
from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_journeys import accessibility_problems, overflow


def check_phone_page(page: Page, label: str, problems: list[str]) -> None:
    """Note when the page is wider than the phone or axe-core finds a serious problem."""
    page.wait_for_load_state()
    wide = overflow(page)
    if wide:
        problems.append(f"{label}: {wide}")
    problems.extend(f"{label}: {found}" for found in accessibility_problems(page))


def test_buyer_posts_a_commitment_and_a_producer_pledges_to_it(
    app, new_context, make_user, make_producer, make_farm
) -> None:
    buyer = make_user("buyer", name="Diego Ferreyra")
    user = make_user("producer", name="Rosa Tapullima")
    producer = make_producer(user_id=user.id, first_name="Rosa", last_name="Tapullima")
    make_farm(producer, name="Chacra El Cacaotal")  # cacao, Juanjuí (San Martín), 2,800 kg
    start = local_today() + timedelta(days=45)
    problems: list[str] = []

    diego = new_context().new_page()
    log_in(diego, buyer)
    menu_entry(diego, "Mis compromisos").click()
    diego.get_by_role("link", name="Publicar un compromiso").click()
    expect(diego.get_by_role("heading", level=1)).to_have_text("Publicar un compromiso de compra")
    diego.get_by_label("Producto", exact=True).fill("Cacao en grano seco")
    diego.get_by_label("Cadena de valor").select_option(label="Cacao")
    diego.get_by_label("Volumen total (kg)").fill("20000")
    diego.get_by_label("Mínimo por productor (kg)").fill("100")
    diego.get_by_label("Máximo por productor (kg)").fill("3000")
    diego.get_by_role("checkbox", name="San Martín").check()
    diego.get_by_label("Precio por kg").fill("9,50")
    diego.get_by_label("Inicio de la entrega").fill(start.isoformat())
    diego.get_by_label("Fin de la entrega").fill((start - timedelta(days=60)).isoformat())
    check_phone_page(diego, "commitment form", problems)
    diego.get_by_role("button", name="Publicar compromiso").click()

    # The end before the start: explained, and nothing typed is lost.
    expect(diego.get_by_role("alert")).to_contain_text("debe terminar después de hoy")
    expect(diego.get_by_label("Producto", exact=True)).to_have_value("Cacao en grano seco")
    expect(diego.get_by_label("Precio por kg")).to_have_value("9,50")
    expect(diego.get_by_role("checkbox", name="San Martín")).to_be_checked()
    check_phone_page(diego, "commitment form with errors", problems)
    diego.get_by_label("Fin de la entrega").fill((start + timedelta(days=60)).isoformat())
    diego.get_by_role("button", name="Publicar compromiso").click()

    expect(diego.get_by_role("heading", level=1)).to_contain_text("Cacao en grano seco")
    expect(diego.get_by_role("status")).to_contain_text("Compromiso publicado.")
    expect(diego.get_by_role("main")).to_contain_text("0 % comprometido")

    rosa = new_context().new_page()
    log_in(rosa, user)
    menu_entry(rosa, "Compromisos de compra").click()
    offer = rosa.get_by_role("article").filter(has_text="Cacao en grano seco")
    expect(offer).to_contain_text("S/ 9.50 por kg")
    expect(offer).to_contain_text("20,000 kg")
    check_phone_page(rosa, "commitments for a producer", problems)
    offer.get_by_role("link", name="Ver y comprometer volumen").click()
    expect(rosa.get_by_text("Quedan 20,000 kg por comprometer.")).to_be_visible()
    rosa.get_by_label("Finca", exact=True).select_option(
        label="Chacra El Cacaotal (hasta 2,800 kg)"
    )
    rosa.get_by_label("Kilos que se compromete a entregar").fill("1500")
    rosa.get_by_role("button", name="Comprometer volumen").click()

    expect(rosa.get_by_role("status")).to_contain_text("Se comprometió a entregar 1,500 kg.")
    expect(rosa.get_by_text("Quedan 18,500 kg por comprometer.")).to_be_visible()
    expect(rosa.get_by_role("main")).to_contain_text("1,500 kg de Chacra El Cacaotal")
    check_phone_page(rosa, "commitment after pledging", problems)

    diego.reload()
    expect(diego.get_by_role("main")).to_contain_text("7 % comprometido")
    expect(diego.get_by_role("main")).to_contain_text("Productor/a sin consentimiento")
    check_phone_page(diego, "commitment for its buyer", problems)

    assert not problems, "\n".join(problems)
