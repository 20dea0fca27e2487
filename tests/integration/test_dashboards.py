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
