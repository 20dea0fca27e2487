"""Issue 4's journey end to end, in Spanish on a 360x740 phone: the admin runs the matching
and watches it finish; the caja reviews the matched group, sees a consenting member, approves
and records the loans; the producer reads her schedule, accepts the loan and buys an
input on credit."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.models import MatchingRun
from marketplace.producers.services import set_consent
from tests.browser.conftest import log_in, menu_entry
from tests.browser.test_orders import check_phone_page


def test_from_a_matching_run_to_an_input_bought_on_credit(
    app,
    new_context,
    make_user,
    make_org,
    make_group,
    make_credit_product,
    make_listing,
    make_center,
) -> None:
    producers = make_group(6)
    rosa_user = make_user("producer", name="Rosa Quispe")
    producers[0].user_id = rosa_user.id
    db.session.commit()
    caja = make_org("lender", name="Caja Tarapoto")
    make_credit_product(caja, name="Cacao Verde")
    lender = make_user("lender", organization=caja, name="Lucía Vela")
    admin = make_user("admin", name="Ana Administradora")
    supplier = make_user("supplier")
    make_listing(supplier.organization, title="Compost de cacao", price_minor=4500, stock=20)
    make_center(name="Centro de acopio Juanjuí")
    problems: list[str] = []

    # The admin starts the run; it runs in a thread of the live app and the page follows it.
    page = new_context().new_page()
    log_in(page, admin)
    menu_entry(page, "Emparejamiento de crédito").click()
    page.get_by_role("button", name="Iniciar corrida").click()
    expect(page.get_by_role("status").first).to_contain_text("iniciada")
    run_id = db.session.scalars(db.select(MatchingRun.id)).one()
    entry = page.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=f"Corrida {run_id}", exact=True)
    )
    expect(entry).to_contain_text("Terminada", timeout=60_000)
    check_phone_page(page, "admin runs", problems)

    # One member withdraws her consent after the run: the caja no longer sees her details.
    set_consent(admin, producers[5], "lenders", False)
    db.session.commit()

    # The caja reviews the group: five members consent, one is hidden.
    page = new_context().new_page()
    log_in(page, lender)
    menu_entry(page, "Grupos propuestos").click()
    page.get_by_role("link", name=re.compile(r"^Grupo PE-")).first.click()
    main = page.get_by_role("main")
    expect(main).to_contain_text(producers[0].full_name)
    expect(main).to_contain_text("Productor/a sin consentimiento")
    expect(main).not_to_contain_text(producers[5].full_name)
    check_phone_page(page, "group", problems)
    page.get_by_role("link", name="Aprobar y registrar préstamos").click()
    page.get_by_role("button", name="Aprobar y registrar préstamos").click()
    page.get_by_role("button", name=re.compile(r"^Confirmar y aprobar \d+ préstamos?$")).click()
    expect(page.get_by_text(re.compile(r"Grupo aprobado: 5 préstamos registrados"))).to_be_visible()

    # The producer reads her hoja resumen, accepts, and orders compost paid with her loan.
    page = new_context().new_page()
    log_in(page, rosa_user)
    menu_entry(page, "Mi crédito").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Cacao Verde")
    expect(main).to_contain_text("Hoja resumen: lea antes de aceptar")
    expect(main).to_contain_text("Si paga tarde")
    check_phone_page(page, "mi crédito", problems)
    page.get_by_role("button", name="Acepto el préstamo").click()
    expect(main).to_contain_text("Préstamo aceptado.")
    expect(main).to_contain_text("Aprobado")
    page.get_by_role("link", name="Pedir insumos con este préstamo").click()
    page.get_by_role("link", name="Compost de cacao").first.click()
    page.get_by_role("link", name=re.compile("Pedir")).first.click()
    page.get_by_role("radio", name=re.compile(r"^Crédito \(préstamo de Caja Tarapoto\)")).check()
    page.get_by_label("Cantidad").fill("2")
    page.get_by_role("button", name="Ver el total").click()
    page.get_by_role("button", name="Confirmar pedido").click()
    expect(main).to_contain_text("Pagado con crédito de Caja Tarapoto")
    menu_entry(page, "Mi crédito").click()
    expect(main).to_contain_text(re.compile(r"Usado en insumos\s*S/\s90\.00"))

    # The caja disburses her loan and sees it in its portfolio.
    page = new_context().new_page()
    log_in(page, lender)
    menu_entry(page, "Préstamos").click()
    page.get_by_role("link", name=re.compile(re.escape(producers[0].full_name))).first.click()
    page.get_by_role("button", name="Registrar el desembolso").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Capital que falta pagar")
    check_phone_page(page, "loan", problems)
    menu_entry(page, "Cartera").click()
    expect(main).to_contain_text("Saldo de capital por cobrar")
    expect(main).to_contain_text("Cartera en riesgo más de 30 días (PAR30)")
    expect(main).to_contain_text("Cacao Verde")
    check_phone_page(page, "cartera", problems)
    assert not problems, problems
