"""The admin's pages on a 360x740 phone, with the longest names, e-mails and amounts a real
platform has: nothing sticks out of the screen and no amount is broken across two lines."""

from __future__ import annotations

from playwright.sync_api import Page

from marketplace.currencies import to_minor
from marketplace.extensions import db
from tests.browser.conftest import log_in
from tests.browser.test_journeys import overflow
from tests.integration.loans import new_loan

LONG_EMAIL = "maria.fernanda.huaman.quispe.delacruz@cooperativaagroindustrialjuanjui.com.pe"
LONG_ORG = "Cooperativa Agroindustrial de Productores Cacaoteros del Alto Huallaga Ltda."

# Every run of digits (with its separators) in a text node that takes more than one line box.
BROKEN_NUMBERS = """() => {
    const broken = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/\\d[\\d.,\\u00a0\\u202f]*\\d/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (tops.size > 1) broken.push(match[0]);
        }
    }
    return broken;
}"""

ADMIN_PAGES = [
    "/admin/usuarios",
    "/admin/organizaciones",
    "/admin/auditoria",
    "/admin/emparejamiento",
    "/admin/credito/ajustes",
    "/admin/trazabilidad/conversiones",
    "/admin/pagos",
    "/admin/mensajes",
    "/admin/impacto",
    "/impacto",
]


def _world(make_user, make_org, make_producer, make_credit_product) -> None:
    lender = make_org("lender", name=LONG_ORG, country="CO")
    make_user("lender", organization=lender, email=LONG_EMAIL, name="María Fernanda Huamán")
    for currency, major in (("COP", 5_535_000_000), ("MXN", 41_270_000), ("PEN", 17_284_000)):
        product = make_credit_product(
            org=lender, currency=currency, max_amount_minor=to_minor(major, currency)
        )
        new_loan(make_producer(), product, amount_minor=to_minor(major, currency))
    db.session.commit()


def test_admin_pages_fit_a_phone_and_keep_amounts_whole(
    app, page: Page, make_user, make_org, make_producer, make_credit_product
) -> None:
    _world(make_user, make_org, make_producer, make_credit_product)
    log_in(page, make_user("admin", name="Equipo Minka (administración)"))
    org_page = f"/admin/organizaciones/{make_org('cooperative', name=LONG_ORG).id}"
    # a pending look-alike with the same tax id: the review lists the verified original
    lookalike = make_org("cooperative", verified=False, name=LONG_ORG.upper(), tax_id="20100070970")
    make_org("cooperative", name=LONG_ORG + " S.A.C.", country="PE", tax_id="20100070970")
    problems = {}
    for url in [*ADMIN_PAGES, org_page, f"/admin/organizaciones/{lookalike.id}"]:
        page.goto(url)
        page.wait_for_load_state()
        if wide := overflow(page):
            problems[url] = f"too wide: {wide}"
        if broken := page.evaluate(BROKEN_NUMBERS):
            problems[url] = f"amounts broken across lines: {broken}"
    assert not problems, "\n".join(f"{url}: {problem}" for url, problem in problems.items())


def test_a_pending_cooperatives_pages_fit_a_phone(app, page: Page, make_user, make_org) -> None:
    coop = make_org("cooperative", verified=False, name=LONG_ORG, tax_id=None, document_path=None)
    log_in(page, make_user("technician", organization=coop, email=LONG_EMAIL))
    problems = {}
    for url in ("/", "/organizacion", "/productores", "/productores/nuevo"):
        page.goto(url)
        page.wait_for_load_state()
        if wide := overflow(page):
            problems[url] = f"too wide: {wide}"
    assert not problems, "\n".join(f"{url}: {problem}" for url, problem in problems.items())
    page.goto("/productores")
    assert "Su cooperativa aún no está verificada" in page.content()
