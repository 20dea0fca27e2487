"""Each role's home page shows its work, on the demo world."""

from __future__ import annotations

import pytest

DEMO_PASSWORD = "minka-demo-2026"

HOMES = {
    "productora@minka.demo": [
        "Ofertas cerca de mí",
        "Mis pedidos",
        "Venta asegurada",
        "Mis fincas",
    ],
    "tecnico@minka.demo": ["Actividad de los socios", "Productores registrados"],
    "proveedor@minka.demo": ["Pedidos por atender", "Mis productos"],
    "comprador@minka.demo": ["Mis compromisos de compra", "Volumen comprometido"],
    "caja@minka.demo": ["Verificada"],
    "admin@minka.demo": ["Organizaciones por verificar"],
}


@pytest.fixture
def demo_world(runner):
    result = runner.invoke(args=["demo-data", "--producers", "120", "--listings", "150"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("email", HOMES)
def test_each_role_home_shows_its_work(app, demo_world, email):
    client = app.test_client()
    response = client.post("/ingresar", data={"identifier": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    for heading in HOMES[email]:
        assert heading in page, f"{email}: {heading!r} missing"


def test_producer_home_lists_her_open_orders_and_offers(app, demo_world):
    client = app.test_client()
    client.post(
        "/ingresar", data={"identifier": "productora@minka.demo", "password": DEMO_PASSWORD}
    )
    page = client.get("/").get_data(as_text=True)
    assert "/pedidos/" in page  # at least one open order links to its page
    assert "/catalogo/" in page  # at least one offer near her farm


def test_technician_home_reuses_the_cooperatives_counts_for_a_minute(
    app, monkeypatch, login, make_org, make_user, make_producer, make_farm
):
    # A cooperative of a million-producer world counts tens of thousands of members and
    # farms: that was the whole cost of the page, on every visit of every technician.
    monkeypatch.setitem(app.config, "MINKA_COUNTS_CACHE_SECONDS", 60)
    coop = make_org("cooperative")
    client = login(make_user("technician", organization=coop))

    def counts(page: str) -> str:
        return page[page.index("Productores registrados") : page.index("Actividad de los")]

    make_farm(make_producer(cooperative_id=coop.id))
    first = client.get("/").get_data(as_text=True)
    assert "<dd>1</dd>" in counts(first) and "se actualizan cada minuto" in first
    make_farm(make_producer(cooperative_id=coop.id))
    assert counts(client.get("/").get_data(as_text=True)) == counts(first)
    monkeypatch.setitem(app.config, "MINKA_COUNTS_CACHE_SECONDS", 0)
    now = client.get("/").get_data(as_text=True)
    assert "<dd>2</dd>" in counts(now) and "se actualizan" not in now
