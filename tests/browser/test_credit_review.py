"""The lender's review in the browser, in Spanish on a 360x740 phone: the groups' map and
charts, a group whose members consented, an approval with an edited amount, then the loan's
disbursement and a repayment. Without JavaScript the list works and the map stays hidden."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Loan
from marketplace.models.base import local_today
from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_commitments import check_phone_page
from tests.integration.loans import accept_as_producer


def test_a_lender_reviews_approves_and_follows_a_loan(
    app, new_context, no_js_page: Page, make_user, make_credit_product, make_match
) -> None:
    product = make_credit_product(name="Crédito Cacao Campaña")
    lender = make_user("lender", organization=product.organization, name="Lucía Vela")
    match = make_match(n=3, product=product)
    problems: list[str] = []

    page = new_context().new_page()
    log_in(page, lender)
    menu_entry(page, "Grupos propuestos").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grupos propuestos")
    expect(page.locator("#groups-map .leaflet-interactive")).to_have_count(1)
    expect(page.get_by_role("img", name="Tipos de productor (miembros)")).to_be_visible()
    check_phone_page(page, "grupos", problems)

    page.get_by_role("link", name=f"Grupo {match.cluster.code}").click()
    expect(page.get_by_text("Rosa Quispe").first).to_be_visible()
    check_phone_page(page, "grupo", problems)
    page.get_by_role("link", name="Aprobar y registrar préstamos").click()
    first = page.get_by_role("textbox").first
    expect(first).to_have_value("7,200.00")
    first.fill("5.000")
    check_phone_page(page, "aprobar", problems)
    page.get_by_role("button", name="Aprobar y registrar préstamos").click()
    page.get_by_role("button", name=re.compile(r"^Confirmar y aprobar \d+ préstamos?$")).click()
    expect(page.get_by_text("Grupo aprobado: 3 préstamos registrados.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Préstamos")
    check_phone_page(page, "préstamos", problems)

    page.get_by_role("link", name="Préstamo #").first.click()
    expect(page.get_by_text("Todavía no: ve el cronograma en Mi crédito")).to_be_visible()
    expect(page.get_by_role("button", name="Registrar el desembolso")).to_have_count(0)
    # the producers accept their schedules (their own journey: test_credit_producer)
    for loan in db.session.scalars(select(Loan)):
        accept_as_producer(loan, make_user)
    page.reload()
    page.get_by_role("button", name="Registrar el desembolso").click()
    expect(page.get_by_text("Desembolso registrado.")).to_be_visible()
    page.get_by_label("Monto pagado").fill("1.200")
    page.get_by_label("Fecha del pago").fill(local_today().isoformat())
    page.get_by_label("A tiempo").check()
    check_phone_page(page, "préstamo", problems)
    page.get_by_role("button", name="Registrar el pago").click()
    expect(page.get_by_text("Pago registrado.")).to_be_visible()
    expect(page.get_by_text("S/ 1,200.00").first).to_be_visible()

    log_in(no_js_page, lender)
    no_js_page.goto("/credito/grupos")
    expect(no_js_page.locator("#groups-map")).to_be_hidden()
    expect(no_js_page.get_by_role("link", name=f"Grupo {match.cluster.code}")).to_be_visible()
    assert not problems, problems
