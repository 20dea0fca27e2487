"""The marketplace in the field on a 360x740 phone in Spanish: a search with the wrong
endings and no accents finds the product, a sold-out one comes last with no "Pedir" and its
order page offers what is in stock, commitments say how far they are delivered."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.browser.test_catalog import check_page


def test_a_producer_in_juanjui_searches_orders_and_sees_distances(
    app,
    page: Page,
    make_user,
    make_producer,
    make_farm,
    make_listing,
    make_center,
    make_commitment,
) -> None:
    problems: dict[str, str] = {}
    supplier = make_user("supplier")
    org = supplier.organization
    in_stock = make_listing(org, title="Fertilizante orgánico premium", stock=12)
    gone = make_listing(org, title="Fertilizante orgánico granulado", stock=0)
    user = make_user("producer", name="Rosa Quispe")
    make_farm(make_producer(user_id=user.id), lat=-7.18, lon=-76.73)
    make_commitment(
        product="Cacao para Padre Abad",
        collection_center_id=make_center(name="Centro Aguaytía", lat=-9.04, lon=-75.51).id,
    )
    log_in(page, user)

    page.goto("/catalogo")
    page.get_by_label("Buscar", exact=True).fill("fertilizantes organicos")
    page.get_by_role("button", name="Buscar").click()
    results = page.locator("section[aria-labelledby=results-h] article")
    expect(results).to_have_count(2)
    expect(results.first).to_contain_text(in_stock.title)
    expect(results.last).to_contain_text("Agotado")
    check_page(page, "search", problems)

    results.last.get_by_role("link", name=gone.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(gone.title)
    expect(page.get_by_role("link", name="Pedir")).to_have_count(0)
    page.goto(f"/catalogo/{gone.id}/pedir")
    expect(page.get_by_text("Este producto se agotó")).to_be_visible()
    expect(page.get_by_role("link", name=in_stock.title)).to_be_visible()
    check_page(page, "sold out", problems)

    page.goto("/compromisos")
    expect(page.get_by_text("a 247 km de su finca")).to_be_visible()
    expect(page.get_by_text("Lejos")).to_be_visible()
    check_page(page, "commitments", problems)
    assert not problems, problems
