"""A producer's credit in the browser, in Spanish on a 360x740 phone: she sees her group's
offer on "Mi crédito", and once her loan is disbursed she orders an input paid with it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Match
from tests.browser.conftest import RESULTS, log_in, menu_entry, nav
from tests.browser.test_orders import check_phone_page
from tests.conftest import run_matching
from tests.integration.loans import new_loan


def test_producer_sees_her_offer_and_orders_an_input_on_credit(
    app,
    page: Page,
    make_user,
    make_org,
    make_group,
    make_credit_product,
    make_listing,
    make_center,
) -> None:
    producers = make_group(6)
    user = make_user("producer", name="Rosa Quispe")
    rosa = producers[0]
    rosa.user_id = user.id
    db.session.commit()
    lender = make_org("lender", name="Caja Tarapoto")
    product = make_credit_product(lender, name="Cacao Verde")
    supplier = make_user("supplier")
    make_listing(supplier.organization, title="Compost de cacao", price_minor=4500, stock=20)
    make_center(name="Centro de acopio Juanjuí")
    run_matching()
    problems: list[str] = []

    log_in(page, user)
    expect(page.get_by_role("main")).to_contain_text("Oferta de Caja Tarapoto para su grupo")
    menu_entry(page, "Mi crédito").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mi crédito")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Su tipo de productor")
    expect(main).to_contain_text("Cacao Verde")
    expect(main).to_contain_text("Propuesto a la entidad de crédito")
    expect(main).to_contain_text(re.compile(r"Cuota más alta\s*S/\s[\d,]+\.\d\d"))
    schedule = page.get_by_role("region", name=re.compile("Su cronograma de pagos"))
    expect(schedule.get_by_role("row").nth(1)).to_contain_text("S/")  # the first payment
    expect(schedule.get_by_role("row").last).to_contain_text("Total")
    check_phone_page(page, "mi crédito (offer)", problems)
    # printed on A4, the page is its content: no menu, the schedule whole, not scrolling
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    expect(nav(page)).to_be_hidden()
    assert schedule.evaluate("e => e.scrollWidth <= e.clientWidth")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 360, "height": 740})
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "mi-credito-offer.png"), full_page=True)

    # The caja approves the group: she reads the hoja resumen and accepts; nothing is
    # spendable before.
    match = db.session.scalar(select(Match).where(Match.rank == 0))
    match.status = "approved"
    new_loan(rosa, product, 300_000, status="approved", accepted_at=None)
    page.reload()
    expect(main).to_contain_text("Hoja resumen: lea antes de aceptar")
    expect(main).not_to_contain_text("Pedir insumos con este préstamo")
    cronograma = page.get_by_role("region", name="Cronograma de pagos")
    expect(cronograma.get_by_role("row").nth(1)).to_contain_text("S/")
    check_phone_page(page, "mi crédito (hoja resumen)", problems)
    page.get_by_role("button", name="Acepto el préstamo").click()
    expect(main).to_contain_text("Préstamo aceptado.")
    expect(main).to_contain_text("Aprobado")
    expect(main).to_contain_text(re.compile(r"Disponible\s*S/\s3,000\.00"))
    check_phone_page(page, "mi crédito (loan)", problems)
    page.get_by_role("link", name="Pedir insumos con este préstamo").click()
    page.get_by_role("link", name="Compost de cacao").first.click()
    page.get_by_role("link", name=re.compile("Pedir")).first.click()
    credit = page.get_by_role("radio", name=re.compile(r"^Crédito \(préstamo de Caja Tarapoto\)"))
    credit.check()
    check_phone_page(page, "order form on credit", problems)
    page.get_by_label("Cantidad").fill("2")
    page.get_by_role("button", name="Ver el total").click()
    expect(main).to_contain_text("Con su préstamo de Caja Tarapoto")
    expect(main).to_contain_text(re.compile(r"Le quedarán S/\s2,910\.00 disponibles"))
    page.get_by_role("button", name="Confirmar pedido").click()
    expect(main).to_contain_text("Pagado con crédito de Caja Tarapoto")
    menu_entry(page, "Mi crédito").click()
    expect(main).to_contain_text(re.compile(r"Usado en insumos\s*S/\s90\.00"))
    page.screenshot(path=str(RESULTS / "mi-credito-loan.png"), full_page=True)
    assert not problems, problems
