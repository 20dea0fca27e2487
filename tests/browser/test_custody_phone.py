"""The buyer's traceability and lot pages and the centre's lot page on a 360x740 phone in
Spanish: nothing wider than the screen (the risk badge leads each card), the map's legend
names every status in words, and a plot reassessed after delivery shows its review flag."""

from __future__ import annotations

from playwright.sync_api import expect

from marketplace.forest import layers
from marketplace.models import RiskStatus
from marketplace.traceability import lots
from tests.browser.conftest import log_in
from tests.browser.test_orders import check_phone_page
from tests.integration.deliveries import centre, deliver, producer_with_pledge
from tests.integration.test_forest_risk import PLOT, WEST_HALF, extent_only, write_layer


def test_trace_and_lot_pages_fit_a_phone_with_a_legend_and_the_review_flag(
    app, new_context, live, tmp_path, make_org, make_user, make_center, make_commitment,
    make_producer, make_farm,
) -> None:  # fmt: skip
    world = centre(make_org, make_user, make_center, make_commitment)
    _, farm, at_risk_later = producer_with_pledge(
        make_producer, make_farm, world, kg=1_000, polygon_geojson=PLOT,
        name="Parcela El Manantial con un nombre bastante largo",
    )  # fmt: skip
    _, _, elsewhere = producer_with_pledge(
        make_producer, make_farm, world, kg=1_000, lat=-7.20, lon=-76.75
    )
    layers.import_layer(write_layer(tmp_path, *extent_only(), name="a.geojson"))
    first = deliver(world, at_risk_later, 600, product_state="cacao_baba")
    second = deliver(world, elsewhere, 300)
    lot = lots.create_lot(world.staff, world.center, world.commitment.id)
    lots.add_deliveries(world.staff, lot, [first.id, second.id])
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2023}), name="b.json"))
    problems: list[str] = []

    page = new_context().new_page()
    log_in(page, world.buyer)
    page.goto(f"/compras/compromisos/{world.commitment.id}/trazabilidad")
    main = page.get_by_role("main")
    expect(main).to_contain_text("después de la entrega")
    legend = page.get_by_role("list", name="Leyenda del mapa")
    for status in RiskStatus:
        expect(legend).to_contain_text(status.label)
    expect(page.locator("#trace-map .leaflet-interactive").first).to_be_visible()
    check_phone_page(page, "trace", problems)

    page.goto(f"/compras/lotes/{lot.id}")
    expect(main).to_contain_text(f"la parcela {farm.name} pasó a riesgo el")
    expect(main).to_contain_text("Cosecha")
    check_phone_page(page, "buyer's lot", problems)

    staff = new_context().new_page()
    log_in(staff, world.staff)
    staff.goto(f"/acopio/lotes/{lot.id}")
    expect(staff.get_by_role("main")).to_contain_text("Máximo por balance de masa")
    expect(staff.get_by_role("button", name="Dividir")).to_be_visible()
    check_phone_page(staff, "centre's lot", problems)
    assert not problems, problems
